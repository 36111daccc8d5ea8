import type { Redis } from 'ioredis';
import type { Machine, MetricName } from '../collectors/model.js';
import { InventoryStore } from '../queue/inventory-store.js';
import { PointStore, collectPeaks } from './point-store.js';
import { requiredSeries, type SeriesId } from './series.js';
import { confidenceStars, dataPointsPercent, percentilesOfSorted } from './stats.js';
import { DAY_MS, historyRange, type History } from './window.js';

export { confidenceStars, dataPointsPercent, percentilesOf, percentilesOfSorted } from './stats.js';

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
  const peaks: number[] = [];
  for (let i = 0; i < entries.length; i += chunk) {
    const part = entries.slice(i, i + chunk);
    const req: { series: SeriesId; day: number }[] = [];
    for (const e of part) for (const s of e.series) for (let d = firstDay; d <= lastDay; d++) req.push({ series: s, day: d });
    const bufs = await store.getDays(req);
    let r = 0;
    for (const e of part) {
      const series: SeriesReport[] = [];
      for (const s of e.series) {
        peaks.length = 0;
        for (let d = firstDay; d <= lastDay; d++) collectPeaks(bufs[r++]!, d, from, to, peaks);
        const sorted = Float64Array.from(peaks).sort();
        series.push({ metric: s.metric, instance: s.instance, expectedPoints, ...percentilesOfSorted(sorted) });
      }
      const pct = dataPointsPercent(series);
      machines.push({ id: e.id, dataPointsPercent: pct, confidenceStars: confidenceStars(pct), series });
    }
    if (r !== req.length || req.length !== part.reduce((n, e) => n + e.series.length * days, 0)) throw new Error('percentiles: read bookkeeping mismatch');
  }
  return { asOf: new Date(to).toISOString(), history: opts.history, machines };
}

/** Percentiles for inventory machines: the series an assessment needs (CPU, memory, 4 per disk, 2 per NIC). */
export function computePercentiles(redis: Redis, prefix: string, machines: Machine[], opts: PercentilesOptions): Promise<PercentilesReport> {
  return computeSeriesPercentiles(redis, prefix, machines.map((m) => ({ id: m.id, series: requiredSeries(m) })), opts);
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
