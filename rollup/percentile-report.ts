import type { Redis } from 'ioredis';
import type { Machine, MetricName } from '../model/index.js';
import { InventoryStore } from '../queue/inventory-store.js';
import { PointStore, collectPeaks } from './point-store.js';
import { requiredSeries, type SeriesId } from './series.js';
import { confidenceStars, dataPointsPercent, percentilesOfSorted } from './peak-statistics.js';
import { DAY_MS, historyRange, type History } from './window.js';

export { confidenceStars, dataPointsPercent, percentilesOf, percentilesOfSorted } from './peak-statistics.js';

export interface SeriesReport {
  metric: MetricName;
  instance: string;
  points: number;
  expectedPoints: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}
export interface MachineReport {
  id: string;
  dataPointsPercent: number;
  confidenceStars: 1 | 2 | 3 | 4 | 5;
  series: SeriesReport[];
}
export interface PercentilesReport {
  asOf: string;
  history: History;
  machines: MachineReport[];
}
export interface PercentilesOptions {
  /** Epoch ms; aligned down to a 10-minute boundary (only complete windows count). */
  asOf: number;
  history: History;
  /** Machines read per pipeline round (bounds memory). */
  chunk?: number;
}

/**
 * The core: percentiles of given series per machine over the complete 10-minute points in the history
 * ending at asOf. Series without points are reported with points 0 and null percentiles; they count
 * as missing in the machine's data-point availability.
 */
export async function computeSeriesPercentiles(
  redis: Redis,
  prefix: string,
  entries: { id: string; series: SeriesId[] }[],
  opts: PercentilesOptions,
): Promise<PercentilesReport> {
  const { from, to, expectedPoints } = historyRange(opts.asOf, opts.history);
  const firstDay = Math.floor(from / DAY_MS);
  const lastDay = Math.floor((to - 1) / DAY_MS);
  const days = lastDay - firstDay + 1;
  const store = new PointStore(redis, prefix);
  const machines: MachineReport[] = [];
  const chunk = opts.chunk ?? 200;
  const dayList = Array.from({ length: days }, (_, k) => firstDay + k);
  // One reusable buffer for a series' peaks. They are float32 values, so a Float32Array holds them
  // exactly, and its sort is numeric and allocation-free.
  const scratch = new Float32Array(expectedPoints);
  for (let i = 0; i < entries.length; i += chunk) {
    const part = entries.slice(i, i + chunk);
    const bufs = await store.getMachineDays(part.map((e) => ({ series: e.series, days: dayList })));
    part.forEach((e, j) => {
      const mb = bufs[j];
      if (!mb) throw new Error(`percentiles: no day-strings returned for machine ${e.id}`);
      let r = 0;
      const series: SeriesReport[] = [];
      for (const s of e.series) {
        let n = 0;
        for (const d of dayList) n = collectPeaks(mb[r++] ?? null, d, from, to, scratch, n);
        const sorted = scratch.subarray(0, n).sort();
        const p = percentilesOfSorted(sorted);
        series.push({
          metric: s.metric,
          instance: s.instance,
          points: p.points,
          expectedPoints,
          p50: p.p50,
          p90: p.p90,
          p95: p.p95,
          p99: p.p99,
          max: p.max,
        });
      }
      const pct = dataPointsPercent(series);
      machines.push({ id: e.id, dataPointsPercent: pct, confidenceStars: confidenceStars(pct), series });
    });
  }
  return { asOf: new Date(to).toISOString(), history: opts.history, machines };
}

/** Percentiles for inventory machines: the series an assessment needs (CPU, memory, 4 per disk, 2 per NIC). */
export function computePercentiles(
  redis: Redis,
  prefix: string,
  machines: Machine[],
  opts: PercentilesOptions,
): Promise<PercentilesReport> {
  return computeSeriesPercentiles(
    redis,
    prefix,
    machines.map((m) => ({ id: m.id, series: requiredSeries(m) })),
    opts,
  );
}

/**
 * The `collector percentiles` report: every machine in the inventory store (with the series it needs),
 * plus every machine that only has points (e.g. after `collector ingest` of a sample file without
 * inventory), whose series are those found in Redis.
 */
export async function percentilesReport(redis: Redis, prefix: string, opts: PercentilesOptions): Promise<PercentilesReport> {
  const inventory = await new InventoryStore(redis, prefix).machines();
  const known = new Set(inventory.map((m) => m.id));
  const store = new PointStore(redis, prefix);
  const entries = inventory.map((m) => ({ id: m.id, series: requiredSeries(m) }));
  // A machine whose points expire after the history starts may have points in it.
  const pointOnly = (await store.machines(historyRange(opts.asOf, opts.history).from)).filter((id) => !known.has(id)).sort();
  for (const id of pointOnly) entries.push({ id, series: await store.seriesOf(id) });
  return computeSeriesPercentiles(redis, prefix, entries, opts);
}
