import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { MetricName, PollStats, Sample, SampleSink } from '../../model/index.js';
import type { PerfTarget } from './inventory.js';
import { SampleLedger, type LedgerEntry } from './ledger.js';
import type { VimSession } from './session.js';
import { isFault } from './soap/errors.js';
import { child, childrenNamed, textOf, type XmlEvents } from '../../common/xml/reader.js';
import { el, moRef } from './soap/xml.js';

/** The 8 counters Azure Migrate uses, with the conversion to our vocabulary applied once, here. */
export const COUNTERS: ReadonlyArray<{ name: string; metric: MetricName; scope: 'machine' | 'disk' | 'nic'; multiply: number; divide: number }> = [
  { name: 'cpu.usage.average', metric: 'cpu.usage.percent', scope: 'machine', multiply: 1, divide: 100 }, // hundredths of %
  { name: 'mem.usage.average', metric: 'memory.usage.percent', scope: 'machine', multiply: 1, divide: 100 },
  { name: 'virtualDisk.read.average', metric: 'disk.read.bytesPerSec', scope: 'disk', multiply: 1024, divide: 1 }, // KBps
  { name: 'virtualDisk.write.average', metric: 'disk.write.bytesPerSec', scope: 'disk', multiply: 1024, divide: 1 },
  { name: 'virtualDisk.numberReadAveraged.average', metric: 'disk.read.opsPerSec', scope: 'disk', multiply: 1, divide: 1 },
  { name: 'virtualDisk.numberWriteAveraged.average', metric: 'disk.write.opsPerSec', scope: 'disk', multiply: 1, divide: 1 },
  { name: 'net.received.average', metric: 'net.received.bytesPerSec', scope: 'nic', multiply: 1024, divide: 1 }, // KBps
  { name: 'net.transmitted.average', metric: 'net.transmitted.bytesPerSec', scope: 'nic', multiply: 1024, divide: 1 },
];

export const REALTIME_INTERVAL_SEC = 20;
/** vCenter keeps realtime samples for about an hour. */
export const REALTIME_WINDOW_MS = 3600_000;

type Counter = (typeof COUNTERS)[number] & { id: number };
/** Where one series (VM, counter, perf instance) goes: our metric, our instance id, its ledger entry. */
interface SeriesRef {
  counter: Counter;
  instance: string;
  entry: LedgerEntry;
}

/** Reads PerformanceManager.perfCounter once and maps the 8 counter names to this vCenter's ids. */
export async function resolveCounters(session: VimSession): Promise<{ counters: Counter[]; missing: string[] }> {
  const content = await session.serviceContent();
  const spec =
    `<specSet><propSet>${el('type', 'PerformanceManager')}${el('pathSet', 'perfCounter')}</propSet>` +
    `<objectSet>${moRef('obj', content.perfManager)}</objectSet></specSet><options/>`;
  const res = await session.call('RetrievePropertiesEx', content.propertyCollector, spec);
  const ids = new Map<string, number>();
  for (const obj of childrenNamed(child(res, 'returnval'), 'objects')) {
    for (const p of childrenNamed(obj, 'propSet')) {
      for (const info of child(p, 'val')?.children ?? []) {
        const group = textOf(child(info, 'groupInfo'), 'key');
        const name = textOf(child(info, 'nameInfo'), 'key');
        const rollup = textOf(info, 'rollupType');
        const key = Number(textOf(info, 'key'));
        if (group && name && rollup && Number.isFinite(key)) ids.set(`${group}.${name}.${rollup}`, key);
      }
    }
  }
  if (ids.size === 0) {
    // Not "every counter missing": an empty perfCounter means we could not read it (e.g. no session).
    throw new UserError(`${session.client.endpoint}: PerformanceManager.perfCounter came back empty.`, {
      fix: 'Check that the account can read performance data (the read-only role at the vCenter root is enough).',
      code: 'VCENTER_NO_COUNTERS',
    });
  }
  const counters: Counter[] = [];
  const missing: string[] = [];
  for (const c of COUNTERS) {
    const id = ids.get(c.name);
    if (id === undefined) missing.push(c.name);
    else counters.push({ ...c, id });
  }
  return { counters, missing };
}

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
    if (!byInstance) cache.byCounter.set(counterId, (byInstance = new Map()));
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

  /** Per VM, the fixed parts of its PerfQuerySpec (entity; metric ids and interval), built once. */
  #specCache = new WeakMap<PerfTarget, { counters: Counter[]; parts: [string, string] }>();

  #specParts(t: PerfTarget, counters: Counter[]): [string, string] {
    const cached = this.#specCache.get(t);
    if (cached && cached.counters === counters) return cached.parts;
    // cpu/mem for the VM, disks with "*" (exactly the VM's disks), NICs one by one: "*" would add
    // the VM-wide aggregate row, which we would only throw away.
    const metricId = (c: Counter, instance: string) => `<metricId>${el('counterId', c.id)}${el('instance', instance)}</metricId>`;
    let ids = '';
    for (const c of counters) if (c.scope !== 'nic') ids += metricId(c, c.scope === 'machine' ? '' : '*');
    for (const nic of t.nicIds.keys()) for (const c of counters) if (c.scope === 'nic') ids += metricId(c, nic);
    const parts: [string, string] = [`<querySpec>${moRef('entity', { type: 'VirtualMachine', value: t.moref })}`, `${ids}${el('intervalId', REALTIME_INTERVAL_SEC)}</querySpec>`];
    this.#specCache.set(t, { counters, parts });
    return parts;
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
    const endSec = Math.floor(now / 1000);
    const oldest = now - REALTIME_WINDOW_MS;
    const lookbackMs = this.opts.lookbackSamples * REALTIME_INTERVAL_SEC * 1000;
    // The time part of a spec, shared by the many VMs whose window starts at the same second.
    const endPart = el('endTime', iso(endSec));
    const timeParts = new Map<number, string>();
    const timePart = (startSec: number) => {
      let part = timeParts.get(startSec);
      if (part === undefined) {
        const maxSample = Math.max(1, Math.ceil((endSec - startSec) / REALTIME_INTERVAL_SEC));
        timeParts.set(startSec, (part = `${el('startTime', iso(startSec))}${endPart}${el('maxSample', maxSample)}`));
      }
      return part;
    };
    const batches: PerfTarget[][] = [];
    for (let i = 0; i < on.length; i += this.opts.vmsPerQuery) batches.push(on.slice(i, i + this.opts.vmsPerQuery));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        let specs = '';
        const starts: number[] = [];
        for (const t of batch) {
          const low = this.ledger.lowWater(t.machine);
          // A read that failed part-way (timeout, abort, sink error) left marks that overstate what
          // was captured: start no later than that read did.
          const from = Math.min(low ? low - lookbackMs : oldest, this.ledger.unfinishedFrom(t.machine) ?? Infinity);
          const startSec = Math.floor(Math.max(from, oldest) / 1000);
          starts.push(startSec * 1000);
          const [head, tail] = this.#specParts(t, counters);
          specs += head + timePart(startSec) + tail;
        }
        stats.requests++;
        const byMoref = new Map(batch.map((t) => [t.moref, t]));
        try {
          const perfManager = (await this.session.serviceContent()).perfManager;
          // Samples go to the sink chunk by chunk as the response streams in (memory stays flat
          // even for the backfilled hour); a retry after re-login starts a fresh decoder, and
          // samples already delivered are marked, so none is sent twice.
          await this.session.withSession(async (client) => {
            const decoder = new QueryPerfDecoder(byMoref, this.#series, async (samples) => {
              stats.samples += samples.length;
              await sink(samples);
            });
            await client.callStream('QueryPerf', perfManager, specs, decoder);
          });
        } catch (err) {
          // Every VM of the batch is re-read from this window's start next time, whatever part of
          // the answer got through (its marks may have moved for some series and not others).
          batch.forEach((t, i) => this.ledger.unfinished(t.machine, starts[i]!));
          if (isFault(err, 'ManagedObjectNotFound')) this.inventoryStale = true;
          stats.errors.push(`QueryPerf for ${batch.length} VMs (${batch[0]!.moref}...): ${(err as Error).message}`);
          continue;
        }
        for (const t of batch) this.ledger.finished(t.machine);
        stats.machinesPolled += batch.length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, batches.length) }, worker));
    // Forget machines that are gone and series silent for the realtime hour; once a minute is plenty.
    if (now - this.#prunedAt >= 60_000) {
      this.ledger.prune(new Set(targets.map((t) => t.machine)), oldest - lookbackMs);
      this.#prunedAt = now;
    }
    return stats;
  }
}

function iso(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Decodes a QueryPerfResponse from parse events, without a tree: returnval (PerfEntityMetric) >
 * entity, sampleInfo* (timestamp, interval), value* (PerfMetricIntSeries: id {counterId,
 * instance}, value*). vim25 orders the fields so, so each number becomes a Sample as it is read.
 * It only asks the ledger whether a sample is new; drain() hands the samples decoded so far to
 * the sink and records them in the ledger once the sink has them.
 */
// Element codes for QueryPerfDecoder (depths relative to QueryPerfResponse = 1).
const OTHER = 0;
const RETURNVAL = 1; // 2: PerfEntityMetric
const ENTITY = 2; // 3
const SAMPLE_INFO = 3; // 3
const SERIES = 4; // 3: PerfMetricIntSeries (<value xsi:type=...>)
const TIMESTAMP = 5; // 4, in sampleInfo
const INTERVAL = 6; // 4, in sampleInfo
const SERIES_ID = 7; // 4, in a series
const NUMBER = 8; // 4, a value in a series
const COUNTER_ID = 9; // 5, in id
const INSTANCE = 10; // 5, in id

class QueryPerfDecoder implements XmlEvents {
  #samples: Sample[] = [];
  #entries: LedgerEntry[] = [];
  #depth = 0;
  readonly #codes = new Uint8Array(8);
  #text = '';
  #target: PerfTarget | undefined;
  #stamps: number[] = [];
  #intervals: number[] = [];
  #stamp = NaN;
  #interval = REALTIME_INTERVAL_SEC;
  #counterId = NaN;
  #instanceRaw = '';
  #counter: Counter | undefined;
  #instance: string | undefined;
  #entry: LedgerEntry | undefined;
  #k = 0;

  constructor(
    private readonly byMoref: Map<string, PerfTarget>,
    private readonly series: (target: PerfTarget, counterId: number, raw: string) => SeriesRef | null,
    private readonly deliver: (batch: Sample[]) => Promise<void>,
  ) {}

  drain(): Promise<void> | undefined {
    if (this.#samples.length === 0) return undefined;
    const samples = this.#samples;
    const entries = this.#entries;
    this.#samples = [];
    this.#entries = [];
    return this.deliver(samples).then(() => {
      for (let i = 0; i < samples.length; i++) SampleLedger.accept(entries[i]!, samples[i]!.ts);
    });
  }

  // Each open element gets a code from its name and depth once; close() then compares integers.
  open(name: string): void {
    const d = ++this.#depth;
    let code = OTHER;
    if (d === 2) {
      if (name === 'returnval') {
        code = RETURNVAL;
        this.#target = undefined;
        this.#stamps = [];
        this.#intervals = [];
      }
    } else if (d === 3) {
      if (name === 'value') {
        code = SERIES;
        this.#counter = undefined;
        this.#instance = undefined;
        this.#entry = undefined;
        this.#counterId = NaN;
        this.#instanceRaw = '';
        this.#k = 0;
      } else if (name === 'sampleInfo') code = SAMPLE_INFO;
      else if (name === 'entity') code = ENTITY;
    } else if (d === 4) {
      const parent = this.#codes[3];
      if (parent === SERIES) code = name === 'value' ? NUMBER : name === 'id' ? SERIES_ID : OTHER;
      else if (parent === SAMPLE_INFO) code = name === 'timestamp' ? TIMESTAMP : name === 'interval' ? INTERVAL : OTHER;
    } else if (d === 5 && this.#codes[4] === SERIES_ID) {
      code = name === 'counterId' ? COUNTER_ID : name === 'instance' ? INSTANCE : OTHER;
    }
    if (d < this.#codes.length) this.#codes[d] = code;
    this.#text = '';
  }

  text(text: string): void {
    this.#text += text;
  }

  close(): void {
    const d = this.#depth--;
    const code = d < this.#codes.length ? this.#codes[d]! : OTHER;
    switch (code) {
      case NUMBER:
        this.#take(Number(this.#text));
        break;
      case TIMESTAMP:
        this.#stamp = Date.parse(this.#text);
        break;
      case INTERVAL:
        this.#interval = Number(this.#text) || REALTIME_INTERVAL_SEC;
        break;
      case SAMPLE_INFO:
        this.#stamps.push(this.#stamp);
        this.#intervals.push(this.#interval);
        break;
      case COUNTER_ID:
        this.#counterId = Number(this.#text);
        break;
      case INSTANCE:
        this.#instanceRaw = this.#text;
        break;
      case SERIES_ID:
        this.#resolveSeries();
        break;
      case ENTITY:
        this.#target = this.byMoref.get(this.#text);
        break;
    }
    this.#text = '';
  }

  #resolveSeries(): void {
    const ref = this.#target ? this.series(this.#target, this.#counterId, this.#instanceRaw) : null;
    if (!ref) return;
    this.#counter = ref.counter;
    this.#instance = ref.instance;
    this.#entry = ref.entry;
  }

  #take(value: number): void {
    const k = this.#k++;
    const entry = this.#entry;
    if (!entry) return;
    const ts = this.#stamps[k];
    // -1 means "no data"; it is dropped and not marked, so a value posted later is still taken.
    if (!(value >= 0) || ts === undefined || !Number.isFinite(ts)) return;
    if (!SampleLedger.isNew(entry, ts)) return;
    const c = this.#counter!;
    this.#entries.push(entry);
    this.#samples.push({ machine: this.#target!.machine, metric: c.metric, instance: this.#instance!, ts, value: (value * c.multiply) / c.divide, intervalSec: this.#intervals[k] || REALTIME_INTERVAL_SEC });
  }
}
