// Retry-After as ARM, Blob Storage and Logs Ingestion send it.

/** Retry-After is seconds or an HTTP date; capped so a bad header cannot stall the outbox for days. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now(), capMs = 6 * 3600_000): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  let ms: number;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), capMs);
}
