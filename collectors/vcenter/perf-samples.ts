import type { Sample } from '../../model/index.js';
import { REALTIME_INTERVAL_SEC, type Counter } from './counters.js';
import type { PerfTarget } from './inventory.js';
import { SampleLedger, type LedgerEntry } from './ledger.js';
import type { PerfSeries, PerfSeriesConsumer } from './vim/performance.js';

/** Where one series (VM, counter, perf instance) goes: our metric, our instance id, its ledger entry. */
export interface SeriesRef {
  counter: Counter;
  instance: string;
  entry: LedgerEntry;
}

export type SeriesLookup = (target: PerfTarget, counterId: number, rawInstance: string) => SeriesRef | null;

/**
 * Turns QueryPerf series into Samples as they are decoded. It only asks the ledger whether a
 * sample is new; drain() hands the samples made so far to the sink and records them in the
 * ledger once the sink has them, so a failed delivery leaves them to be read again.
 */
export class SeriesToSamples implements PerfSeriesConsumer {
  #samples: Sample[] = [];
  #entries: LedgerEntry[] = [];

  constructor(
    private readonly byMoref: Map<string, PerfTarget>,
    private readonly lookup: SeriesLookup,
    private readonly deliver: (batch: Sample[]) => Promise<void>,
  ) {}

  series(s: PerfSeries): void {
    const target = this.byMoref.get(s.entity.value);
    const ref = target ? this.lookup(target, s.counterId, s.instance) : null;
    if (!target || !ref) return;
    const { counter: c, instance, entry } = ref;
    const { timestamps, intervals, values } = s;
    for (let k = 0; k < values.length; k++) {
      const value = values[k] ?? -1;
      const ts = timestamps[k];
      // -1 means "no data"; it is dropped and not marked, so a value posted later is still taken.
      if (!(value >= 0) || ts === undefined || !Number.isFinite(ts)) continue;
      if (!SampleLedger.isNew(entry, ts)) continue;
      this.#entries.push(entry);
      this.#samples.push({
        machine: target.machine,
        metric: c.metric,
        instance,
        ts,
        value: (value * c.multiply) / c.divide,
        intervalSec: intervals[k] || REALTIME_INTERVAL_SEC,
      });
    }
  }

  drain(): Promise<void> | undefined {
    if (this.#samples.length === 0) return undefined;
    const samples = this.#samples;
    const entries = this.#entries;
    this.#samples = [];
    this.#entries = [];
    return this.deliver(samples).then(() => {
      for (let i = 0; i < samples.length; i++) {
        const entry = entries[i];
        const sample = samples[i];
        if (entry && sample) SampleLedger.accept(entry, sample.ts);
      }
    });
  }
}
