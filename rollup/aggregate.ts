import type { SeriesBatch } from '../queue/codec.js';
import type { SeriesId } from './series.js';
import { DAY_MS, SUB_SLOT_MS, WINDOW_MS } from './window.js';

/**
 * The merge of a batch's samples into one series' UTC day: window updates (window index, float32 peak,
 * sub-slot bitmap). Consecutive samples of the same window are folded into one update; a window the
 * batch revisits out of order gets another update, which the merge folds the same way.
 */
export interface DayUpdate {
  series: SeriesId;
  day: number;
  slots: number[];
  peaks: number[];
  bits: number[];
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
  const minTs = Math.max(0, opts.minTs ?? 0);
  const byMachine = new Map<string, DayUpdate[]>();
  const index = new Map<string, DayUpdate>();
  let samples = 0;
  let skipped = 0;
  for (const g of groups) {
    const series: SeriesId = { machine: g.machine, metric: g.metric, instance: g.instance };
    const base = `${g.machine}\u0000${g.metric}\u0000${g.instance}\u0000`;
    let u: DayUpdate | undefined;
    for (let i = 0; i < g.ts.length; i++) {
      const ts = g.ts[i];
      const value = g.values[i];
      if (ts === undefined || value === undefined || !(ts >= minTs) || !Number.isFinite(ts) || !Number.isFinite(value)) {
        skipped++;
        continue;
      }
      samples++;
      const day = Math.floor(ts / DAY_MS);
      if (!u || u.day !== day) {
        const k = base + day;
        u = index.get(k);
        if (!u) {
          u = { series, day, slots: [], peaks: [], bits: [] };
          index.set(k, u);
          let list = byMachine.get(g.machine);
          if (!list) {
            list = [];
            byMachine.set(g.machine, list);
          }
          list.push(u);
        }
      }
      const inDay = ts - day * DAY_MS;
      const slot = Math.floor(inDay / WINDOW_MS);
      const bit = (1 << Math.floor((inDay - slot * WINDOW_MS) / SUB_SLOT_MS)) >>> 0;
      const peak = Math.fround(value);
      const last = u.slots.length - 1;
      if (last >= 0 && u.slots[last] === slot) {
        // slots, peaks and bits grow together, so [last] exists in all three.
        if (peak > (u.peaks[last] ?? -Infinity)) u.peaks[last] = peak;
        u.bits[last] = ((u.bits[last] ?? 0) | bit) >>> 0;
      } else {
        u.slots.push(slot);
        u.peaks.push(peak);
        u.bits.push(bit);
      }
    }
  }
  return { byMachine, samples, skipped };
}
