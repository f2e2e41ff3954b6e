import { checkAnswer, diagnosticNotebook, firstCellSource, pythonString } from '../src/notebook';
import { refusedUri } from '../src/uri';

test('plain strings become single-quoted literals', () => {
  expect(pythonString('sample_data/credit')).toBe("'sample_data/credit'");
  expect(pythonString('')).toBe("''");
});

test('quotes, backslashes and control characters are escaped', () => {
  expect(pythonString("it's")).toBe("'it\\'s'");
  expect(pythonString('say "hi"')).toBe('\'say "hi"\'');
  expect(pythonString('C:\\data\\store')).toBe("'C:\\\\data\\\\store'");
  expect(pythonString('a\nb\rc\td')).toBe("'a\\nb\\rc\\td'");
  expect(pythonString('bell\x07del\x7f')).toBe("'bell\\x07del\\x7f'");
  expect(pythonString('line\u2028sep')).toBe("'line\\u2028sep'");
});

test('non-ASCII text is kept as it is', () => {
  expect(pythonString('données/modèle €')).toBe("'données/modèle €'");
  expect(pythonString('📈')).toBe("'📈'");
});

test("a path cannot end the literal and inject code", () => {
  const literal = pythonString("x'); import os; os.system('rm -rf /'); ('");
  // the only unescaped quotes are the first and the last character
  const unescaped = [...literal.matchAll(/(?<!\\)'/g)].map(m => m.index);
  expect(unescaped).toEqual([0, literal.length - 1]);
});

test('the first cell opens the store and the panel', () => {
  expect(firstCellSource('sample_data/credit', 'credit')).toBe(
    "import diaglab as dl\nstore = dl.open('sample_data/credit')\ndl.panel(store, 'credit')"
  );
});

test('the notebook is nbformat 4.5 with one code cell and the kernel', () => {
  const nb = diagnosticNotebook({ storePath: '/s', model: 'm', kernelName: 'python3', cellId: 'abc' }) as {
    cells: { cell_type: string; id: string; source: string; outputs: unknown[] }[];
    metadata: { kernelspec: { name: string } };
    nbformat: number;
    nbformat_minor: number;
  };
  expect(nb.nbformat).toBe(4);
  expect(nb.nbformat_minor).toBe(5);
  expect(nb.cells).toHaveLength(1);
  expect(nb.cells[0]).toMatchObject({ cell_type: 'code', id: 'abc', outputs: [] });
  expect(nb.cells[0].source).toBe(firstCellSource('/s', 'm'));
  expect(nb.metadata.kernelspec.name).toBe('python3');
});

test('blank answers are refused, a cancelled dialog is not an error', () => {
  expect(checkAnswer('Model', '  ')).toBe('Model is required.');
  expect(checkAnswer('Model', 'credit')).toBeNull();
  expect(checkAnswer('Model', null)).toBeNull();
});

test('charts may load inline data only', () => {
  expect(refusedUri('data:text/csv,a%0A1')).toBeNull();
  expect(refusedUri('https://example.com/x.csv')).toContain('refused "https://example.com/x.csv"');
  expect(refusedUri('/files/secret.csv')).toContain('refused');
  expect(refusedUri('javascript:alert(1)')).toContain('refused');
});
