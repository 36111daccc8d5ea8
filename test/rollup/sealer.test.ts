import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../model/index.js';
import { decodeBatch, encodeBatch } from '../../queue/codec.js';
import { computeSeriesPercentiles } from '../../rollup/percentile-report.js';
import { PointStore, pointKey } from '../../rollup/point-store.js';
import { sealFinishedDays, sealWithLock } from '../../rollup/sealer.js';
import { DAY_MS } from '../../rollup/window.js';
import { referencePoints, testRedis } from './helpers.js';

const t = testRedis(1);
afterAll(() => t.cleanup());

const NOW = Date.now();
const TODAY = Math.floor(NOW / DAY_MS);
const D0 = (TODAY - 5) * DAY_MS;
const SERIES = [
  { machine: 'vm-s1', metric: 'cpu.usage.percent' as const, instance: '' },
  { machine: 'vm-s1', metric: 'disk.read.bytesPerSec' as const, instance: '2000' },
  { machine: 'vm-s2', metric: 'net.received.bytesPerSec' as const, instance: '4000' },
];

function samples(stepMs: number, offsetMs: number, count: number, value: (i: number) => number): Sample[] {
  const out: Sample[] = [];
  for (const s of SERIES)
    for (let i = 0; i < count; i++) out.push({ ...s, ts: D0 + offsetMs + i * stepMs, value: value(i), intervalSec: stepMs / 1000 });
  return out;
}

async function readAll(store: PointStore): Promise<Map<string, { peak: number; count: number }>> {
  const got = new Map<string, { peak: number; count: number }>();
  for (const s of SERIES)
    for (const p of await store.readPoints({ ...s, from: D0 - DAY_MS, to: NOW }))
      got.set(`${s.machine}|${s.metric}|${s.instance}|${p.windowStart}`, { peak: p.peak, count: p.samples });
  return got;
}

describe('sealing finished days (8 -> 5 bytes per window)', () => {
  it('keeps every point, count, percentile and expiry; replays change nothing; later samples keep peaks exact', async () => {
    const store = new PointStore(t.redis, t.prefix, { retentionDays: 31 });
    // 40-s samples across three days (15 per window), unaligned.
    const first = samples(40_000, 7_123, 3 * 2160, (i) => (i * 7919) % 1000);
    for (let i = 0; i < first.length; i += 1000) await store.apply(decodeBatch(encodeBatch(first.slice(i, i + 1000))), NOW);
    const before = await readAll(store);
    expect(before).toEqual(referencePoints(first));
    const entries = [
      { id: 'vm-s1', series: SERIES.slice(0, 2) },
      { id: 'vm-s2', series: SERIES.slice(2) },
    ];
    const pBefore = await computeSeriesPercentiles(t.redis, t.prefix, entries, { asOf: NOW, history: '7d' });
    const key = pointKey(t.prefix, SERIES[0]!, TODAY - 5);
    const ttl = await t.redis.expiretime(key);
    expect(await t.redis.strlen(key)).toBe(1152);

    const r = await sealFinishedDays(t.redis, t.prefix, { sealAfterMs: 6 * 3_600_000, retentionDays: 31, now: NOW });
    expect(r.days).toContain(TODAY - 5);
    expect(r.days).not.toContain(TODAY); // today is never sealable
    expect(r.keys).toBe(3 * 3); // three series x three days with points
    expect(await t.redis.strlen(key)).toBe(720);
    expect(await t.redis.expiretime(key)).toBe(ttl);
    expect(await readAll(store)).toEqual(before);
    expect(await computeSeriesPercentiles(t.redis, t.prefix, entries, { asOf: NOW, history: '7d' })).toEqual(pBefore);
    // The watermark keeps a second run to new days only; the lock lets one worker of many do it.
    expect(await sealFinishedDays(t.redis, t.prefix, { sealAfterMs: 6 * 3_600_000, retentionDays: 31, now: NOW })).toEqual({
      days: [],
      keys: 0,
    });
    expect(await sealWithLock(t.redis, t.prefix, { sealAfterMs: 6 * 3_600_000, retentionDays: 31 })).toEqual({ days: [], keys: 0 });

    // Redelivering the original batches after the seal changes nothing.
    for (let i = 0; i < first.length; i += 1000) await store.apply(decodeBatch(encodeBatch(first.slice(i, i + 1000))), NOW);
    expect(await readAll(store)).toEqual(before);

    // Very late samples (after the seal) at the in-between 20-s timestamps with higher values: peaks are
    // exact (max); counts cannot be deduplicated any more and become a lower bound.
    const late = samples(40_000, 27_123, 3 * 2160, (i) => 2000 + ((i * 31) % 500));
    for (let i = 0; i < late.length; i += 1000) await store.apply(decodeBatch(encodeBatch(late.slice(i, i + 1000))), NOW);
    const after = await readAll(store);
    const truth = referencePoints([...first, ...late]);
    expect([...after.keys()].sort()).toEqual([...truth.keys()].sort());
    for (const [k, v] of truth) {
      expect(after.get(k)!.peak).toBe(v.peak);
      expect(after.get(k)!.count).toBeLessThanOrEqual(v.count);
      expect(after.get(k)!.count).toBeGreaterThanOrEqual(before.get(k)?.count ?? 1);
    }
  });
});
