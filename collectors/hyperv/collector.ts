// The Hyper-V source: standalone hosts and failover clusters (a cluster name expands to its nodes),
// inventory joined per host, perf sampled per host every 30 s. One host failing (down, refusing the
// credentials) is reported and the others keep collecting; a VM keeps its id across nodes (VM GUID).
import { errorMessage, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import { resolveSecret } from '../../config/secret-refs.js';
import type { HypervSourceConfig } from '../../config/schema/hyperv.js';
import type { Machine, PollStats, Sample, SampleSink, SourceCollector, SourceSummary } from '../../model/index.js';
import { readClusterNodes, readInventory, readPerf } from './host-reader.js';
import { dedupeMachines, joinInventory } from './inventory.js';
import { InventoryMapping } from './perf-mapping.js';
import { PerfSampler } from './perf.js';
import { HostSession } from './session.js';
import { WsmanAuthError, type CimInstance } from '../wsman/index.js';

interface HostState {
  name: string;
  cluster: string | null;
  session: HostSession;
  sampler: PerfSampler;
  machines: Machine[] | null;
  mapping: InventoryMapping | null;
  needsInventory: boolean;
  /** Epoch ms of the last inventory read, to rate-limit refreshes caused by unknown counter instances. */
  inventoryAt: number;
  /** Credentials refused: not retried until the next discovery, so the account is not locked out. */
  authFailed: string | null;
  vhdCache: Map<string, CimInstance | null>;
}

/** At most one inventory refresh per host per this period because of unknown counter instances. */
const UNMAPPED_REFRESH_MS = 300_000;

/** Runs fn over items with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await fn(item);
  });
  await Promise.all(workers);
}

export class HypervCollector implements SourceCollector {
  readonly kind = 'hyperv' as const;
  readonly name: string;
  readonly pollIntervalSec: number;
  private readonly hosts = new Map<string, HostState>();
  private clusterName: string | null = null;
  private expanded = false;
  private secret: Secret | null = null;
  private sourceMapping: InventoryMapping | null = null;

  constructor(
    private readonly cfg: HypervSourceConfig,
    private readonly log: Logger,
  ) {
    this.name = cfg.name;
    this.pollIntervalSec = cfg.pollIntervalSec;
  }

  private password = (): Secret => {
    // Resolved when first needed, so a rotated secret is picked up after a restart of the session.
    this.secret ??= resolveSecret(this.cfg.password, `sources.${this.cfg.name}.password`);
    return this.secret;
  };

  private addHost(name: string, cluster: string | null): HostState {
    const key = name.toLowerCase();
    let h = this.hosts.get(key);
    if (!h) {
      h = {
        name,
        cluster,
        session: new HostSession(name, this.cfg, this.password, this.log),
        sampler: new PerfSampler(),
        machines: null,
        mapping: null,
        needsInventory: true,
        inventoryAt: 0,
        authFailed: null,
        vhdCache: new Map(),
      };
      this.hosts.set(key, h);
    }
    h.cluster = cluster;
    return h;
  }

  /** The hosts to poll: the cluster's nodes (asked of the cluster name) or the standalone host, plus `hosts`. */
  private async expand(errors: string[]): Promise<void> {
    const wanted = new Set<string>();
    if (this.cfg.cluster) {
      const probe = new HostSession(this.cfg.host, this.cfg, this.password, this.log);
      try {
        const info = await probe.run((r) => readClusterNodes(r));
        this.clusterName = info.cluster || this.cfg.host;
        for (const n of info.nodes) {
          wanted.add(n.name.toLowerCase());
          this.addHost(n.name, this.clusterName);
          if (!n.up) errors.push(`${n.name}: the cluster reports this node as down`);
        }
      } catch (err) {
        if (!this.expanded) throw err; // never reached the cluster: nothing to collect from
        errors.push(`${this.cfg.host}: cannot list the cluster's nodes, keeping the previous list: ${errorMessage(err)}`);
        for (const k of this.hosts.keys()) wanted.add(k);
      } finally {
        await probe.close();
      }
    } else {
      wanted.add(this.cfg.host.toLowerCase());
      this.addHost(this.cfg.host, null);
    }
    for (const extra of this.cfg.hosts) {
      wanted.add(extra.toLowerCase());
      this.addHost(extra, null);
    }
    for (const [key, h] of this.hosts) {
      if (!wanted.has(key)) {
        await h.session.close();
        this.hosts.delete(key);
      }
    }
    this.expanded = true;
  }

  /** Reads one host's inventory; the caller rebuilds the mappings once after a batch of hosts. */
  private async refreshInventory(h: HostState): Promise<void> {
    const data = await h.session.run((r) => readInventory(r, h.vhdCache));
    h.machines = joinInventory(data, { source: this.cfg.name, host: h.name, cluster: h.cluster });
    h.needsInventory = false;
    h.inventoryAt = Date.now();
  }

  private rebuildSourceMapping(): void {
    const all = [...this.hosts.values()].flatMap((h) => h.machines ?? []);
    this.sourceMapping = new InventoryMapping(dedupeMachines(all));
    for (const h of this.hosts.values()) if (h.machines) h.mapping = new InventoryMapping(h.machines, this.sourceMapping);
  }

  private hostError(h: HostState, err: unknown, what: string): string {
    if (err instanceof WsmanAuthError) h.authFailed = errorMessage(err);
    const msg = `${h.name}: ${what} failed: ${errorMessage(err)}`;
    this.log.warn({ source: this.cfg.name, host: h.name, err: errorMessage(err) }, `Hyper-V: ${what} failed`);
    return msg;
  }

  async discover(): Promise<{ source: SourceSummary; machines: Machine[] }> {
    const errors: string[] = [];
    await this.expand(errors);
    const hosts = [...this.hosts.values()];
    let failures = 0;
    let firstError: unknown = null;
    await eachLimited(hosts, this.cfg.concurrency, async (h) => {
      h.authFailed = null; // a discovery is the deliberate retry after refused credentials
      try {
        await this.refreshInventory(h);
      } catch (err) {
        failures++;
        firstError ??= err;
        errors.push(this.hostError(h, err, 'inventory'));
      }
    });
    this.rebuildSourceMapping();
    if (hosts.length > 0 && failures === hosts.length) throw firstError;
    const machines = dedupeMachines(hosts.flatMap((h) => h.machines ?? []));
    const first = hosts[0]?.session;
    return {
      source: {
        name: this.cfg.name,
        kind: 'hyperv',
        endpoint: first ? first.endpoint : this.cfg.host,
        about: {
          hosts: hosts.map((h) => h.name).join(','),
          ...(this.clusterName ? { cluster: this.clusterName } : {}),
          transport: [...new Set(hosts.map((h) => h.session.endpoint.split(':')[0]))].join(','),
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
    if (!this.expanded) await this.expand(errors);
    const hosts = [...this.hosts.values()];
    const polled = new Set<string>();
    let samples = 0;
    let failures = 0;
    let firstError: unknown = null;
    const before = hosts.reduce((s, h) => s + h.session.requests, 0);
    await eachLimited(hosts, this.cfg.concurrency, async (h) => {
      if (h.authFailed) {
        failures++;
        firstError ??= new UserError(
          `${h.name}: skipped: the host refused the credentials (${h.authFailed}); not retried until the next discovery, to avoid locking the account out.`,
          {
            fix: 'Correct the username or password of this source; the next discovery (inventoryIntervalSec) tries again.',
            code: 'WSMAN_AUTH',
          },
        );
        errors.push(
          `${h.name}: skipped: the host refused the credentials earlier (not retried until the next discovery, to avoid an account lockout)`,
        );
        return;
      }
      try {
        if (h.needsInventory || !h.mapping) {
          await this.refreshInventory(h);
          this.rebuildSourceMapping();
        }
        const mapping = h.mapping;
        if (!mapping) throw new Error(`${h.name}: no inventory mapping after a refresh`);
        const readings = await h.session.run((r) => readPerf(r));
        const out = h.sampler.sample(readings, mapping, Date.now());
        if (out.unmapped.length && Date.now() - h.inventoryAt >= UNMAPPED_REFRESH_MS) {
          // A VM was created (a moved VM is already known source-wide): learn it before the next poll;
          // its first reading only primes anyway. Rate-limited so that instances that never map
          // (a naming the collector does not know) do not cost an inventory per poll.
          h.needsInventory = true;
          this.log.info(
            { host: h.name, unmapped: out.unmapped.slice(0, 5), count: out.unmapped.length },
            "Hyper-V: counters for instances not in the inventory; refreshing this host's inventory next poll",
          );
        }
        if (out.samples.length) {
          await sink(out.samples);
          samples += out.samples.length;
          for (const s of out.samples as Sample[]) polled.add(s.machine);
        }
      } catch (err) {
        failures++;
        firstError ??= err;
        errors.push(this.hostError(h, err, 'performance poll'));
      }
    });
    if (hosts.length > 0 && failures === hosts.length && firstError) throw firstError;
    const after = hosts.reduce((s, h) => s + h.session.requests, 0);
    return { machinesPolled: polled.size, samples, requests: after - before, errors: errors.sort() };
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.session.close()));
  }
}
