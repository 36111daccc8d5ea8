// OpenSSH known_hosts, as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it: plain patterns (comma lists,
// `*` and `?` wildcards, `!` negation, `[host]:port` for other ports), hashed names (`|1|salt|hmac-sha1`),
// and the @revoked marker. @cert-authority lines are ignored: certificates are not accepted.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { keyType } from './fingerprint.js';

interface Entry {
  revoked: boolean;
  /** Either hashed (salt + digest) or a list of plain patterns. */
  hashed: { salt: Buffer; digest: Buffer } | null;
  patterns: string[];
  type: string;
  blob: Buffer;
  line: number;
}

export interface KnownHosts {
  entries: Entry[];
  /** Lines that could not be read, with the reason (reported, never fatal: OpenSSH skips them too). */
  skipped: Array<{ line: number; reason: string }>;
}

export function parseKnownHosts(text: string): KnownHosts {
  const entries: Entry[] = [];
  const skipped: KnownHosts['skipped'] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') return;
      if (marker !== '@revoked') {
        skipped.push({ line: i + 1, reason: `unknown marker ${marker}` });
        return;
      }
      revoked = true;
    }
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key) {
      skipped.push({ line: i + 1, reason: 'expected "hosts keytype base64-key"' });
      return;
    }
    const blob = Buffer.from(key, 'base64');
    if (blob.length === 0 || keyType(blob) !== type) {
      skipped.push({ line: i + 1, reason: `the key is not a valid ${type} key` });
      return;
    }
    let hashed: Entry['hashed'] = null;
    if (hosts.startsWith('|1|')) {
      const [, , salt, digest] = hosts.split('|');
      if (!salt || !digest) {
        skipped.push({ line: i + 1, reason: 'malformed hashed host name' });
        return;
      }
      hashed = { salt: Buffer.from(salt, 'base64'), digest: Buffer.from(digest, 'base64') };
    }
    entries.push({ revoked, hashed, patterns: hashed ? [] : hosts.split(','), type, blob, line: i + 1 });
  });
  return { entries, skipped };
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, case-insensitive for host names. */
function wildcard(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

function matches(e: Entry, name: string): boolean {
  if (e.hashed) {
    const h = createHmac('sha1', e.hashed.salt).update(name).digest();
    return h.length === e.hashed.digest.length && timingSafeEqual(h, e.hashed.digest);
  }
  // A negated pattern that matches vetoes the line, whatever else matches.
  let hit = false;
  for (const p of e.patterns) {
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) hit = true;
  }
  return hit;
}

/** Entries that name this host (as known_hosts spells it: "host" or "[host]:port"). */
export function entriesFor(kh: KnownHosts, name: string): Array<{ revoked: boolean; type: string; blob: Buffer; line: number }> {
  return kh.entries.filter((e) => matches(e, name));
}
