/** vim25 dateTime, as vCenter writes it (UTC, "Z"). */
export function isoTime(ms: number, withMillis = false): string {
  const s = new Date(ms).toISOString();
  return withMillis ? s : `${s.slice(0, 19)}Z`;
}
