/**
 * Vega-Lite charts through vega-embed, bundled in the extension (no CDN) and loaded on first use so
 * JupyterLab's start does not pay for it. The loader refuses every URL except inline `data:` ones:
 * a finding's chart carries its data inline, and a spec from a saved notebook must not make the page
 * fetch anything.
 *
 * A spec can also carry `usermeta.embedOptions`, which vega-embed merges OVER the caller's options
 * (actions menu, `sourceHeader` HTML, its own loader, `patch`): a finding from a shared store or a
 * saved notebook could re-enable "View Source" with script in its header, or fetch through a
 * loader of its own. So `usermeta` is removed before embedding, and expressions are interpreted
 * (`ast: true`), never compiled with `Function`.
 */

import type { JSONObject } from './bundle';
import { EMBED_OPTIONS, withoutUsermeta } from './embed';
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
  await embed(host, withoutUsermeta(spec), { ...EMBED_OPTIONS, loader, logLevel: vega.Error });
}
