// What an assessment is built from: the inventory (collectors/model.ts Machine) and a percentile
// report over the performance history (rollup/percentiles.ts computes it from Redis; a file with the
// same shape works offline). Values are in the metric's own unit (percent, bytes/s, ops/s).
import type { MetricName } from '../collectors/model.js';

export interface SeriesReport {
  metric: MetricName;
  /** "" for machine-wide metrics, the disk id or the NIC id. */
  instance: string;
  /** 10-minute points present in the history window, and how many the window holds. */
  points: number;
  expectedPoints: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface MachinePercentiles {
  id: string;
  series: SeriesReport[];
  /** Supplied by the rollup; the assessment recomputes both over the series it needs. */
  dataPointsPercent?: number;
  confidenceStars?: number;
}

export interface PercentileReport {
  /** ISO time or epoch ms: the end of the history window. */
  asOf: string | number;
  history: string;
  machines: MachinePercentiles[];
}
