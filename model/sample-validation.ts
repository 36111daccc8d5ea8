// The one definition of a valid sample, checked where samples enter the pipeline (the collectors'
// producer, `collector ingest`) and again by the rollup worker. schemas/sample.schema.json states the
// same bounds; test/queue/sample-validation.test.ts fails when the two disagree.
import { METRICS, isMetricName, metricScope, type Sample } from '../collectors/model.js';

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

export const INVALID_REASONS: readonly InvalidReason[] = ['not-object', 'machine', 'metric', 'instance', 'ts', 'ts-too-old', 'ts-in-future', 'value-not-finite', 'value-negative', 'value-float32', 'value-percent', 'interval'];

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

const bad = (reason: InvalidReason, detail: string): Validated => ({ ok: false, reason, detail });

/**
 * Checks one sample (any JS value: a parsed ndjson line or a collector's object). Returns a fresh,
 * normalised sample (missing intervalSec = 20, CPU overshoot clamped to 100) or the first reason it fails.
 */
export function validateSample(v: unknown, opts: ValidationOptions): Validated {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return bad('not-object', 'not a JSON object');
  const o = v as Record<string, unknown>;
  const L = SAMPLE_LIMITS;
  if (typeof o.machine !== 'string' || o.machine.length === 0 || o.machine.length > L.maxIdLength) {
    return bad('machine', `"machine" must be a string of 1 to ${L.maxIdLength} characters`);
  }
  if (typeof o.metric !== 'string' || !isMetricName(o.metric)) return bad('metric', `"metric" must be one of ${METRICS.join(', ')}`);
  const machineWide = metricScope(o.metric) === 'machine';
  if (typeof o.instance !== 'string' || o.instance.length > L.maxIdLength || (machineWide ? o.instance !== '' : o.instance === '')) {
    return bad('instance', `"instance" must be "" for cpu and memory, else a disk or NIC id of 1 to ${L.maxIdLength} characters`);
  }
  if (typeof o.ts !== 'number' || !Number.isSafeInteger(o.ts) || o.ts < L.minTs || o.ts > L.maxTs) return bad('ts', '"ts" must be integer epoch milliseconds between 2000 and 2100');
  const now = opts.now ?? Date.now();
  if (o.ts < oldestAcceptedTs(now, opts.retentionDays)) return bad('ts-too-old', `"ts" is older than the retention (${opts.retentionDays} days)`);
  if (o.ts > now + L.maxFutureMs) return bad('ts-in-future', `"ts" is more than ${L.maxFutureMs / 60_000} minutes in the future`);
  if (typeof o.value !== 'number' || !Number.isFinite(o.value)) return bad('value-not-finite', '"value" must be a finite number');
  if (o.value < 0) return bad('value-negative', '"value" must not be negative');
  if (o.value > L.maxValue) return bad('value-float32', '"value" exceeds the float32 range');
  let value = o.value;
  if (machineWide) {
    const max = o.metric === 'cpu.usage.percent' ? L.cpuOvershootPercent : L.maxPercent;
    if (value > max) return bad('value-percent', `"value" of ${o.metric} must be within 0..100${max > 100 ? ` (up to ${max} is clamped to 100)` : ''}`);
    value = Math.min(value, L.maxPercent);
  }
  const intervalSec = o.intervalSec === undefined ? 20 : o.intervalSec;
  if (typeof intervalSec !== 'number' || !Number.isInteger(intervalSec) || intervalSec < L.minIntervalSec || intervalSec > L.maxIntervalSec) {
    return bad('interval', `"intervalSec" must be an integer from ${L.minIntervalSec} to ${L.maxIntervalSec}`);
  }
  return { ok: true, sample: { machine: o.machine, metric: o.metric, instance: o.instance, ts: o.ts, value, intervalSec } };
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
