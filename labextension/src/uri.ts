// What a findings chart may load: inline `data:` URIs only (see chart.ts).

/** Why `uri` may not be loaded by a findings chart, or null when it may (inline data only). */
export function refusedUri(uri: string): string | null {
  return /^data:/i.test(uri.trim())
    ? null
    : `findings charts load no external data or images (refused ${JSON.stringify(uri.slice(0, 120))})`;
}
