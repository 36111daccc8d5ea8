// The guest pollers of `collector run` (issue 12): software inventory every software.intervalHours and TCP
// connections every dependencies.pollIntervalSec, for the machines whose source (or the global setting) enables
// them. Bounded concurrency, a deadline per guest; a guest that cannot be reached is reported by GuestAccess and
// skipped, never holding up the others or the rest of the collection.
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import type { DependencySettings, SoftwareSettings } from '../../config/schema/guest-settings.js';
import type { Machine } from '../../model/index.js';
import type { InventoryStore } from '../../queue/inventory-store.js';
import type { SoftwareStore } from '../../queue/software-store.js';
import type { DependencyStore } from '../../rollup/dependency-store.js';
import type { GuestAccess } from './access.js';

/** guests: of the last round; read, unreachable, failed: totals since the pollers started. */
export interface GuestPollStats {
  polls: number;
  guests: number;
  read: number;
  unreachable: number;
  failed: number;
  lastPollAt: number | null;
  lastPollMs: number | null;
}

const emptyStats = (): GuestPollStats => ({ polls: 0, guests: 0, read: 0, unreachable: 0, failed: 0, lastPollAt: null, lastPollMs: null });

export interface GuestPollerDeps {
  log: Logger;
  access: GuestAccess;
  inventory: Pick<InventoryStore, 'machines'>;
  software: SoftwareStore;
  dependencies: DependencyStore;
  clock?: () => number;
  /** Guests read at once (default 64). */
  concurrency?: number;
  /** Deadline per guest and read (default 60 s). */
  deadlineMs?: number;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s (deadline)`), { failure: 'timeout' })),
      ms,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The effective settings of a machine's source: its own when set, else the global ones. */
export function guestSettingsOf(config: CollectorConfig, source: string): { software: SoftwareSettings; dependencies: DependencySettings } {
  const src = config.sources.find((s) => s.name === source) as
    | { software?: SoftwareSettings; dependencies?: DependencySettings }
    | undefined;
  return { software: src?.software ?? config.software, dependencies: src?.dependencies ?? config.dependencies };
}

export class GuestPollers {
  readonly softwareStats = emptyStats();
  readonly dependencyStats = emptyStats();
  readonly #clock: () => number;
  readonly #concurrency: number;
  readonly #deadlineMs: number;
  /** Last software read per machine (epoch ms), so that each machine is read once per intervalHours. */
  readonly #softwareAt = new Map<string, number>();
  /** Last connection snapshot per machine, for sources whose pollIntervalSec is longer than the tick. */
  readonly #depsAt = new Map<string, number>();

  constructor(
    private config: CollectorConfig,
    private readonly deps: GuestPollerDeps,
  ) {
    this.#clock = deps.clock ?? Date.now;
    this.#concurrency = deps.concurrency ?? 64;
    this.#deadlineMs = deps.deadlineMs ?? 60_000;
  }

  reconfigure(config: CollectorConfig): void {
    this.config = config;
  }

  async #machines(): Promise<Machine[]> {
    const all = await this.deps.inventory.machines();
    await this.deps.access.prune(new Set(all.map((m) => m.id)));
    // Powered-off VMs have no guest to read.
    return all.filter((m) => m.powerState === 'poweredOn');
  }

  /** One software round: machines whose software is enabled and due. */
  async pollSoftware(): Promise<GuestPollStats> {
    const t0 = this.#clock();
    const stats = this.softwareStats;
    const machines = (await this.#machines()).filter((m) => {
      const s = guestSettingsOf(this.config, m.source).software;
      const at = this.#softwareAt.get(m.id);
      return s.enabled && (at === undefined || t0 - at >= s.intervalHours * 3_600_000 - 60_000);
    });
    stats.polls++;
    stats.guests = machines.length;
    await eachLimited(machines, this.#concurrency, async (m) => {
      const reader = await this.deps.access.reader(m).catch(() => null);
      if (!reader) {
        stats.unreachable++;
        return;
      }
      try {
        const sw = await withDeadline(reader.software(), this.#deadlineMs, `${m.name}: software`);
        await this.deps.software.save({ machine: m.id, collectedAt: new Date(this.#clock()).toISOString(), ...sw });
        this.#softwareAt.set(m.id, t0);
        stats.read++;
      } catch (err) {
        stats.failed++;
        this.deps.log.warn({ machine: m.name, err: errorMessage(err) }, 'software inventory failed');
        await this.deps.access.failed(m, err);
      }
    });
    stats.lastPollAt = t0;
    stats.lastPollMs = this.#clock() - t0;
    return stats;
  }

  /** One dependency round: a connection snapshot of every machine whose dependencies are enabled. */
  async pollDependencies(): Promise<GuestPollStats> {
    const t0 = this.#clock();
    const stats = this.dependencyStats;
    const all = await this.#machines();
    const machines = all.filter((m) => {
      const d = guestSettingsOf(this.config, m.source).dependencies;
      const at = this.#depsAt.get(m.id);
      // 10 % slack: a tick a little early still polls (ticks drift by the poll's own duration).
      return d.enabled && (at === undefined || t0 - at >= d.pollIntervalSec * 900);
    });
    // IPs resolve to discovered machines through the inventory (every source, merged).
    const byIp = new Map<string, string>();
    for (const m of all) for (const ip of m.ipAddresses) if (!byIp.has(ip.toLowerCase())) byIp.set(ip.toLowerCase(), m.id);
    // Listening ports of every machine as of its last snapshot, read once per round (not once per guest).
    const listeners = await this.deps.dependencies.listeners();
    const resolve = {
      machineOfIp: (ip: string) => byIp.get(ip.toLowerCase()) ?? null,
      processOfListener: (machine: string, port: number) => listeners.get(machine)?.get(port) ?? null,
    };
    stats.polls++;
    stats.guests = machines.length;
    await eachLimited(machines, this.#concurrency, async (m) => {
      const reader = await this.deps.access.reader(m).catch(() => null);
      if (!reader) {
        stats.unreachable++;
        return;
      }
      try {
        const ts = this.#clock();
        this.#depsAt.set(m.id, t0);
        const r = await withDeadline(reader.sockets(), this.#deadlineMs, `${m.name}: connections`);
        await this.deps.dependencies.record({ machine: m.id, ts, sockets: r.sockets, notes: r.notes }, resolve);
        stats.read++;
      } catch (err) {
        stats.failed++;
        this.deps.log.warn({ machine: m.name, err: errorMessage(err) }, 'connection snapshot failed');
        await this.deps.access.failed(m, err);
      }
    });
    stats.lastPollAt = t0;
    stats.lastPollMs = this.#clock() - t0;
    return stats;
  }
}

/** The tick of the dependency poller: the shortest enabled pollIntervalSec (global or per source). */
export function dependencyTickSec(config: CollectorConfig): number | null {
  const all = [config.dependencies, ...config.sources.map((s) => (s as { dependencies?: DependencySettings }).dependencies)].filter(
    (d): d is DependencySettings => d?.enabled === true,
  );
  const sources = config.sources.filter((s) => s.enabled);
  // The global setting applies only to sources without their own.
  const globalUsed = config.dependencies.enabled && sources.some((s) => !(s as { dependencies?: DependencySettings }).dependencies);
  const used = all.filter((d) => d !== config.dependencies || globalUsed);
  return used.length ? Math.min(...used.map((d) => d.pollIntervalSec)) : null;
}

export function softwareEnabled(config: CollectorConfig): boolean {
  const sources = config.sources.filter((s) => s.enabled);
  return sources.some((s) => guestSettingsOf(config, s.name).software.enabled);
}
