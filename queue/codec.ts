import { isMetricName, type MetricName, type Sample } from '../model/index.js';

/**
 * The job payload for one sample batch, columnar: samples are grouped per series (machine, metric,
 * instance, interval) and carry delta-encoded timestamps and their values, so a 50-VM QueryPerf
 * response is a few hundred short arrays instead of tens of thousands of objects.
 *   { v: 1, n: samples, g: [[machine, metric, instance, intervalSec, firstTs, [dt...], [value...]], ...] }
 */
export interface EncodedBatch {
  v: 1;
  n: number;
  g: [string, string, string, number, number, number[], number[]][];
  /** The source that collected the batch (labels refused samples in the quarantine). */
  src?: string;
}

/** A decoded group: one series' samples from one batch. */
export interface SeriesBatch {
  machine: string;
  metric: MetricName;
  instance: string;
  intervalSec: number;
  ts: number[];
  values: number[];
}

export function encodeBatch(samples: readonly Sample[]): EncodedBatch {
  const groups = new Map<string, { s: Sample; ts: number[]; values: number[] }>();
  for (const s of samples) {
    const k = `${s.machine}\u0000${s.metric}\u0000${s.instance}\u0000${s.intervalSec}`;
    let g = groups.get(k);
    if (!g) {
      g = { s, ts: [], values: [] };
      groups.set(k, g);
    }
    g.ts.push(s.ts);
    g.values.push(s.value);
  }
  const out: EncodedBatch = { v: 1, n: samples.length, g: [] };
  for (const { s, ts, values } of groups.values()) {
    const first = ts[0] ?? 0; // every group holds at least one sample
    const deltas: number[] = [];
    let prev = first;
    for (const t of ts) {
      deltas.push(t - prev);
      prev = t;
    }
    out.g.push([s.machine, s.metric, s.instance, s.intervalSec, first, deltas, values]);
  }
  return out;
}

/**
 * Decodes and checks a payload; a malformed one throws (the job fails visibly instead of writing garbage).
 * With onBadGroup, a malformed group is handed to it and the other groups are still decoded.
 */
export function decodeBatch(data: unknown, onBadGroup?: (group: unknown, problem: string) => void): SeriesBatch[] {
  const b = data as Partial<EncodedBatch> | null;
  if (b?.v !== 1 || !Array.isArray(b.g)) throw new Error('sample batch: unknown payload format (expected { v: 1, g: [...] })');
  const out: SeriesBatch[] = [];
  const fail = (g: unknown, problem: string): void => {
    if (!onBadGroup) throw new Error(`sample batch: ${problem}`);
    onBadGroup(g, problem);
  };
  for (const g of b.g) {
    if (!Array.isArray(g) || g.length !== 7) {
      fail(g, 'malformed group');
      continue;
    }
    const [machine, metric, instance, intervalSec, first, deltas, values] = g;
    if (typeof machine !== 'string' || typeof instance !== 'string' || !isMetricName(String(metric))) {
      fail(
        g,
        `bad series ${JSON.stringify([String(machine).slice(0, 200), String(metric).slice(0, 200), String(instance).slice(0, 200)])}`,
      );
      continue;
    }
    if (!Array.isArray(deltas) || !Array.isArray(values) || deltas.length !== values.length) {
      fail(g, 'timestamps and values differ in length');
      continue;
    }
    const ts: number[] = [];
    let t = first;
    for (const d of deltas) {
      t += d;
      ts.push(t);
    }
    out.push({ machine, metric: metric as MetricName, instance, intervalSec, ts, values });
  }
  return out;
}

/** Back to plain samples (tests, tools). */
export function batchSamples(groups: SeriesBatch[]): Sample[] {
  const out: Sample[] = [];
  for (const g of groups) {
    for (const [i, ts] of g.ts.entries()) {
      const value = g.values[i];
      if (value === undefined) throw new Error('sample batch: timestamps and values differ in length');
      out.push({ machine: g.machine, metric: g.metric, instance: g.instance, ts, value, intervalSec: g.intervalSec });
    }
  }
  return out;
}
