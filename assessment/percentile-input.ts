// What an assessment is built from: the inventory (model/index.ts Machine) and a percentile
// report over the performance history (rollup/percentile-report.ts computes it from Redis; a file with the
// same shape works offline). Values are in the metric's own unit (percent, bytes/s, ops/s).

/** One series' percentiles, exactly as the rollup reports them (instance "" for machine-wide metrics). */
export type { SeriesReport } from '../rollup/percentile-report.js';
import type { SeriesReport } from '../rollup/percentile-report.js';

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
