/**
 * Vega-Lite charts through vega-embed, bundled in the extension (no CDN) and loaded on first use so
 * JupyterLab's start does not pay for it. The loader refuses every URL except inline `data:` ones:
 * a finding's chart carries its data inline, and a spec from a saved notebook must not make the page
 * fetch anything.
 */

import type { JSONObject } from './bundle';
import { refusedUri } from './uri';

export async function drawChart(host: HTMLElement, spec: JSONObject): Promise<void> {
  const [{ default: embed }, vega] = await Promise.all([import('vega-embed'), import('vega')]);
  const loader = vega.loader();
  const sanitize = loader.sanitize.bind(loader);
  loader.sanitize = (uri: string, options: Parameters<typeof sanitize>[1]) => {
    const refused = refusedUri(uri);
    return refused ? Promise.reject(new Error(refused)) : sanitize(uri, options);
  };
  // The spec comes from JSON; vega-embed validates it and rejects what it cannot compile.
  await embed(host, spec, {
    renderer: 'svg',
    loader,
    actions: { export: true, source: false, compiled: false, editor: false },
    logLevel: vega.Error
  });
}
