import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../model/index.js';
import { decodeBatch, encodeBatch } from '../../queue/codec.js';
import { PointStore, pointKey, readPoints } from '../../rollup/point-store.js';
import { DAY_BYTES, DAY_MS } from '../../rollup/window.js';
import { referencePoints, testRedis } from './helpers.js';

const t = testRedis(1);
afterAll(() => t.cleanup());

const DAY = Math.floor(Date.now() / DAY_MS) - 2; // two days ago: inside the retention
const T0 = DAY * DAY_MS;

function series(machine: string, start: number, count: number, stepMs: number, value: (i: number) => number): Sample[] {
  return Array.from({ length: count }, (_, i) => ({
    machine,
    metric: 'cpu.usage.percent' as const,
    instance: '',
    ts: start + i * stepMs,
    value: value(i),
    intervalSec: stepMs / 1000,
  }));
}

describe('PointStore on a real Redis', () => {
  let store: PointStore;
  beforeAll(() => {
    store = new PointStore(t.redis, t.prefix, { retentionDays: 31 });
  });

  it('keeps the peak and the number of distinct timestamps per 10-minute window, and redelivery changes nothing', async () => {
    const samples = series('vm-a', T0 + 20_000, 90, 20_000, (i) => (i * 37) % 101); // 30 min of 20 s samples
    const groups = decodeBatch(JSON.parse(JSON.stringify(encodeBatch(samples))));
    const first = await store.apply(groups);
    expect(first.samples).toBe(90);
    expect(first.changed).toBeGreaterThan(0);
    const again = await store.apply(groups);
    expect(again.changed).toBe(0);
    const pts = await store.readPoints({ machine: 'vm-a', metric: 'cpu.usage.percent', instance: '', from: T0, to: T0 + DAY_MS });
    const ref = referencePoints(samples);
    expect(pts.map((p) => [p.windowStart, p.peak, p.samples])).toEqual(
      [...ref.entries()].map(([k, v]) => [Number(k.split('|')[3]), v.peak, v.count]),
    );
    // 20 s samples ending at :20 .. :600 -> windows hold 29, 30, 30 and 1 distinct timestamps
    expect(pts.map((p) => p.samples)).toEqual([29, 30, 30, 1]);
  });

  it('allocates each day-string at its full size and sets its expiry to day end + retention', async () => {
    const key = pointKey(t.prefix, { machine: 'vm-a', metric: 'cpu.usage.percent', instance: '' }, DAY);
    expect(await t.redis.strlen(key)).toBe(DAY_BYTES);
    expect(await t.redis.expiretime(key)).toBe(((DAY + 1 + 31) * DAY_MS) / 1000);
    expect(await store.machines()).toContain('vm-a');
    expect(await store.seriesOf('vm-a')).toEqual([{ machine: 'vm-a', metric: 'cpu.usage.percent', instance: '' }]);
  });

  it('skips samples older than the retention and non-finite values', async () => {
    const old = series('vm-old', (DAY - 40) * DAY_MS, 3, 20_000, () => 5);
    const bad = series('vm-old', T0, 2, 20_000, () => Number.NaN);
    const r = await store.apply(decodeBatch(encodeBatch([...old, ...bad])));
    expect(r).toEqual({ samples: 0, skipped: 5, changed: 0 });
    expect(await store.machines()).not.toContain('vm-old');
  });

  it('readPoints reads across day boundaries and honours [from, to)', async () => {
    const s = series('vm-b', T0 + DAY_MS - 600_000, 61, 20_000, (i) => i); // crosses midnight
    await store.apply(decodeBatch(encodeBatch(s)));
    const pts = await readPoints(t.redis, t.prefix, {
      machine: 'vm-b',
      metric: 'cpu.usage.percent',
      instance: '',
      from: T0,
      to: T0 + 2 * DAY_MS,
    });
    expect(pts.map((p) => p.windowStart - T0)).toEqual([DAY_MS - 600_000, DAY_MS, DAY_MS + 600_000]);
    const cut = await readPoints(t.redis, t.prefix, {
      machine: 'vm-b',
      metric: 'cpu.usage.percent',
      instance: '',
      from: T0 + DAY_MS,
      to: T0 + DAY_MS + 600_000,
    });
    expect(cut).toHaveLength(1);
    expect(cut[0]!.peak).toBe(Math.max(...s.filter((x) => x.ts >= T0 + DAY_MS && x.ts < T0 + DAY_MS + 600_000).map((x) => x.value)));
  });
});
