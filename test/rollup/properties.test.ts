import fc from 'fast-check';
import { quantileSorted } from 'simple-statistics';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricName, Sample } from '../../model/index.js';
import { decodeBatch, encodeBatch } from '../../queue/codec.js';
import { computeSeriesPercentiles } from '../../rollup/percentile-report.js';
import { PointStore } from '../../rollup/point-store.js';
import { sealFinishedDays } from '../../rollup/sealer.js';
import { confidenceStars, dataPointsPercent } from '../../rollup/peak-statistics.js';
import { DAY_MS, WINDOW_MS, historyRange } from '../../rollup/window.js';
import { referencePoints, testRedis } from './helpers.js';

const t = testRedis(2);
afterAll(() => t.cleanup());

const NOW = Date.now();
const BASE = (Math.floor(NOW / DAY_MS) - 3) * DAY_MS; // three days ago, inside the retention

/** A series of regular samples: 20 s (vCenter) or 30 s (Hyper-V), aligned or at any ms offset, with gaps. */
const seriesArb = fc.record({
  machine: fc.constantFrom('vm-1', 'vm-2', 'vm-3'),
  metric: fc.constantFrom<MetricName>('cpu.usage.percent', 'disk.read.bytesPerSec', 'net.received.bytesPerSec'),
  instance: fc.constantFrom('', '2000', '4000'),
  intervalSec: fc.constantFrom(20, 30),
  offsetMs: fc.integer({ min: 0, max: 2 * DAY_MS }),
  count: fc.integer({ min: 1, max: 400 }),
  gapEvery: fc.integer({ min: 0, max: 50 }),
  values: fc.array(fc.double({ min: 0, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 50 }),
});

type SeriesSpec = typeof seriesArb extends fc.Arbitrary<infer T> ? T : never;

function expand(specs: SeriesSpec[]): Sample[] {
  const out: Sample[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const id = `${s.machine}|${s.metric}|${s.instance}`;
    if (seen.has(id)) continue; // one cadence per series, as a collector produces
    seen.add(id);
    for (let i = 0; i < s.count; i++) {
      if (s.gapEvery > 0 && i % s.gapEvery === 0) continue;
      out.push({
        machine: s.machine,
        metric: s.metric,
        instance: s.instance,
        intervalSec: s.intervalSec,
        ts: BASE + s.offsetMs + i * s.intervalSec * 1000,
        value: s.values[i % s.values.length]!,
      });
    }
  }
  return out;
}

/** Delivery as at-least-once gives it: shuffled, some samples repeated (poll overlap), whole batches delivered twice, some late. */
const deliveryArb = fc.record({
  seed: fc.integer(),
  dupShare: fc.double({ min: 0, max: 0.5, noNaN: true }),
  batchSize: fc.integer({ min: 1, max: 300 }),
  redeliver: fc.double({ min: 0, max: 0.5, noNaN: true }),
  lateShare: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return x / 2 ** 32;
  };
}

type DeliverySpec = typeof deliveryArb extends fc.Arbitrary<infer T> ? T : never;

function deliver(samples: Sample[], d: DeliverySpec): Sample[][] {
  const r = rng(d.seed);
  const stream = [...samples];
  for (const s of samples) if (r() < d.dupShare) stream.push({ ...s });
  for (let i = stream.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [stream[i], stream[j]] = [stream[j]!, stream[i]!];
  }
  // Late samples (vCenter backfill up to an hour and more): moved to the very end of the stream.
  const late = stream.filter(() => r() < d.lateShare);
  const onTime = stream.filter((s) => !late.includes(s));
  const ordered = [...onTime, ...late];
  const batches: Sample[][] = [];
  for (let i = 0; i < ordered.length; i += d.batchSize) batches.push(ordered.slice(i, i + d.batchSize));
  const out: Sample[][] = [];
  for (const b of batches) {
    out.push(b);
    if (r() < d.redeliver) out.push(b);
  }
  return out;
}

let run = 0;

describe('rollup properties (fast-check) against a plain in-memory reference', () => {
  it('points equal the reference whatever the order, duplication, redelivery and lateness', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(seriesArb, { minLength: 1, maxLength: 5 }), deliveryArb, async (specs, d) => {
        const prefix = `${t.prefix}:${run++}`;
        const store = new PointStore(t.redis, prefix, { retentionDays: 31 });
        const samples = expand(specs);
        for (const batch of deliver(samples, d)) await store.apply(decodeBatch(JSON.parse(JSON.stringify(encodeBatch(batch)))), NOW);
        const ref = referencePoints(samples);
        const got = new Map<string, { peak: number; count: number }>();
        const ids = new Set(samples.map((s) => `${s.machine}|${s.metric}|${s.instance}`));
        for (const id of ids) {
          const [machine, metric, instance] = id.split('|') as [string, MetricName, string];
          const pts = await store.readPoints({ machine, metric, instance, from: BASE, to: BASE + 4 * DAY_MS });
          for (const p of pts) got.set(`${id}|${p.windowStart}`, { peak: p.peak, count: p.samples });
        }
        expect(got).toEqual(ref);
      }),
      { numRuns: 60 },
    );
  });

  it('sealing at any point of the stream keeps every point and peak exact; counts stay between what was sealed and the truth', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(seriesArb, { minLength: 1, maxLength: 4 }),
        deliveryArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (specs, d, cutShare) => {
          const prefix = `${t.prefix}:${run++}`;
          const store = new PointStore(t.redis, prefix, { retentionDays: 31 });
          const samples = expand(specs);
          const delivered = deliver(samples, d);
          const cut = Math.floor(delivered.length * cutShare);
          for (const batch of delivered.slice(0, cut)) await store.apply(decodeBatch(encodeBatch(batch)), NOW);
          const before = referencePoints(delivered.slice(0, cut).flat());
          await sealFinishedDays(t.redis, prefix, { sealAfterMs: 6 * 3_600_000, retentionDays: 31, now: BASE + 5 * DAY_MS });
          for (const batch of delivered.slice(cut)) await store.apply(decodeBatch(encodeBatch(batch)), NOW);
          const truth = referencePoints(samples);
          const got = new Map<string, { peak: number; count: number }>();
          for (const id of new Set(samples.map((s) => `${s.machine}|${s.metric}|${s.instance}`))) {
            const [machine, metric, instance] = id.split('|') as [string, MetricName, string];
            for (const p of await store.readPoints({ machine, metric, instance, from: BASE, to: BASE + 4 * DAY_MS }))
              got.set(`${id}|${p.windowStart}`, { peak: p.peak, count: p.samples });
          }
          expect([...got.keys()].sort()).toEqual([...truth.keys()].sort());
          for (const [k, v] of truth) {
            const g = got.get(k)!;
            expect(g.peak).toBe(v.peak);
            expect(g.count).toBeLessThanOrEqual(v.count);
            expect(g.count).toBeGreaterThanOrEqual(Math.max(1, before.get(k)?.count ?? 1));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('percentiles and confidence equal the reference computed from the raw samples', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(seriesArb, { minLength: 1, maxLength: 4 }),
        deliveryArb,
        fc.integer({ min: 0, max: 3 * DAY_MS }),
        fc.constantFrom<'1d' | '7d'>('1d', '7d'),
        async (specs, d, asOfOffset, history) => {
          const prefix = `${t.prefix}:${run++}`;
          const store = new PointStore(t.redis, prefix, { retentionDays: 31 });
          const samples = expand(specs);
          for (const batch of deliver(samples, d)) await store.apply(decodeBatch(encodeBatch(batch)), NOW);
          const asOf = BASE + asOfOffset;
          const machines = [...new Set(samples.map((s) => s.machine))].sort();
          const entries = machines.map((m) => ({
            id: m,
            series: [...new Set(samples.filter((s) => s.machine === m).map((s) => `${s.metric}|${s.instance}`))].map((k) => {
              const [metric, instance] = k.split('|') as [MetricName, string];
              return { machine: m, metric, instance };
            }),
          }));
          const report = await computeSeriesPercentiles(t.redis, prefix, entries, { asOf, history });
          // Reference: window peaks per series from the raw samples, complete windows in the history only.
          const { from, to, expectedPoints } = historyRange(asOf, history);
          expect(to % WINDOW_MS).toBe(0);
          const ref = referencePoints(samples);
          for (const m of report.machines) {
            const entry = entries.find((e) => e.id === m.id)!;
            expect(m.series).toHaveLength(entry.series.length);
            for (const s of m.series) {
              const peaks = [...ref.entries()]
                .filter(([k]) => k.startsWith(`${m.id}|${s.metric}|${s.instance}|`))
                .map(([k, v]) => ({ ws: Number(k.split('|')[3]), peak: v.peak }))
                .filter((p) => p.ws >= from && p.ws < to)
                .map((p) => p.peak)
                .sort((a, b) => a - b);
              expect(s.points).toBe(peaks.length);
              expect(s.expectedPoints).toBe(expectedPoints);
              if (peaks.length === 0) expect([s.p50, s.p90, s.p95, s.p99, s.max]).toEqual([null, null, null, null, null]);
              else
                expect([s.p50, s.p90, s.p95, s.p99, s.max]).toEqual(
                  [0.5, 0.9, 0.95, 0.99].map((p) => quantileSorted(peaks, p)).concat(peaks[peaks.length - 1]!),
                );
            }
            const present = m.series.reduce((n, s) => n + s.points, 0);
            const pct = Math.round((present / (m.series.length * expectedPoints)) * 10_000) / 100;
            expect(m.dataPointsPercent).toBe(pct);
            expect(m.confidenceStars).toBe(pct <= 20 ? 1 : pct <= 40 ? 2 : pct <= 60 ? 3 : pct <= 80 ? 4 : 5);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('confidence thresholds (Azure Migrate 2.8)', () => {
  it('maps availability to stars at every boundary', () => {
    expect([0, 20, 20.01, 40, 40.01, 60, 60.01, 80, 80.01, 100].map(confidenceStars)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });
  it('availability is present over expected points across every needed series', () => {
    expect(
      dataPointsPercent([
        { points: 144, expectedPoints: 144 },
        { points: 0, expectedPoints: 144 },
      ]),
    ).toBe(50);
    expect(dataPointsPercent([{ points: 1, expectedPoints: 3 }])).toBe(33.33);
    expect(dataPointsPercent([])).toBe(0);
  });
});
