// The Linux source: servers read over SSH, one long-lived connection each. Inventory is one fixed command
// (every 3 h by default); performance is one fixed command every 30 s, turned into rates by two readings.
// One host failing (down, refusing the key, slow) is reported and never delays the others.
import { errorMessage, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { LinuxSourceConfig } from '../../config/schema/physical.js';
import type { Machine, PollStats, SampleSink, SourceCollector, SourceSummary } from '../../model/index.js';
import {
  FingerprintPolicy,
  KnownHostsPolicy,
  parseHostAddress,
  SshBackoffError,
  SshHostSession,
  type HostKeyPolicy,
  type SshCredentials,
} from '../ssh/index.js';
import { INVENTORY_COMMAND, MARKER, PERF_COMMAND } from './commands.js';
import { resolveCredentials } from './credentials.js';
import { fixFor, toUserError } from './fixes.js';
import { parseInventory, type LinuxInventory } from './inventory.js';
import { parsePerf } from './procfs.js';
import { LinuxRates } from './rates.js';

/** Inventory output: os-release, lsblk and ip JSON of a big server stay far below this. */
const INVENTORY_MAX_BYTES = 4 * 1024 * 1024;
/** Perf output: /proc/stat and /proc/diskstats grow with CPUs and devices; 1,000s of each fit. */
const PERF_MAX_BYTES = 8 * 1024 * 1024;

interface HostState {
  label: string;
  session: SshHostSession;
  rates: LinuxRates;
  inventory: LinuxInventory | null;
  inventoryAt: number;
}

/** Runs fn over items with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface LinuxCollectorOptions {
  log: Logger;
  /** Back-off of a failing host (tests shorten it). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class LinuxCollector implements SourceCollector {
  readonly kind = 'linux' as const;
  readonly name: string;
  readonly pollIntervalSec: number;
  private readonly hosts: HostState[];
  private readonly policy: HostKeyPolicy;
  private creds: SshCredentials | null = null;
  private readonly log: Logger;

  constructor(
    private readonly cfg: LinuxSourceConfig,
    opts: LinuxCollectorOptions,
  ) {
    this.name = cfg.name;
    this.pollIntervalSec = cfg.pollIntervalSec;
    this.log = opts.log;
    this.policy = 'file' in cfg.hostKeys ? new KnownHostsPolicy(cfg.hostKeys.file) : new FingerprintPolicy(cfg.hostKeys.fingerprints);
    const seen = new Set<string>();
    this.hosts = [];
    for (const label of cfg.hosts) {
      if (seen.has(label.toLowerCase())) continue;
      seen.add(label.toLowerCase());
      const addr = parseHostAddress(label);
      const session = new SshHostSession(addr, this.policy, () => this.credentials(), {
        readyTimeoutMs: cfg.timeoutSec * 1000,
        backoffBaseMs: opts.backoffBaseMs,
        backoffMaxMs: opts.backoffMaxMs,
      });
      this.hosts.push({ label, session, rates: new LinuxRates(), inventory: null, inventoryAt: 0 });
    }
  }

  private credentials(): SshCredentials {
    // Resolved when first needed and again at each discovery; a config error here is the same for every host.
    this.creds ??= resolveCredentials(this.cfg);
    return this.creds;
  }

  /** Sessions, for diagnostics and the benchmark (connections held, commands run). */
  get sessions(): SshHostSession[] {
    return this.hosts.map((h) => h.session);
  }

  private hostError(h: HostState, err: unknown, what: string): string {
    const fix = err instanceof UserError ? err.fix : fixFor(err, this.cfg);
    const quiet = err instanceof SshBackoffError;
    if (!quiet) this.log.warn({ source: this.cfg.name, host: h.label, err: errorMessage(err) }, `Linux: ${what} failed`);
    return `${h.label}: ${what} failed: ${errorMessage(err)}${fix ? ` (fix: ${fix})` : ''}`;
  }

  /** Runs a fixed command; output without the end marker means the shell never ran it through (e.g. nologin). */
  private async run(h: HostState, command: string, maxBytes: number): Promise<string> {
    const r = await h.session.exec(command, { timeoutMs: this.cfg.timeoutSec * 1000, maxBytes });
    if (!r.stdout.includes(`${MARKER}end`)) {
      const said = (r.stderr.trim() || r.stdout.trim()).split('\n')[0]?.slice(0, 200) ?? '';
      throw new UserError(`${h.label}: the command did not run to its end (exit code ${r.exitCode ?? 'none'}${said ? `: ${said}` : ''}).`, {
        fix: `The account ${this.cfg.username} needs a POSIX login shell (not nologin or a restricted shell) whose start-up files print nothing.`,
        code: 'LINUX_COMMAND',
      });
    }
    return r.stdout;
  }

  private async readInventory(h: HostState): Promise<void> {
    const text = await this.run(h, INVENTORY_COMMAND, INVENTORY_MAX_BYTES);
    h.inventory = parseInventory(text, {
      source: this.cfg.name,
      label: h.label,
      includeVirtualNics: this.cfg.includeVirtualNics,
      includeNics: this.cfg.includeNics,
    });
    h.inventoryAt = Date.now();
  }

  async discover(): Promise<{ source: SourceSummary; machines: Machine[] }> {
    const errors: string[] = [];
    let failures = 0;
    let firstError: unknown = null;
    // Re-read the secrets: a corrected password or key file is picked up by the next discovery.
    this.creds = null;
    await eachLimited(this.hosts, this.cfg.concurrency, async (h) => {
      // A discovery is the deliberate retry after refused credentials or an unpinned key.
      h.session.resetBackoff();
      try {
        await this.readInventory(h);
      } catch (err) {
        failures++;
        firstError ??= err;
        errors.push(this.hostError(h, err, 'inventory'));
      }
    });
    if (this.hosts.length > 0 && failures === this.hosts.length) throw toUserError(firstError, this.cfg);
    const machines: Machine[] = [];
    const byId = new Map<string, HostState>();
    for (const h of this.hosts) {
      const m = h.inventory?.machine;
      if (!m) continue;
      const twin = byId.get(m.id);
      if (twin) {
        errors.push(`${h.label}: the same server as ${twin.label} (BIOS UUID / machine-id ${m.instanceId}); listed once`);
        continue;
      }
      byId.set(m.id, h);
      machines.push(m);
    }
    return {
      source: {
        name: this.cfg.name,
        kind: 'linux',
        endpoint: this.hosts.length === 1 ? `ssh://${this.hosts[0]?.label}` : `ssh (${this.hosts.length} hosts)`,
        about: { hosts: this.hosts.map((h) => h.label).join(','), username: this.cfg.username },
        machines: machines.length,
        templatesSkipped: 0,
        discoveredAt: new Date().toISOString(),
        errors: errors.sort(),
      },
      machines,
    };
  }

  async poll(sink: SampleSink): Promise<PollStats> {
    const errors: string[] = [];
    let samples = 0;
    let polled = 0;
    let requests = 0;
    let failures = 0;
    let firstError: unknown = null;
    await eachLimited(this.hosts, this.cfg.concurrency, async (h) => {
      try {
        if (!h.inventory || Date.now() - h.inventoryAt > this.cfg.inventoryIntervalSec * 1000) {
          requests++;
          await this.readInventory(h);
        }
        const inv = h.inventory;
        if (!inv) return;
        requests++;
        const text = await this.run(h, PERF_COMMAND, PERF_MAX_BYTES);
        const out = h.rates.next(parsePerf(text), inv.machine.id, inv.diskNames, inv.nicNames, Date.now());
        if (out.reset === 'reboot') this.log.info({ host: h.label }, 'Linux: the server rebooted; this reading is the new baseline');
        if (out.skipped.length)
          errors.push(`${h.label}: counters went backwards (reset, not a wrap) for ${out.skipped.join(', ')}; no point this interval`);
        if (out.samples.length) {
          await sink(out.samples);
          samples += out.samples.length;
          polled++;
        }
      } catch (err) {
        failures++;
        firstError ??= err;
        errors.push(this.hostError(h, err, 'performance poll'));
      }
    });
    if (this.hosts.length > 0 && failures === this.hosts.length && firstError) throw toUserError(firstError, this.cfg);
    return { machinesPolled: polled, samples, requests, errors: errors.sort() };
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.session.close()));
  }
}
