import { UserError } from '../../common/errors.js';
import { DEFAULT_LIMITS } from '../../common/xml/limits.js';
import type { Logger } from '../../common/log.js';
import type { VcenterSourceConfig } from '../../config/load.js';
import { resolveSecret } from '../../config/secret-refs.js';
import type { Machine, PollStats, SampleSink, SourceCollector, SourceSummary } from '../../model/index.js';
import { explained } from './errors.js';
import { readInventory, type PerfTarget } from './inventory.js';
import { PerfPoller } from './perf.js';
import { VimSession } from './session.js';
import { VimClient } from './soap/client.js';
import { loadLedger, saveLedger } from './ledger-file.js';

/** A URL without any user info: safe for logs and outputs. */
export function publicUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

export interface VcenterCollectorOptions {
  log: Logger;
  /** Called after each inventory page (objects in the page), for progress on a terminal. */
  onInventoryPage?: (objects: number) => void;
}

/** One vCenter: one keep-alive connection pool, one session, inventory and realtime perf. */
export class VcenterCollector implements SourceCollector {
  readonly name: string;
  readonly kind = 'vcenter' as const;
  readonly pollIntervalSec: number;
  readonly client: VimClient;
  readonly session: VimSession;
  readonly perf: PerfPoller;
  readonly #cfg: VcenterSourceConfig;
  readonly #opts: VcenterCollectorOptions;
  #targets: PerfTarget[] | null = null;
  #discoveredAt = 0;

  constructor(cfg: VcenterSourceConfig, opts: VcenterCollectorOptions) {
    this.#cfg = cfg;
    this.#opts = opts;
    this.name = cfg.name;
    this.pollIntervalSec = cfg.pollIntervalSec;
    const log = opts.log.child({ source: cfg.name });
    this.client = new VimClient({
      url: cfg.url,
      tls: cfg.tls,
      timeoutMs: cfg.timeoutSec * 1000,
      limits: { ...DEFAULT_LIMITS, maxBytes: cfg.limits.maxResponseMB * 1024 * 1024, maxElements: cfg.limits.maxElements },
      connections: cfg.perf.concurrency + 1,
      log,
      tlsKeyPath: `${cfg.name}.tls`,
    });
    this.session = new VimSession(this.client, {
      username: cfg.username,
      password: () => resolveSecret(cfg.password, `${cfg.name}.password`),
      log,
    });
    const ledger = cfg.perf.stateFile ? loadLedger(cfg.perf.stateFile) : undefined;
    this.perf = new PerfPoller(this.session, { ...cfg.perf, log }, ledger);
  }

  get endpoint(): string {
    return publicUrl(this.#cfg.url);
  }

  /** Reads the inventory; wire errors come out as the administrator's errors. */
  discover(): Promise<{ source: SourceSummary; machines: Machine[] }> {
    return explained(() => this.#discover());
  }

  async #discover(): Promise<{ source: SourceSummary; machines: Machine[] }> {
    await this.session.ensure();
    const content = await this.session.serviceContent();
    const inv = await readInventory(this.session, {
      source: this.name,
      pageSize: this.#cfg.inventory.pageSize,
      onPage: this.#opts.onInventoryPage,
    });
    this.#targets = inv.targets;
    this.#discoveredAt = Date.now();
    const about: Record<string, string> = {};
    for (const k of ['instanceUuid', 'fullName', 'version', 'build', 'apiType', 'apiVersion']) {
      const v = content.about[k];
      if (v) about[k] = v;
    }
    if (!about.instanceUuid) {
      throw new UserError(`${this.client.endpoint} reports no about.instanceUuid; it is not a vCenter Server.`, {
        fix: 'Point url at vCenter (https://<vcenter>/sdk); standalone ESXi hosts are not supported.',
        code: 'VCENTER_NOT_VCENTER',
      });
    }
    return {
      source: {
        name: this.name,
        kind: 'vcenter',
        endpoint: this.endpoint,
        about,
        machines: inv.machines.length,
        templatesSkipped: inv.templatesSkipped,
        discoveredAt: new Date(this.#discoveredAt).toISOString(),
        errors: inv.problems,
      },
      machines: inv.machines,
    };
  }

  /** One perf cycle; discovers first when the inventory is missing, older than inventoryIntervalSec, or a VM vanished. */
  poll(sink: SampleSink): Promise<PollStats> {
    return explained(() => this.#poll(sink));
  }

  async #poll(sink: SampleSink): Promise<PollStats> {
    let targets = this.#targets;
    if (!targets || this.perf.inventoryStale || Date.now() - this.#discoveredAt > this.#cfg.inventoryIntervalSec * 1000) {
      await this.#discover();
      this.perf.inventoryStale = false;
      targets = this.#targets ?? [];
    }
    const requestsBefore = this.client.requests;
    const stats = await this.perf.poll(targets, sink);
    if (this.perf.missingCounters.length) stats.errors.push(`counters missing on this vCenter: ${this.perf.missingCounters.join(', ')}`);
    if (this.#cfg.perf.stateFile) {
      try {
        saveLedger(this.#cfg.perf.stateFile, this.perf.ledger);
      } catch (err) {
        // The samples are already delivered; only a restart would re-read them. Say so, do not fail the poll.
        stats.errors.push(
          `cannot save perf.stateFile ${this.#cfg.perf.stateFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); after a restart the last hour may be read again`,
        );
      }
    }
    this.#opts.log.debug({ source: this.name, ...stats, roundTrips: this.client.requests - requestsBefore }, 'vCenter poll done');
    return stats;
  }

  async close(): Promise<void> {
    await this.session.logout();
    await this.client.close();
  }
}
