import type { Logger } from '../../common/log.js';
import type { PollStats, SampleSink } from '../../model/index.js';
import { REALTIME_INTERVAL_SEC, resolveCounters, type Counter } from './counters.js';
import { vcenterErrorMessage } from './errors.js';
import type { PerfTarget } from './inventory.js';
import { SampleLedger } from './ledger.js';
import { SeriesToSamples, type SeriesRef } from './perf-samples.js';
import type { VimSession } from './session.js';
import { isFault } from './soap/errors.js';
import { PreparedQuerySpec, queryPerf, type PerfMetricId, type PerfQueryItem, type PerfWindow } from './vim/performance.js';

/** vCenter keeps realtime samples for about an hour. */
export const REALTIME_WINDOW_MS = 3600_000;

export interface PerfOptions {
  vmsPerQuery: number;
  concurrency: number;
  lookbackSamples: number;
  log: Logger;
}

/**
 * Polls realtime stats for powered-on VMs: QueryPerf in batches of vmsPerQuery with at most
 * `concurrency` in flight, each VM asked from its high-water mark minus the look-back (up to the
 * one-hour realtime window) until vCenter's now; the ledger lets every sample out exactly once.
 */
export class PerfPoller {
  readonly ledger: SampleLedger;
  #counters: Counter[] | null = null;
  #byId = new Map<number, Counter>();
  missingCounters: string[] = [];
  /** Set when vCenter says a polled VM no longer exists: the inventory should be read again. */
  inventoryStale = false;
  #prunedAt = 0;

  constructor(
    private readonly session: VimSession,
    private readonly opts: PerfOptions,
    ledger?: SampleLedger,
  ) {
    this.ledger = ledger ?? new SampleLedger();
  }

  /** Per VM: counter id -> perf instance -> where its samples go (null: an instance we do not keep). */
  #seriesCache = new WeakMap<PerfTarget, { generation: number; byCounter: Map<number, Map<string, SeriesRef | null>> }>();

  #series = (target: PerfTarget, counterId: number, raw: string): SeriesRef | null => {
    let cache = this.#seriesCache.get(target);
    if (!cache || cache.generation !== this.ledger.generation) {
      cache = { generation: this.ledger.generation, byCounter: new Map() };
      this.#seriesCache.set(target, cache);
    }
    let byInstance = cache.byCounter.get(counterId);
    if (!byInstance) {
      byInstance = new Map();
      cache.byCounter.set(counterId, byInstance);
    }
    let ref = byInstance.get(raw);
    if (ref === undefined) {
      ref = null;
      const counter = this.#byId.get(counterId);
      if (counter) {
        let instance: string | undefined;
        if (counter.scope === 'machine') instance = raw === '' ? '' : undefined;
        else if (counter.scope === 'disk') instance = target.diskByInstance.get(raw);
        else instance = target.nicIds.get(raw); // "" would be the VM aggregate: per NIC only
        if (instance !== undefined) ref = { counter, instance, entry: this.ledger.entry(target.machine, `${counter.metric}|${instance}`) };
      }
      byInstance.set(raw, ref);
    }
    return ref;
  };

  /** Per VM, its PerfQuerySpec without the window (entity, metric ids, interval), serialized once. */
  #specCache = new WeakMap<PerfTarget, { counters: Counter[]; spec: PreparedQuerySpec }>();

  #spec(t: PerfTarget, counters: Counter[]): PreparedQuerySpec {
    const cached = this.#specCache.get(t);
    if (cached && cached.counters === counters) return cached.spec;
    // cpu/mem for the VM, disks with "*" (exactly the VM's disks), NICs one by one: "*" would add
    // the VM-wide aggregate row, which we would only throw away.
    const metricId: PerfMetricId[] = [];
    for (const c of counters) if (c.scope !== 'nic') metricId.push({ counterId: c.id, instance: c.scope === 'machine' ? '' : '*' });
    for (const nic of t.nicIds.keys()) for (const c of counters) if (c.scope === 'nic') metricId.push({ counterId: c.id, instance: nic });
    const spec = new PreparedQuerySpec({ entity: { type: 'VirtualMachine', value: t.moref }, metricId, intervalId: REALTIME_INTERVAL_SEC });
    this.#specCache.set(t, { counters, spec });
    return spec;
  }

  async #ensureCounters(): Promise<Counter[]> {
    if (this.#counters) return this.#counters;
    const { counters, missing } = await resolveCounters(this.session);
    this.#counters = counters;
    this.#byId = new Map(counters.map((c) => [c.id, c]));
    this.missingCounters = missing;
    if (missing.length) this.opts.log.warn({ missing }, 'vCenter lacks some performance counters; they are not collected');
    return counters;
  }

  async poll(targets: PerfTarget[], sink: SampleSink): Promise<PollStats> {
    // vCenter's clock first: it bounds the window and, as the session's first call, re-logs in if needed.
    const now = await this.session.currentTime();
    const counters = await this.#ensureCounters();
    const stats: PollStats = { machinesPolled: 0, samples: 0, requests: 0, errors: [] };
    const on = targets.filter((t) => t.poweredOn);
    if (on.length === 0 || counters.length === 0) return stats;
    const lookbackMs = this.opts.lookbackSamples * REALTIME_INTERVAL_SEC * 1000;
    const windowOf = this.#windows(now, lookbackMs);
    const batches: PerfTarget[][] = [];
    for (let i = 0; i < on.length; i += this.opts.vmsPerQuery) batches.push(on.slice(i, i + this.opts.vmsPerQuery));
    let next = 0;
    const worker = async () => {
      for (let batch = batches[next++]; batch; batch = batches[next++]) {
        const items = batch.map((t) => ({ spec: this.#spec(t, counters), window: windowOf(t) }));
        await this.#pollBatch(batch, items, stats, sink);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, batches.length) }, worker));
    // Forget machines that are gone and series silent for the realtime hour; once a minute is plenty.
    if (now - this.#prunedAt >= 60_000) {
      this.ledger.prune(new Set(targets.map((t) => t.machine)), now - REALTIME_WINDOW_MS - lookbackMs);
      this.#prunedAt = now;
    }
    return stats;
  }

  /**
   * Each VM's window for this poll: from its high-water mark minus the look-back (at most the
   * realtime hour) to vCenter's now; VMs starting at the same second share one window.
   */
  #windows(now: number, lookbackMs: number): (t: PerfTarget) => PerfWindow {
    const endSec = Math.floor(now / 1000);
    const oldest = now - REALTIME_WINDOW_MS;
    const windows = new Map<number, PerfWindow>();
    return (t) => {
      const low = this.ledger.lowWater(t.machine);
      // A read that failed part-way (timeout, abort, sink error) left marks that overstate what
      // was captured: start no later than that read did.
      const from = Math.min(low ? low - lookbackMs : oldest, this.ledger.unfinishedFrom(t.machine) ?? Infinity);
      const startSec = Math.floor(Math.max(from, oldest) / 1000);
      let w = windows.get(startSec);
      if (!w) {
        w = { startSec, endSec, maxSample: Math.max(1, Math.ceil((endSec - startSec) / REALTIME_INTERVAL_SEC)) };
        windows.set(startSec, w);
      }
      return w;
    };
  }

  /** One QueryPerf for a batch; a failure is recorded in stats and the ledger, not thrown. */
  async #pollBatch(batch: PerfTarget[], items: PerfQueryItem[], stats: PollStats, sink: SampleSink): Promise<void> {
    stats.requests++;
    const byMoref = new Map(batch.map((t) => [t.moref, t]));
    try {
      const perfManager = (await this.session.serviceContent()).perfManager;
      // Samples go to the sink chunk by chunk as the response streams in (memory stays flat
      // even for the backfilled hour); a retry after re-login starts a fresh consumer, and
      // samples already delivered are marked, so none is sent twice.
      await this.session.withSession(async (client) => {
        const samples = new SeriesToSamples(byMoref, this.#series, async (out) => {
          stats.samples += out.length;
          await sink(out);
        });
        await queryPerf(client, perfManager, items, samples);
      });
    } catch (err) {
      // Every VM of the batch is re-read from this window's start next time, whatever part of
      // the answer got through (its marks may have moved for some series and not others).
      for (const [i, t] of batch.entries()) this.ledger.unfinished(t.machine, (items[i]?.window.startSec ?? 0) * 1000);
      if (isFault(err, 'ManagedObjectNotFound')) this.inventoryStale = true;
      stats.errors.push(`QueryPerf for ${batch.length} VMs (${batch[0]?.moref ?? ''}...): ${vcenterErrorMessage(err)}`);
      return;
    }
    for (const t of batch) this.ledger.finished(t.machine);
    stats.machinesPolled += batch.length;
  }
}
