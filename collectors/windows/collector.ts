// The Windows-server source: every configured host is one physical server read over WinRM/CIM. Inventory
// per server (refreshed every inventoryIntervalSec), raw perf counters every pollIntervalSec on one
// keep-alive connection per server; at most `concurrency` servers in flight, and one server failing
// (down, refusing the credentials, denying access) never stops the others.
import { errorMessage, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import { resolveSecret } from '../../config/secret-refs.js';
import type { WindowsSourceConfig } from '../../config/schema/physical.js';
import type { Machine, PollStats, SampleSink, SourceCollector, SourceSummary } from '../../model/index.js';
import { WsmanAuthError } from '../wsman/index.js';
import { toMachine, type ServerInventory } from './inventory.js';
import { ServerSampler } from './perf.js';
import { readInventory, readPerf } from './reader.js';
import { serverAddress, ServerSession } from './session.js';

interface ServerState {
  session: ServerSession;
  sampler: ServerSampler;
  inventory: ServerInventory | null;
  inventoryAt: number;
  /** Credentials refused: not retried until the next discovery, so the account is not locked out. */
  authFailed: string | null;
}

/** Runs fn over items with at most `limit` in flight. */
export async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class WindowsCollector implements SourceCollector {
  readonly kind = 'windows' as const;
  readonly name: string;
  readonly pollIntervalSec: number;
  private readonly servers: ServerState[];
  private secret: Secret | null = null;

  constructor(
    private readonly cfg: WindowsSourceConfig,
    private readonly log: Logger,
  ) {
    this.name = cfg.name;
    this.pollIntervalSec = cfg.pollIntervalSec;
    const password = (): Secret => {
      // Resolved when first needed, so a rotated secret is picked up by a new collector.
      this.secret ??= resolveSecret(cfg.password, `sources.${cfg.name}.password`);
      return this.secret;
    };
    const seen = new Set<string>();
    this.servers = [];
    for (const entry of cfg.hosts) {
      const where = serverAddress(cfg, entry);
      const key = `${where.address}|${where.httpsPort}|${where.httpPort}`.toLowerCase();
      if (seen.has(key)) continue; // the same server listed twice is read once
      seen.add(key);
      this.servers.push({
        session: new ServerSession(where, cfg, password, log),
        sampler: new ServerSampler(),
        inventory: null,
        inventoryAt: 0,
        authFailed: null,
      });
    }
  }

  /** Open keep-alive connections (one per server that answered). */
  get connections(): number {
    return this.servers.filter((s) => s.session.connected).length;
  }

  private async refreshInventory(s: ServerState): Promise<void> {
    const data = await s.session.run((r) => readInventory(s.session.name, r));
    s.inventory = toMachine(data, { source: this.cfg.name, host: s.session.name, includeVirtualNics: this.cfg.includeVirtualNics });
    s.inventoryAt = Date.now();
  }

  private serverError(s: ServerState, err: unknown, what: string): string {
    if (err instanceof WsmanAuthError) s.authFailed = errorMessage(err);
    const fix = err instanceof UserError && err.fix ? ` Fix: ${err.fix}` : '';
    this.log.warn({ source: this.cfg.name, host: s.session.name, err: errorMessage(err) }, `Windows: ${what} failed`);
    return `${s.session.name}: ${what} failed: ${errorMessage(err)}${fix}`;
  }

  async discover(): Promise<{ source: SourceSummary; machines: Machine[] }> {
    const errors: string[] = [];
    let failures = 0;
    let firstError: unknown = null;
    await eachLimited(this.servers, this.cfg.concurrency, async (s) => {
      s.authFailed = null; // a discovery is the deliberate retry after refused credentials
      try {
        await this.refreshInventory(s);
      } catch (err) {
        failures++;
        firstError ??= err;
        errors.push(this.serverError(s, err, 'inventory'));
      }
    });
    if (this.servers.length > 0 && failures === this.servers.length) throw firstError;
    const machines = this.servers.flatMap((s) => (s.inventory ? [s.inventory.machine] : []));
    return {
      source: {
        name: this.cfg.name,
        kind: 'windows',
        endpoint: this.servers.length === 1 ? (this.servers[0]?.session.endpoint ?? '') : `${this.servers.length} servers`,
        about: {
          servers: String(this.servers.length),
          transport: [...new Set(this.servers.map((s) => s.session.endpoint.split(':')[0]))].join(','),
        },
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
    let failures = 0;
    let firstError: unknown = null;
    const before = this.servers.reduce((n, s) => n + s.session.requests, 0);
    await eachLimited(this.servers, this.cfg.concurrency, async (s) => {
      if (s.authFailed) {
        failures++;
        firstError ??= new UserError(
          `${s.session.name}: skipped: the server refused the credentials (${s.authFailed}); not retried until the next discovery, to avoid locking the account out.`,
          {
            fix: 'Correct the username or password of this source; the next discovery tries again.',
            code: 'WSMAN_AUTH',
          },
        );
        errors.push(
          `${s.session.name}: skipped: the server refused the credentials earlier (not retried until the next discovery, to avoid an account lockout)`,
        );
        return;
      }
      try {
        if (!s.inventory || Date.now() - s.inventoryAt >= this.cfg.inventoryIntervalSec * 1000) await this.refreshInventory(s);
        const inv = s.inventory;
        if (!inv) return;
        const readings = await s.session.run((r) => readPerf(s.session.name, r));
        const out = s.sampler.sample(readings, inv.mapping, Date.now());
        if (out.unmapped.length && Date.now() - s.inventoryAt >= 300_000) s.inventoryAt = 0; // a disk was added: re-read the inventory next poll
        if (out.samples.length) {
          await sink(out.samples);
          samples += out.samples.length;
          polled++;
        }
      } catch (err) {
        failures++;
        firstError ??= err;
        errors.push(this.serverError(s, err, 'performance poll'));
      }
    });
    if (this.servers.length > 0 && failures === this.servers.length && firstError) throw firstError;
    const after = this.servers.reduce((n, s) => n + s.session.requests, 0);
    return { machinesPolled: polled, samples, requests: after - before, errors: errors.sort() };
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.session.close()));
  }
}
