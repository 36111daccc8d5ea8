// Host key policies: an OpenSSH known_hosts file, or SHA256 fingerprints per host. Verification happens in
// ssh2's hostVerifier, during key exchange, before the user-auth service is even requested.
import { readFileSync, statSync } from 'node:fs';
import { keyType, knownHostsLine, knownHostsName, normalizeFingerprint, sha256Fingerprint } from './fingerprint.js';
import { entriesFor, parseKnownHosts, type KnownHosts } from './known-hosts.js';
import type { HostKeyProblem } from './errors.js';

export interface HostAddress {
  host: string;
  port: number;
  /** As configured ("app01" or "10.1.2.3:2222"); fingerprints may be keyed by it. */
  label: string;
}

export type HostKeyVerdict =
  | { ok: true }
  | { ok: false; problem: HostKeyProblem; keyType: string; fingerprint: string; knownHostsLine: string; pinned: string | null };

export interface HostKeyPolicy {
  verify(addr: HostAddress, blob: Buffer): HostKeyVerdict;
  /** Key types pinned for this host, so they are offered first (as OpenSSH orders HostKeyAlgorithms). */
  pinnedTypes(addr: HostAddress): string[];
}

function refuse(addr: HostAddress, blob: Buffer, problem: HostKeyProblem, pinned: string | null): HostKeyVerdict {
  return {
    ok: false,
    problem,
    keyType: keyType(blob),
    fingerprint: sha256Fingerprint(blob),
    knownHostsLine: knownHostsLine(addr.host, addr.port, blob),
    pinned,
  };
}

/** known_hosts, re-read when the file changes (a newly pinned key works without a restart). */
export class KnownHostsPolicy implements HostKeyPolicy {
  private cache: { mtimeMs: number; size: number; kh: KnownHosts } | null = null;
  constructor(
    readonly file: string,
    private readonly read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
  ) {}

  /** Throws (ENOENT, EACCES) when the file cannot be read: the caller turns that into a config error. */
  load(): KnownHosts {
    const st = statSync(this.file);
    if (!this.cache || this.cache.mtimeMs !== st.mtimeMs || this.cache.size !== st.size) {
      this.cache = { mtimeMs: st.mtimeMs, size: st.size, kh: parseKnownHosts(this.read(this.file)) };
    }
    return this.cache.kh;
  }

  verify(addr: HostAddress, blob: Buffer): HostKeyVerdict {
    const found = entriesFor(this.load(), knownHostsName(addr.host, addr.port));
    const type = keyType(blob);
    if (found.some((e) => e.revoked && e.blob.equals(blob))) return refuse(addr, blob, 'revoked', null);
    if (found.some((e) => !e.revoked && e.blob.equals(blob))) return { ok: true };
    const sameType = found.find((e) => !e.revoked && e.type === type);
    if (sameType)
      return refuse(addr, blob, 'changed', `${sameType.type} ${sha256Fingerprint(sameType.blob)} at ${this.file} line ${sameType.line}`);
    const other = found.filter((e) => !e.revoked);
    // Known only with another key type: not proof of interception, but not pinned either.
    return refuse(addr, blob, 'unknown', other.length ? other.map((e) => `${e.type} at line ${e.line}`).join(', ') : null);
  }

  pinnedTypes(addr: HostAddress): string[] {
    try {
      return [
        ...new Set(
          entriesFor(this.load(), knownHostsName(addr.host, addr.port))
            .filter((e) => !e.revoked)
            .map((e) => e.type),
        ),
      ];
    } catch {
      return [];
    }
  }
}

/** { fingerprints: { host: "SHA256:..." } }: keyed by the configured label ("10.1.2.3:2222"), "host:port" or "host". */
export class FingerprintPolicy implements HostKeyPolicy {
  private readonly pins = new Map<string, string>();
  constructor(fingerprints: Record<string, string>) {
    for (const [k, v] of Object.entries(fingerprints)) this.pins.set(k.toLowerCase(), normalizeFingerprint(v));
  }

  private pinFor(addr: HostAddress): string | undefined {
    return (
      this.pins.get(addr.label.toLowerCase()) ??
      this.pins.get(`${addr.host}:${addr.port}`.toLowerCase()) ??
      this.pins.get(addr.host.toLowerCase())
    );
  }

  verify(addr: HostAddress, blob: Buffer): HostKeyVerdict {
    const pin = this.pinFor(addr);
    if (pin === undefined) return refuse(addr, blob, 'unknown', null);
    return pin === sha256Fingerprint(blob) ? { ok: true } : refuse(addr, blob, 'changed', pin);
  }

  pinnedTypes(): string[] {
    return [];
  }
}
