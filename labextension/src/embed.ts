/**
 * What vega-embed is given, kept apart from the vega imports so it can be tested without them:
 * the spec without `usermeta` (vega-embed merges `usermeta.embedOptions` OVER the caller's options,
 * so a spec could re-enable "View Source" with a `sourceHeader` of its own, or bring its own loader),
 * and the options diaglab forces.
 */

import type { JSONObject } from './bundle';

/** The spec without its top-level `usermeta`, where vega-embed reads options of its own. */
export function withoutUsermeta(spec: JSONObject): JSONObject {
  const copy: JSONObject = { ...spec };
  delete copy.usermeta;
  return copy;
}

export const EMBED_OPTIONS = {
  renderer: 'svg',
  actions: { export: true, source: false, compiled: false, editor: false },
  ast: true
} as const;
