import type { SeriesBatch } from '../queue/codec.js';
import type { SeriesId } from './series.js';
import { DAY_MS, SUB_SLOT_MS, WINDOW_MS } from './window.js';

/** The merge of a batch's samples into one series' UTC day: per window, the float32 peak and sub-slot bitmap. */
export interface DayUpdate {
  series: SeriesId;
  day: number;
  /** window index in the day (0..143) -> [peak (float32-rounded), bitmap (uint32)] */
  slots: Map<number, [number, number]>;
}

export interface Aggregated {
  /** Per machine (one Redis hash slot in Cluster), its series-day updates. */
  byMachine: Map<string, DayUpdate[]>;
  samples: number;
  /** Samples skipped: non-finite value or timestamp, or older than the retention. */
  skipped: number;
}

/**
 * Folds samples into window updates before they reach Redis (pure). Max and bitwise OR are
 * commutative, associative and idempotent, so folding here, in Redis, twice or out of order gives the
 * same result; this is what makes redelivered batches and repeated samples harmless.
 */
export function aggregate(groups: SeriesBatch[], opts: { minTs?: number } = {}): Aggregated {
  const minTs = opts.minTs ?? 0;
  const byMachine = new Map<string, DayUpdate[]>();
  const index = new Map<string, DayUpdate>();
  let samples = 0;
  let skipped = 0;
  for (const g of groups) {
    const series: SeriesId = { machine: g.machine, metric: g.metric, instance: g.instance };
    const base = `${g.machine}\u0000${g.metric}\u0000${g.instance}\u0000`;
    for (let i = 0; i < g.ts.length; i++) {
      const ts = g.ts[i]!;
      const value = g.values[i]!;
      if (!Number.isFinite(ts) || !Number.isFinite(value) || ts < minTs || ts < 0) {
        skipped++;
        continue;
      }
      samples++;
      const day = Math.floor(ts / DAY_MS);
      const inDay = ts - day * DAY_MS;
      const slot = Math.floor(inDay / WINDOW_MS);
      const bit = 2 ** Math.floor((inDay - slot * WINDOW_MS) / SUB_SLOT_MS);
      const k = base + day;
      let u = index.get(k);
      if (!u) {
        u = { series, day, slots: new Map() };
        index.set(k, u);
        let list = byMachine.get(g.machine);
        if (!list) byMachine.set(g.machine, (list = []));
        list.push(u);
      }
      const peak = Math.fround(value);
      const cur = u.slots.get(slot);
      if (!cur) u.slots.set(slot, [peak, bit]);
      else {
        if (peak > cur[0]) cur[0] = peak;
        cur[1] = (cur[1] | bit) >>> 0;
      }
    }
  }
  return { byMachine, samples, skipped };
}
