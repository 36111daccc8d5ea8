// The one definition of a valid sample, checked where samples enter the pipeline (the collectors'
// producer, `collector ingest`) and again by the rollup worker. schemas/sample.schema.json states the
// same bounds; test/queue/sample-validation.test.ts fails when the two disagree.
import { METRICS, isMetricName, metricScope, type MetricName, type Sample } from './index.js';

const DAY_MS = 86_400_000;

export const SAMPLE_LIMITS = {
  /** Machine ids and disk/NIC instance ids: longer ones would become huge Redis keys. */
  maxIdLength: 512,
  /** Absolute bounds of `ts` (epoch ms): 2000-01-01 .. 2100-01-01. The retention window below is narrower. */
  minTs: Date.UTC(2000, 0, 1),
  maxTs: Date.UTC(2100, 0, 1),
  /** How far in the future a sample may be stamped (clock skew between the appliance and the source). */
  maxFutureMs: 5 * 60_000,
  /** Sample intervals: vCenter realtime 20 s, Hyper-V ~30 s, historical rollups up to one day. */
  minIntervalSec: 1,
  maxIntervalSec: 86_400,
  /** Largest finite float32: peaks are stored as float32 in the point store. */
  maxValue: 3.4028234663852886e38,
  maxPercent: 100,
  /**
   * cpu.usage.percent readings up to this are clamped to 100 instead of rejected: vSphere measures a VM's
   * usage against its nominal vCPU MHz, and Turbo Boost can deliver more, so readings a little above 100
   * are real (a VM at full load). Memory cannot exceed 100.
   */
  cpuOvershootPercent: 150,
} as const;

/** Why a sample was refused: a short code, used as a metric label and in the quarantine. */
export type InvalidReason =
  | 'not-object'
  | 'machine'
  | 'metric'
  | 'instance'
  | 'ts'
  | 'ts-too-old'
  | 'ts-in-future'
  | 'value-not-finite'
  | 'value-negative'
  | 'value-float32'
  | 'value-percent'
  | 'interval';

export const INVALID_REASONS: readonly InvalidReason[] = [
  'not-object',
  'machine',
  'metric',
  'instance',
  'ts',
  'ts-too-old',
  'ts-in-future',
  'value-not-finite',
  'value-negative',
  'value-float32',
  'value-percent',
  'interval',
];

export interface ValidationOptions {
  /** Clock for the retention window and the future bound. */
  now?: number;
  /** Samples whose UTC day is older than this many days would expire at once (rollup.retentionDays). */
  retentionDays: number;
}

export type Validated = { ok: true; sample: Sample } | { ok: false; reason: InvalidReason; detail: string };

/** Oldest accepted ts: the start of the oldest UTC day still inside the retention (as the point store counts it). */
export function oldestAcceptedTs(now: number, retentionDays: number): number {
  return Math.max(SAMPLE_LIMITS.minTs, (Math.floor(now / DAY_MS) - retentionDays) * DAY_MS);
}

/** Checks the fields a series shares (the rollup worker checks a batch's series once, then its points). */
export function seriesProblem(
  machine: unknown,
  metric: unknown,
  instance: unknown,
  intervalSec: unknown,
): { reason: InvalidReason; detail: string } | null {
  const L = SAMPLE_LIMITS;
  if (typeof machine !== 'string' || machine.length === 0 || machine.length > L.maxIdLength) {
    return { reason: 'machine', detail: `"machine" must be a string of 1 to ${L.maxIdLength} characters` };
  }
  if (typeof metric !== 'string' || !isMetricName(metric))
    return { reason: 'metric', detail: `"metric" must be one of ${METRICS.join(', ')}` };
  const machineWide = metricScope(metric) === 'machine';
  if (typeof instance !== 'string' || instance.length > L.maxIdLength || (machineWide ? instance !== '' : instance === '')) {
    return {
      reason: 'instance',
      detail: `"instance" must be "" for cpu and memory, else a disk or NIC id of 1 to ${L.maxIdLength} characters`,
    };
  }
  if (
    typeof intervalSec !== 'number' ||
    !Number.isInteger(intervalSec) ||
    intervalSec < L.minIntervalSec ||
    intervalSec > L.maxIntervalSec
  ) {
    return { reason: 'interval', detail: `"intervalSec" must be an integer from ${L.minIntervalSec} to ${L.maxIntervalSec}` };
  }
  return null;
}

/** The accepted ts range for a clock and retention: [oldest, newest]. */
export function tsWindow(opts: ValidationOptions): { oldest: number; newest: number } {
  const now = opts.now ?? Date.now();
  return { oldest: oldestAcceptedTs(now, opts.retentionDays), newest: Math.min(SAMPLE_LIMITS.maxTs, now + SAMPLE_LIMITS.maxFutureMs) };
}

/**
 * Checks one point of a series whose metric is known good. Returns the value to store (CPU overshoot
 * clamped to 100) or the reason it is refused.
 */
export function pointProblem(
  metric: MetricName,
  ts: unknown,
  value: unknown,
  window: { oldest: number; newest: number },
): number | { reason: InvalidReason; detail: string } {
  const L = SAMPLE_LIMITS;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < L.minTs || ts > L.maxTs)
    return { reason: 'ts', detail: '"ts" must be integer epoch milliseconds between 2000 and 2100' };
  if (ts < window.oldest) return { reason: 'ts-too-old', detail: '"ts" is older than the retention' };
  if (ts > window.newest) return { reason: 'ts-in-future', detail: `"ts" is more than ${L.maxFutureMs / 60_000} minutes in the future` };
  if (typeof value !== 'number' || !Number.isFinite(value))
    return { reason: 'value-not-finite', detail: '"value" must be a finite number' };
  if (value < 0) return { reason: 'value-negative', detail: '"value" must not be negative' };
  if (value > L.maxValue) return { reason: 'value-float32', detail: '"value" exceeds the float32 range' };
  if (metricScope(metric) !== 'machine') return value;
  const max = metric === 'cpu.usage.percent' ? L.cpuOvershootPercent : L.maxPercent;
  if (value > max)
    return {
      reason: 'value-percent',
      detail: `"value" of ${metric} must be within 0..100${max > 100 ? ` (up to ${max} is clamped to 100)` : ''}`,
    };
  return Math.min(value, L.maxPercent);
}

/**
 * Checks one sample (any JS value: a parsed ndjson line or a collector's object). Returns a fresh,
 * normalised sample (missing intervalSec = 20, CPU overshoot clamped to 100) or the first reason it fails.
 */
export function validateSample(v: unknown, opts: ValidationOptions): Validated {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: 'not-object', detail: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  const intervalSec = o.intervalSec === undefined ? 20 : o.intervalSec;
  const series = seriesProblem(o.machine, o.metric, o.instance, intervalSec);
  if (series) return { ok: false, ...series };
  const metric = o.metric as MetricName;
  const value = pointProblem(metric, o.ts, o.value, tsWindow(opts));
  if (typeof value !== 'number') return { ok: false, ...value };
  return {
    ok: true,
    sample: {
      machine: o.machine as string,
      metric,
      instance: o.instance as string,
      ts: o.ts as number,
      value,
      intervalSec: intervalSec as number,
    },
  };
}

export interface RejectedSample {
  /** The offending value, as received (possibly huge: the quarantine truncates it). */
  sample: unknown;
  reason: InvalidReason;
  detail: string;
}

/** Splits a batch into valid (normalised, in order) and rejected samples. */
export function partitionSamples(batch: readonly unknown[], opts: ValidationOptions): { valid: Sample[]; rejected: RejectedSample[] } {
  const valid: Sample[] = [];
  const rejected: RejectedSample[] = [];
  const o = { ...opts, now: opts.now ?? Date.now() };
  for (const s of batch) {
    const r = validateSample(s, o);
    if (r.ok) valid.push(r.sample);
    else rejected.push({ sample: s, reason: r.reason, detail: r.detail });
  }
  return { valid, rejected };
}
