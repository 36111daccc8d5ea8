// The one XML escaper: text and attribute values, all five special characters. The fast path matters for the lab,
// which escapes millions of short values that need no change.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const SPECIAL = /[&<>"']/;

export function escapeXml(value: string): string {
  return SPECIAL.test(value) ? value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c) : value;
}
