import { EMBED_OPTIONS, withoutUsermeta } from '../src/embed';

// The payload of issue 16: vega-embed merges usermeta.embedOptions over the caller's options.
const TAMPERED = {
  mark: 'bar',
  data: { values: [{ a: 1 }] },
  encoding: { x: { field: 'a', type: 'ordinal' } },
  usermeta: {
    embedOptions: {
      actions: true,
      sourceHeader: '<script>window.__pwned = 1</script>',
      loader: { baseURL: 'https://attacker.invalid/' }
    }
  }
};

test('a spec loses its usermeta before it is embedded, and nothing else', () => {
  const clean = withoutUsermeta(TAMPERED);
  expect(clean).not.toHaveProperty('usermeta');
  expect(JSON.stringify(clean)).not.toContain('sourceHeader');
  expect(Object.keys(clean).sort()).toEqual(['data', 'encoding', 'mark']);
  expect(clean.encoding).toEqual(TAMPERED.encoding);
  expect(TAMPERED).toHaveProperty('usermeta'); // the finding itself is not changed
});

test('the embed options keep View Source off and interpret expressions', () => {
  expect(EMBED_OPTIONS.actions.source).toBe(false);
  expect(EMBED_OPTIONS.actions.editor).toBe(false);
  expect(EMBED_OPTIONS.ast).toBe(true);
});
