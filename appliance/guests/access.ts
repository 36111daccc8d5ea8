// Guest access (issue 12): for each discovered machine, the configured guestCredentials of its OS are tried
// against its IP addresses, as Azure Migrate does; a physical source's machines use that source's own
// credential. A success is remembered per machine (GuestAccessStore, and the open connection is kept for the
// pollers); failures are reported per machine with the reason and retried no faster than the back-off. Linux
// credentials go only to hosts whose SSH key is pinned (checked during key exchange, before authentication);
// Windows follows the WinRM trust rules of collectors/windows. Nothing here ever throws for one guest.
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig, SourceConfig } from '../../config/load.js';
import type { GuestCredential } from '../../config/schema/guest.js';
import type { GuestAccessFailure, GuestOs, GuestReader } from '../../model/guest.js';
import type { Machine } from '../../model/index.js';
import type { GuestAccessStatus, GuestAccessStore } from '../../queue/guest-access-store.js';
import { parseHostAddress } from '../../collectors/ssh/index.js';
import { DEFAULT_GUEST_BACKOFF, nextAttemptAt, type BackoffPolicy } from './backoff.js';
import { classifyGuestError, FAILURE_RANK } from './failure.js';

/** An address and port to try, with the credentials for it (tried in order). */
export interface GuestTarget {
  host: string;
  port?: number;
}

export interface GuestCandidate {
  /** Name reported in the status: the guestCredentials entry, or "source:<name>" for a physical source's own. */
  name: string;
  os: GuestOs;
  /** A GuestCredential, or the physical source's config (same field names for user, secrets and host keys). */
  cred: unknown;
  /** The port for this credential (undefined: the protocol's default). */
  port?: number;
}

export type GuestOpener = (target: GuestTarget, cred: unknown, opts: { log: Logger; timeoutMs: number }) => Promise<GuestReader>;

export interface GuestAccessOptions {
  log: Logger;
  store: GuestAccessStore;
  /** Handshake / open deadline per attempt. */
  timeoutMs?: number;
  backoff?: BackoffPolicy;
  clock?: () => number;
  /** The readers per OS (default: collectors/linux and collectors/windows, loaded when first used). */
  openers?: Partial<Record<GuestOs, GuestOpener>>;
  /** Overrides the addresses tried for a machine (the benchmark's lab guests listen on many ports of 127.0.0.1). */
  targets?: (m: Machine) => GuestTarget[];
}

interface Open {
  reader: GuestReader;
  ip: string;
  credential: string;
}

/** The guest OS of a machine: its family when the source knows it, else from the OS name; null when unknown. */
export function guestOsOf(m: Machine): GuestOs | null {
  if (m.os.family) return m.os.family;
  const n = `${m.os.name ?? ''} ${m.os.id ?? ''}`;
  if (/windows|win\d|microsoft/i.test(n)) return 'windows';
  if (/linux|ubuntu|debian|cent ?os|red ?hat|rhel|suse|sles|oracle|rocky|alma|fedora|amazon|photon|coreos/i.test(n)) return 'linux';
  return null;
}

const defaultOpeners: Record<GuestOs, () => Promise<GuestOpener>> = {
  linux: async () => {
    const { openLinuxGuest } = await import('../../collectors/linux/guest-reader.js');
    return (target, cred, opts) => openLinuxGuest(target, cred as Parameters<typeof openLinuxGuest>[1], opts);
  },
  windows: async () => {
    const { openWindowsGuest } = await import('../../collectors/windows/guest-reader.js');
    return (target, cred, opts) => openWindowsGuest(target, cred as Parameters<typeof openWindowsGuest>[1], opts);
  },
};

export class GuestAccess {
  readonly #open = new Map<string, Open>();
  readonly #openers = new Map<GuestOs, GuestOpener>();
  readonly #attempting = new Map<string, Promise<GuestReader | null>>();
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  readonly #backoff: BackoffPolicy;
  /** Attempts made (each address x credential tried), for tests and the benchmark. */
  attempts = 0;

  constructor(
    private config: CollectorConfig,
    private readonly opts: GuestAccessOptions,
  ) {
    this.#clock = opts.clock ?? Date.now;
    this.#timeoutMs = opts.timeoutMs ?? 20_000;
    this.#backoff = opts.backoff ?? DEFAULT_GUEST_BACKOFF;
    for (const [os, o] of Object.entries(opts.openers ?? {})) if (o) this.#openers.set(os as GuestOs, o);
  }

  private async opener(os: GuestOs): Promise<GuestOpener> {
    let o = this.#openers.get(os);
    if (!o) {
      o = await defaultOpeners[os]();
      this.#openers.set(os, o);
    }
    return o;
  }

  /**
   * The physical source (linux or windows) that reads this machine directly, if any: its own source, or for a VM
   * that is also a configured physical server (one machine after the BIOS UUID merge), the source in seenBy.
   */
  #physicalSourceOf(m: Machine): Extract<SourceConfig, { kind: 'linux' | 'windows' }> | undefined {
    for (const name of [m.source, ...(m.seenBy ?? [])]) {
      const src = this.config.sources.find((s) => s.name === name);
      if (src && (src.kind === 'linux' || src.kind === 'windows')) return src;
    }
    return undefined;
  }

  /** The credentials to try for a machine, in order: physical sources use their own; VMs the guestCredentials of their OS. */
  candidates(m: Machine): GuestCandidate[] {
    const src = this.#physicalSourceOf(m);
    if (src) return [{ name: `source:${src.name}`, os: src.kind, cred: src }];
    const os = guestOsOf(m);
    const creds = this.config.guestCredentials.filter((c: GuestCredential) => os === null || c.os === os);
    // An OS the source could not name: Linux credentials first (a refused SSH key exchange sends nothing).
    creds.sort((a, b) => (a.os === b.os ? 0 : a.os === 'linux' ? -1 : 1));
    return creds.map((c) => ({ name: c.name, os: c.os, cred: c, port: c.os === 'windows' ? c.port : undefined }));
  }

  /** Addresses to try: a physical source's configured host for this machine; a VM's IP addresses. */
  targets(m: Machine): GuestTarget[] {
    if (this.opts.targets) return this.opts.targets(m);
    const src = this.#physicalSourceOf(m);
    if (src) {
      // The host entry the collector read it through: never guess from the addresses the server reports about itself.
      if (m.address) {
        const a = parseHostAddress(m.address, src.kind === 'linux' ? 22 : 0);
        return [{ host: a.host, port: a.port || undefined }];
      }
      const names = new Set([m.name, m.fqdn ?? '', ...m.ipAddresses].filter(Boolean).map((n) => n.toLowerCase()));
      const labels = src.hosts.map((h) => parseHostAddress(h, src.kind === 'linux' ? 22 : 0));
      const match = labels.filter((a) => names.has(a.host.toLowerCase()) || names.has(a.host.toLowerCase().split('.')[0] ?? ''));
      const use = match.length ? match : labels.length === 1 ? labels : [];
      if (use.length) return use.map((a) => ({ host: a.host, port: a.port || undefined }));
    }
    return [...new Set(m.ipAddresses)]
      .filter((ip) => !/^(127\.|::1$|fe80:|169\.254\.)/i.test(ip))
      .sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')))
      .map((host) => ({ host }));
  }

  /** Replaces the config (after an edit); open connections are closed so that new credentials apply. */
  async reconfigure(config: CollectorConfig): Promise<void> {
    this.config = config;
    await this.closeAll();
  }

  isOpen(machine: string): boolean {
    return this.#open.has(machine);
  }

  /**
   * The open reader of a machine, opening it if its back-off allows; null when it cannot be reached now (the
   * reason is in the store). Concurrent callers for one machine share one attempt.
   */
  async reader(m: Machine): Promise<GuestReader | null> {
    const o = this.#open.get(m.id);
    if (o) return o.reader;
    let p = this.#attempting.get(m.id);
    if (!p) {
      p = this.#attempt(m).finally(() => this.#attempting.delete(m.id));
      this.#attempting.set(m.id, p);
    }
    return p;
  }

  /** A read on an open reader failed: the connection is dropped and the failure counts towards the back-off. */
  async failed(m: Machine, err: unknown): Promise<void> {
    const o = this.#open.get(m.id);
    this.#open.delete(m.id);
    await o?.reader.close().catch(() => {});
    const prev = await this.opts.store.get(m.id).catch(() => null);
    await this.#saveFailure(m, prev, classifyGuestError(err), errorMessage(err), o?.ip ?? null);
  }

  async #attempt(m: Machine): Promise<GuestReader | null> {
    const now = this.#clock();
    const prev = await this.opts.store.get(m.id).catch(() => null);
    if (prev?.nextAttempt && now < prev.nextAttempt && prev.failure) return null;
    const targets = this.targets(m);
    const candidates = this.candidates(m);
    if (targets.length === 0) return this.#fail(m, prev, 'no-ip', 'the machine has no IP address the appliance can use', null);
    if (candidates.length === 0) {
      const os = guestOsOf(m);
      return this.#fail(m, prev, 'error', `no guestCredentials entry for os: ${os ?? 'linux or windows'}`, targets[0]?.host ?? null);
    }
    // The remembered success first.
    if (prev?.credential) candidates.sort((a, b) => Number(b.name === prev.credential) - Number(a.name === prev.credential));
    if (prev?.ip) targets.sort((a, b) => Number(b.host === prev.ip) - Number(a.host === prev.ip));
    const failures: { reason: GuestAccessFailure; text: string; ip: string }[] = [];
    for (const t of targets) {
      const deadPorts = new Set<number | undefined>();
      for (const c of candidates) {
        const port = t.port ?? c.port;
        // A closed or silent port is closed for every credential.
        if (deadPorts.has(port)) continue;
        this.attempts++;
        try {
          const opener = await this.opener(c.os);
          const reader = await opener({ host: t.host, port }, c.cred, { log: this.opts.log, timeoutMs: this.#timeoutMs });
          this.#open.set(m.id, { reader, ip: t.host, credential: c.name });
          await this.opts.store
            .set({
              machine: m.id,
              machineName: m.name,
              os: c.os,
              ip: t.host,
              credential: c.name,
              failure: null,
              reason: null,
              failures: 0,
              lastAttempt: now,
              lastSuccess: now,
              nextAttempt: null,
            })
            .catch(() => {});
          this.opts.log.info({ machine: m.name, ip: t.host, credential: c.name }, 'guest reachable');
          return reader;
        } catch (err) {
          const reason = classifyGuestError(err);
          failures.push({ reason, text: `${t.host}${port ? `:${port}` : ''} with ${c.name}: ${errorMessage(err)}`, ip: t.host });
          if (reason === 'port-closed' || reason === 'timeout') deadPorts.add(port);
        }
      }
    }
    failures.sort((a, b) => FAILURE_RANK.indexOf(a.reason) - FAILURE_RANK.indexOf(b.reason));
    const best = failures[0];
    return this.#fail(
      m,
      prev,
      best?.reason ?? 'error',
      failures
        .map((f) => f.text)
        .join('; ')
        .slice(0, 2000),
      best?.ip ?? null,
    );
  }

  async #fail(m: Machine, prev: GuestAccessStatus | null, reason: GuestAccessFailure, text: string, ip: string | null): Promise<null> {
    await this.#saveFailure(m, prev, reason, text, ip);
    return null;
  }

  async #saveFailure(
    m: Machine,
    prev: GuestAccessStatus | null,
    reason: GuestAccessFailure,
    text: string,
    ip: string | null,
  ): Promise<void> {
    const now = this.#clock();
    const failures = (prev?.failure ? prev.failures : 0) + 1;
    const status: GuestAccessStatus = {
      machine: m.id,
      machineName: m.name,
      os: guestOsOf(m),
      ip,
      credential: null,
      failure: reason,
      reason: text,
      failures,
      lastAttempt: now,
      lastSuccess: prev?.lastSuccess ?? null,
      nextAttempt: nextAttemptAt(now, failures, this.#backoff),
    };
    await this.opts.store.set(status).catch(() => {});
    this.opts.log.warn({ machine: m.name, reason, failures, detail: text }, 'guest not reachable');
  }

  /** Forgets machines no longer in the inventory (closing their connections and removing their status). */
  async prune(present: Set<string>): Promise<void> {
    for (const [id, o] of this.#open) {
      if (present.has(id)) continue;
      this.#open.delete(id);
      await o.reader.close().catch(() => {});
    }
    for (const s of await this.opts.store.list().catch(() => [])) if (!present.has(s.machine)) await this.opts.store.remove(s.machine);
  }

  async closeAll(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(all.map((o) => o.reader.close().catch(() => {})));
  }
}
