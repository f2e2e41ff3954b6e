/**
 * Draw a findings bundle into a DOM node. Everything from the bundle is untrusted: it enters the
 * page as text nodes (`textContent`), the static SVG only as an `<img>` (which runs no script), and
 * the Vega-Lite spec through the injected `drawChart` (vega-embed with a loader that fetches nothing).
 * This module imports nothing from JupyterLab so it can be unit-tested in jsdom.
 */

import {
  BundleError,
  IFinding,
  IFindingsBundle,
  JSONObject,
  JSONValue,
  VERSION,
  parseBundle
} from './bundle';

/** Draws a Vega-Lite spec into `host`; rejects when the spec cannot be drawn. */
export type DrawChart = (host: HTMLElement, spec: JSONObject) => Promise<void>;

export interface IRenderOptions {
  drawChart: DrawChart;
  /** Rows shown per table; the rest are counted, not drawn. */
  maxRows?: number;
}

export const DEFAULT_MAX_ROWS = 200;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  content?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (content !== undefined) {
    node.textContent = content;
  }
  return node;
}

/** A table cell's text: short floats, integers as they are, null as an em dash. */
export function formatCell(value: JSONValue): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      return String(value);
    }
    if (Number.isInteger(value)) {
      return String(value);
    }
    const size = Math.abs(value);
    if (size >= 1e-4 && size < 1e6) {
      return String(parseFloat(value.toPrecision(4)));
    }
    return value.toExponential(3);
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  return JSON.stringify(value);
}

/** `2026-11-26T10:00:00+00:00` → `2026-11-26 10:00 UTC`; anything else is shown as it is. */
export function formatTime(value: string | null): string | null {
  if (!value) {
    return null;
  }
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(\.\d+)?)?(Z|[+-]00:?00)$/.exec(value);
  return match ? `${match[1]} ${match[2]} UTC` : value;
}

/** The static SVG as an image: an `<img>` never runs the SVG's scripts or loads its links. */
export function svgImage(svg: string, alt: string): HTMLImageElement {
  const img = el('img', 'diaglab-finding-chart-svg');
  img.alt = alt;
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  return img;
}

function renderTable(f: IFinding, maxRows: number): HTMLElement | null {
  const { columns, rows } = f.table;
  if (columns.length === 0 && rows.length === 0) {
    return null;
  }
  const wrap = el('div', 'diaglab-finding-table-wrap');
  const table = el('table', 'diaglab-finding-table');
  const head = table.createTHead().insertRow();
  const width = Math.max(columns.length, ...rows.map(r => r.length));
  for (let i = 0; i < width; i++) {
    head.appendChild(el('th', undefined, columns[i] ?? ''));
  }
  const body = table.createTBody();
  for (const row of rows.slice(0, maxRows)) {
    const tr = body.insertRow();
    tr.className = 'diaglab-finding-row';
    for (let i = 0; i < width; i++) {
      const value = row[i] ?? null;
      const td = tr.insertCell();
      td.textContent = formatCell(value);
      if (typeof value === 'number') {
        td.className = 'diaglab-num';
      }
    }
  }
  wrap.appendChild(table);
  if (rows.length > maxRows) {
    wrap.appendChild(
      el(
        'div',
        'diaglab-finding-more',
        `${rows.length - maxRows} more rows not shown (${rows.length} in the finding).`
      )
    );
  } else if (rows.length === 0) {
    wrap.appendChild(el('div', 'diaglab-finding-more', 'The table has no rows.'));
  }
  return wrap;
}

function folded(className: string, summary: string, content: string, open = false): HTMLElement {
  const details = el('details', className);
  details.open = open;
  details.appendChild(el('summary', undefined, summary));
  const pre = el('pre');
  pre.appendChild(el('code', undefined, content));
  details.appendChild(pre);
  return details;
}

function pairs(value: JSONObject): string {
  return Object.entries(value)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

function renderProvenance(f: IFinding): HTMLElement {
  const box = el('div', 'diaglab-finding-provenance');
  const line = (className: string, label: string, value: string): void => {
    const row = el('div', className);
    row.appendChild(el('span', 'diaglab-label', `${label} `));
    row.appendChild(el('code', undefined, value));
    box.appendChild(row);
  };
  if (f.query.call) {
    line('diaglab-finding-call', 'Query', f.query.call);
  } else if (f.query.function) {
    line('diaglab-finding-call', 'Query', f.query.function);
  }
  if (f.selection) {
    const text = pairs(f.selection);
    if (text) {
      line('diaglab-finding-selection', 'Selection', text);
    }
  }
  if (f.watermark !== null) {
    const text =
      typeof f.watermark === 'object' && !Array.isArray(f.watermark)
        ? pairs(f.watermark)
        : formatCell(f.watermark);
    line('diaglab-finding-watermark', 'Watermark', text || '{}');
  } else {
    line('diaglab-finding-watermark', 'Watermark', 'none recorded');
  }
  if (f.hash) {
    line('diaglab-finding-hash', 'Hash', f.prevHash ? `${f.hash} (after ${f.prevHash})` : f.hash);
  }
  if (f.query.sql) {
    box.appendChild(folded('diaglab-finding-sql', 'SQL', f.query.sql));
  }
  if (f.query.ibis) {
    box.appendChild(folded('diaglab-finding-ibis', 'Ibis expression', f.query.ibis));
  }
  if (f.claim !== null) {
    box.appendChild(folded('diaglab-finding-claim', 'Claim (what recheck compares)', JSON.stringify(f.claim, null, 2)));
  }
  return box;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function renderChart(host: HTMLElement, f: IFinding, drawChart: DrawChart): Promise<void> {
  let failure: string | null = null;
  if (f.chart) {
    const target = el('div', 'diaglab-finding-vega');
    host.appendChild(target);
    try {
      await drawChart(target, f.chart);
      host.dataset.drawn = 'vega';
      return;
    } catch (error) {
      target.remove();
      failure = message(error);
    }
  }
  if (f.chartSvg) {
    if (failure) {
      host.appendChild(
        el('div', 'diaglab-finding-chart-note', `The chart could not be drawn (${failure}); showing its static image.`)
      );
    }
    host.appendChild(svgImage(f.chartSvg, `Chart: ${f.title}`));
    host.dataset.drawn = 'svg';
  } else if (failure) {
    host.appendChild(el('div', 'diaglab-finding-chart-error', `The chart could not be drawn: ${failure}`));
    host.dataset.drawn = 'error';
  }
}

function renderFinding(f: IFinding, options: IRenderOptions): [HTMLElement, () => Promise<void>] {
  const section = el('section', 'diaglab-finding');
  section.dataset.findingId = f.id;
  section.appendChild(el('h3', 'diaglab-finding-title', f.title));
  const meta = [
    f.author ? `by ${f.author}` : null,
    formatTime(f.createdAt),
    f.model ? `model ${f.model}${f.modelVersion ? ` ${f.modelVersion}` : ''}` : null,
    f.explorer
  ].filter((part): part is string => !!part);
  if (meta.length) {
    section.appendChild(el('div', 'diaglab-finding-meta', meta.join(' · ')));
  }
  if (f.note) {
    section.appendChild(el('p', 'diaglab-finding-note', f.note));
  }
  const chart = el('div', 'diaglab-finding-chart');
  section.appendChild(chart);
  // drawn once the section is in the page, so that a "container" width has a size to fill
  const draw = (): Promise<void> =>
    f.chart || f.chartSvg ? renderChart(chart, f, options.drawChart) : Promise.resolve();
  const table = renderTable(f, options.maxRows ?? DEFAULT_MAX_ROWS);
  if (table) {
    section.appendChild(table);
  }
  section.appendChild(renderProvenance(f));
  return [section, draw];
}

function header(bundle: IFindingsBundle): HTMLElement {
  const n = bundle.findings.length;
  const parts = [
    `${n} finding${n === 1 ? '' : 's'}`,
    bundle.generator,
    formatTime(bundle.createdAt)
  ].filter((part): part is string => !!part);
  return el('div', 'diaglab-findings-header', parts.join(' · '));
}

/**
 * Replace `host`'s content with the bundle `data`. Resolves once every chart is drawn or has fallen
 * back to its static image; a bundle that cannot be read is shown as an error message, not thrown.
 */
export async function renderBundle(host: HTMLElement, data: unknown, options: IRenderOptions): Promise<void> {
  let bundle: IFindingsBundle;
  try {
    bundle = parseBundle(data);
  } catch (error) {
    if (error instanceof BundleError) {
      host.replaceChildren(el('div', 'diaglab-findings-error', `Not a diaglab findings bundle: ${error.message}.`));
      return;
    }
    throw error;
  }
  const nodes: Node[] = [header(bundle)];
  if (bundle.version > VERSION) {
    nodes.push(
      el(
        'div',
        'diaglab-findings-warning',
        `This bundle is version ${bundle.version}, newer than this viewer (version ${VERSION}); fields it does not know are not shown.`
      )
    );
  }
  if (bundle.findings.length === 0) {
    nodes.push(el('div', 'diaglab-findings-empty', 'This bundle holds no findings.'));
  }
  const draws: (() => Promise<void>)[] = [];
  for (const f of bundle.findings) {
    const [section, draw] = renderFinding(f, options);
    nodes.push(section);
    draws.push(draw);
  }
  host.replaceChildren(...nodes);
  await Promise.all(draws.map(draw => draw()));
}
