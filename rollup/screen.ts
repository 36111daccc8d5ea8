import { pointProblem, seriesProblem, tsWindow, type RejectedSample, type ValidationOptions } from '../model/sample-validation.js';
import type { SeriesBatch } from '../queue/codec.js';

/**
 * The rollup worker's own check of a decoded batch against the sample contract: a bad sample that got
 * into a job (an older producer, a hand-made job) is refused, the rest of the batch goes on. Samples that
 * aged out of the retention while queued are skipped, not refused: they were valid when collected.
 */
export function screenBatch(
  groups: SeriesBatch[],
  opts: ValidationOptions,
): { groups: SeriesBatch[]; rejected: RejectedSample[]; skipped: number } {
  const window = tsWindow({ ...opts, now: opts.now ?? Date.now() });
  const out: SeriesBatch[] = [];
  const rejected: RejectedSample[] = [];
  let skipped = 0;
  for (const g of groups) {
    const sample = (i: number) => ({
      machine: g.machine,
      metric: g.metric,
      instance: g.instance,
      ts: g.ts[i],
      value: g.values[i],
      intervalSec: g.intervalSec,
    });
    const series = seriesProblem(g.machine, g.metric, g.instance, g.intervalSec);
    if (series) {
      for (let i = 0; i < g.ts.length; i++) rejected.push({ sample: sample(i), ...series });
      continue;
    }
    let keep: SeriesBatch | null = null; // copied only when something is dropped or clamped
    for (const [i, ts] of g.ts.entries()) {
      const v = pointProblem(g.metric, ts, g.values[i], window);
      if (typeof v === 'number' && v === g.values[i] && !keep) continue;
      if (!keep) keep = { ...g, ts: g.ts.slice(0, i), values: g.values.slice(0, i) };
      if (typeof v === 'number') {
        keep.ts.push(ts);
        keep.values.push(v);
      } else if (v.reason === 'ts-too-old') skipped++;
      else rejected.push({ sample: sample(i), ...v });
    }
    const kept = keep ?? g;
    if (kept.ts.length > 0) out.push(kept);
  }
  return { groups: out, rejected, skipped };
}
