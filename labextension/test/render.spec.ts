import { MIME_TYPE, parseBundle, BundleError } from '../src/bundle';
import { formatCell, formatTime, renderBundle, DrawChart } from '../src/render';

const SPEC = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  data: { values: [{ feature: 'income', psi: 0.31 }] },
  mark: 'bar',
  encoding: { x: { field: 'feature', type: 'nominal' }, y: { field: 'psi', type: 'quantitative' } }
};

function finding(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'f1',
    title: 'Income drifted',
    note: 'PSI above 0.25 since March.\nSecond line.',
    author: 'ana',
    created_at: '2026-11-26T10:00:00+00:00',
    explorer: 'DriftExplorer',
    model: 'credit',
    model_version: 'v3',
    selection: { model: 'credit', version: null, reference: '2026-01', current: '2026-03', slice: null, prediction_id: null },
    query: {
      call: "dl.drift(store, 'credit', current='2026-03')",
      function: 'diaglab.drift',
      kwargs: {},
      ibis: 'r0 := DatabaseTable: predictions',
      sql: 'SELECT feature, psi FROM t'
    },
    table: { columns: ['feature', 'psi', 'n'], rows: [['income', 0.31234, 1000], ['age', 0.0123, 1000]] },
    chart: SPEC,
    chart_svg: '<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>',
    watermark: { segments: 12, max_timestamp: '2026-03-31T00:00:00+00:00' },
    claim: { feature: 'income', psi: { '>': 0.25 } },
    hash: 'ab'.repeat(32),
    prev_hash: null,
    ...extra
  };
}

function bundle(findings: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: 'diaglab.findings',
    version: 1,
    generator: 'diaglab 0.1.0',
    created_at: '2026-11-26T10:00:00Z',
    findings,
    ...extra
  };
}

const drawn: DrawChart = (host, spec) => {
  const marks = document.createElement('svg');
  marks.className = 'marks';
  marks.setAttribute('data-mark', JSON.stringify(spec.mark));
  host.appendChild(marks);
  return Promise.resolve();
};
const broken: DrawChart = () => Promise.reject(new Error('Invalid spec: mark "bogus"'));

async function render(data: unknown, drawChart: DrawChart = drawn, maxRows?: number): Promise<HTMLElement> {
  const host = document.createElement('div');
  document.body.appendChild(host);
  await renderBundle(host, data, { drawChart, maxRows });
  return host;
}

test('the MIME type is the contract one', () => {
  expect(MIME_TYPE).toBe('application/vnd.diaglab.findings+json');
});

test('a finding shows its title, note, meta, table and provenance', async () => {
  const host = await render(bundle([finding()]));
  expect(host.querySelector('.diaglab-findings-header')?.textContent).toBe(
    '1 finding · diaglab 0.1.0 · 2026-11-26 10:00 UTC'
  );
  expect(host.querySelector('.diaglab-finding-title')?.textContent).toBe('Income drifted');
  expect(host.querySelector('.diaglab-finding-note')?.textContent).toBe('PSI above 0.25 since March.\nSecond line.');
  expect(host.querySelector('.diaglab-finding-meta')?.textContent).toBe(
    'by ana · 2026-11-26 10:00 UTC · model credit v3 · DriftExplorer'
  );
  const heads = [...host.querySelectorAll('.diaglab-finding-table th')].map(th => th.textContent);
  expect(heads).toEqual(['feature', 'psi', 'n']);
  const rows = [...host.querySelectorAll('.diaglab-finding-row')].map(tr =>
    [...tr.querySelectorAll('td')].map(td => td.textContent)
  );
  expect(rows).toEqual([
    ['income', '0.3123', '1000'],
    ['age', '0.0123', '1000']
  ]);
  expect(host.querySelector('.diaglab-finding-call code')?.textContent).toBe(
    "dl.drift(store, 'credit', current='2026-03')"
  );
  const sql = host.querySelector('details.diaglab-finding-sql') as HTMLDetailsElement;
  expect(sql.open).toBe(false);
  expect(sql.querySelector('code')?.textContent).toBe('SELECT feature, psi FROM t');
  expect(host.querySelector('.diaglab-finding-watermark code')?.textContent).toBe(
    'segments: 12 · max_timestamp: 2026-03-31T00:00:00+00:00'
  );
  expect(host.querySelector('.diaglab-finding-selection code')?.textContent).toBe(
    'model: credit · reference: 2026-01 · current: 2026-03'
  );
  expect(host.querySelector('.diaglab-finding-chart')?.getAttribute('data-drawn')).toBe('vega');
  expect(host.querySelector('.diaglab-finding-vega svg.marks')?.getAttribute('data-mark')).toBe('"bar"');
  expect(host.querySelector('img')).toBeNull();
});

test('notes and titles stay text: markup in them creates no elements', async () => {
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const host = await render(
    bundle([finding({ title: evil, note: evil, author: evil, table: { columns: [evil], rows: [[evil]] } })])
  );
  expect(host.querySelector('.diaglab-finding-title')?.textContent).toBe(evil);
  expect(host.querySelector('.diaglab-finding-note')?.textContent).toBe(evil);
  expect(host.querySelector('.diaglab-finding-table td')?.textContent).toBe(evil);
  expect(host.querySelectorAll('script').length).toBe(0);
  // the only image allowed would be the static chart, which is not needed here (the chart drew)
  expect(host.querySelectorAll('img').length).toBe(0);
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
});

test('a chart that fails falls back to the static SVG, as an image', async () => {
  const host = await render(bundle([finding()]), broken);
  const chart = host.querySelector('.diaglab-finding-chart') as HTMLElement;
  expect(chart.dataset.drawn).toBe('svg');
  const img = chart.querySelector('img.diaglab-finding-chart-svg') as HTMLImageElement;
  expect(img.src.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
  expect(decodeURIComponent(img.src.split(',')[1])).toContain('<rect width="5"');
  expect(img.alt).toBe('Chart: Income drifted');
  expect(chart.querySelector('.diaglab-finding-chart-note')?.textContent).toContain('Invalid spec: mark "bogus"');
  expect(chart.querySelector('.diaglab-finding-vega')).toBeNull();
});

test('a chart that fails without a static SVG says why', async () => {
  const host = await render(bundle([finding({ chart_svg: null })]), broken);
  expect(host.querySelector('.diaglab-finding-chart-error')?.textContent).toBe(
    'The chart could not be drawn: Invalid spec: mark "bogus"'
  );
});

test('no spec but a static SVG shows the SVG without calling vega', async () => {
  const draw = jest.fn(drawn);
  const host = await render(bundle([finding({ chart: null })]), draw);
  expect(draw).not.toHaveBeenCalled();
  expect(host.querySelector('.diaglab-finding-chart')?.getAttribute('data-drawn')).toBe('svg');
  expect(host.querySelector('.diaglab-finding-chart-note')).toBeNull();
});

test('missing optional keys and unknown extra keys are tolerated', async () => {
  const draw = jest.fn(drawn);
  const minimal = { id: 'm', title: 'Only a title', surprise: { nested: [1, 2] } };
  const host = await render(bundle([minimal], { extra_top_level: true }), draw);
  expect(draw).not.toHaveBeenCalled();
  expect(host.querySelector('.diaglab-finding-title')?.textContent).toBe('Only a title');
  expect(host.querySelector('.diaglab-finding-note')).toBeNull();
  expect(host.querySelector('.diaglab-finding-table')).toBeNull();
  expect(host.querySelector('.diaglab-finding-watermark code')?.textContent).toBe('none recorded');
  expect(host.querySelector('.diaglab-finding-sql')).toBeNull();
});

test('a table with columns but no rows says so', async () => {
  const host = await render(bundle([finding({ table: { columns: ['a'], rows: [] } })]));
  expect(host.querySelectorAll('.diaglab-finding-row').length).toBe(0);
  expect(host.querySelector('.diaglab-finding-more')?.textContent).toBe('The table has no rows.');
});

test('long tables are cut at maxRows and the rest counted', async () => {
  const rows = Array.from({ length: 25 }, (_, i) => [i, i / 7]);
  const host = await render(bundle([finding({ table: { columns: ['i', 'x'], rows } })]), drawn, 10);
  expect(host.querySelectorAll('.diaglab-finding-row').length).toBe(10);
  expect(host.querySelector('.diaglab-finding-more')?.textContent).toBe('15 more rows not shown (25 in the finding).');
});

test('several findings all render, in order', async () => {
  const host = await render(bundle([finding(), finding({ id: 'f2', title: 'Second' })]));
  const titles = [...host.querySelectorAll('.diaglab-finding-title')].map(h => h.textContent);
  expect(titles).toEqual(['Income drifted', 'Second']);
  expect(host.querySelector('.diaglab-findings-header')?.textContent?.startsWith('2 findings')).toBe(true);
  expect([...host.querySelectorAll('section.diaglab-finding')].map(s => (s as HTMLElement).dataset.findingId)).toEqual(['f1', 'f2']);
});

test('an empty bundle says it holds no findings', async () => {
  const host = await render(bundle([]));
  expect(host.querySelector('.diaglab-findings-empty')?.textContent).toBe('This bundle holds no findings.');
});

test('a newer bundle version is rendered with a warning', async () => {
  const host = await render(bundle([finding()], { version: 2 }));
  expect(host.querySelector('.diaglab-findings-warning')?.textContent).toContain('version 2, newer than this viewer');
  expect(host.querySelector('.diaglab-finding-title')?.textContent).toBe('Income drifted');
});

test.each([
  [null, 'got null'],
  [[1], 'got an array'],
  [{ findings: [] }, 'got no "schema" key'],
  [{ schema: 'other', version: 1 }, 'got "other"'],
  [{ schema: 'diaglab.findings', version: '1' }, 'got "1"'],
  [{ schema: 'diaglab.findings', version: 1, findings: {} }, 'expected "findings" to be a list']
])('a bundle that cannot be read is an error message naming what was expected (%j)', async (data, says) => {
  expect(() => parseBundle(data)).toThrow(BundleError);
  const host = await render(data);
  const error = host.querySelector('.diaglab-findings-error')?.textContent ?? '';
  expect(error.startsWith('Not a diaglab findings bundle: ')).toBe(true);
  expect(error).toContain(says);
});

test('cells are formatted for reading', () => {
  expect(formatCell(0.31234)).toBe('0.3123');
  expect(formatCell(12)).toBe('12');
  expect(formatCell(1.5e-7)).toBe('1.500e-7');
  expect(formatCell(null)).toBe('—');
  expect(formatCell(true)).toBe('true');
  expect(formatCell({ a: 1 })).toBe('{"a":1}');
  expect(formatTime('2026-11-26T10:00:00.123+00:00')).toBe('2026-11-26 10:00 UTC');
  expect(formatTime('2026-11-26T10:00:00+02:00')).toBe('2026-11-26T10:00:00+02:00');
});
