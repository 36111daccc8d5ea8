import type { MetricName } from './metrics.js';

/**
 * One performance sample. `ts` is epoch milliseconds at the END of the sample interval
 * (vSphere's convention for realtime stats); `instance` is "" for machine-wide metrics,
 * the disk id for disk metrics and the NIC id for network metrics.
 */
export interface Sample {
  machine: string;
  metric: MetricName;
  instance: string;
  ts: number;
  value: number;
  intervalSec: number;
}

/** Receives samples as they are decoded, one batch per far-end response, so nothing accumulates. */
export type SampleSink = (batch: Sample[]) => void | Promise<void>;
