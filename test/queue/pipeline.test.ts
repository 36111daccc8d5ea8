import { afterAll, describe, expect, it } from 'vitest';
import { SampleProducer } from '../../queue/sample-producer.js';
import { createSamplesQueue, queueStatus } from '../../queue/samples-queue.js';
import { PointStore } from '../../rollup/point-store.js';
import { RollupWorker } from '../../rollup/worker.js';
import { DAY_MS } from '../../rollup/window.js';
import { referencePoints, testRedis } from '../rollup/helpers.js';
import { PrivateRedis } from './redis-server.js';
import { captureLogger, syntheticSamples, testConfig, waitFor } from './helpers.js';
import type { Sample } from '../../model/index.js';
import type { Redis } from 'ioredis';

const T0 = (Math.floor(Date.now() / DAY_MS) - 1) * DAY_MS + 3_600_000;

async function pointsOf(redis: Redis, prefix: string, samples: Sample[]): Promise<Map<string, { peak: number; count: number }>> {
  const store = new PointStore(redis, prefix);
  const got = new Map<string, { peak: number; count: number }>();
  for (const id of new Set(samples.map((s) => `${s.machine}|${s.metric}|${s.instance}`))) {
    const [machine, metric, instance] = id.split('|') as [string, Sample['metric'], string];
    for (const p of await store.readPoints({ machine, metric, instance, from: T0 - DAY_MS, to: T0 + DAY_MS }))
      got.set(`${id}|${p.windowStart}`, { peak: p.peak, count: p.samples });
  }
  return got;
}

function batches(samples: Sample[], size: number): Sample[][] {
  const out: Sample[][] = [];
  for (let i = 0; i < samples.length; i += size) out.push(samples.slice(i, i + size));
  return out;
}

describe('samples queue -> rollup worker (real Redis, BullMQ)', () => {
  const t = testRedis(3);
  afterAll(() => t.cleanup());

  it('one job per batch; batches delivered twice roll up to the same points as a clean run', async () => {
    const cfg = testConfig(t.url, t.prefix);
    const { log } = captureLogger();
    const { queue, connection } = createSamplesQueue(cfg);
    const producer = new SampleProducer(queue, { maxBufferedSamples: 1_000_000, log });
    producer.trackJobIds = true;
    const samples = syntheticSamples(T0, 20, 90);
    const parts = batches(samples, 500);
    // push() resolves once Redis has the batch: the job is there as soon as the promise settles.
    await producer.push(parts[0]!);
    expect((await queueStatus(queue)).waiting).toBe(1);
    for (const b of parts.slice(1)) void producer.push(b);
    for (const b of parts.slice(0, 10)) void producer.push(b); // redelivered
    await producer.flush();
    expect(producer.jobIds).toHaveLength(parts.length + 10);
    const before = await queueStatus(queue);
    expect(before.waiting).toBe(parts.length + 10);
    expect(before.lagMs).toBeGreaterThanOrEqual(0);
    const worker = new RollupWorker(cfg, { log, concurrency: 2 });
    await waitFor(
      async () => {
        const s = await queueStatus(queue);
        return s.waiting + s.active + s.delayed === 0;
      },
      60_000,
      'queue drained',
    );
    expect(worker.stats.samples).toBe(samples.length + 10 * 500);
    expect((await queueStatus(queue)).failed).toBe(0);
    expect(await pointsOf(t.redis, t.prefix, samples)).toEqual(referencePoints(samples));
    await worker.close();
    await queue.close();
    connection.disconnect();
  });
});

describe('queue status', () => {
  const t = testRedis(3);
  afterAll(() => t.cleanup());
  it('lag is the age of the oldest waiting batch', async () => {
    const cfg = testConfig(t.url, t.prefix);
    const { queue, connection } = createSamplesQueue(cfg);
    await queue.add('batch', { v: 1, n: 0, g: [] });
    await new Promise((r) => setTimeout(r, 400));
    await queue.add('batch', { v: 1, n: 0, g: [] });
    const st = await queueStatus(queue);
    expect(st.waiting).toBe(2);
    expect(st.lagMs).toBeGreaterThanOrEqual(400);
    await queue.close();
    connection.disconnect();
  });
});

describe('Redis away: bounded buffer, one log line per state change, delivery on return', () => {
  let redis: PrivateRedis;
  afterAll(async () => redis?.stop());

  it('keeps polling into the buffer, logs once, delivers when Redis returns; past the bound drops the oldest', async () => {
    redis = await PrivateRedis.start();
    const cfg = testConfig(redis.url, 'tq');
    const { log, lines } = captureLogger();
    const { queue, connection } = createSamplesQueue(cfg);
    connection.on('error', () => {});
    const producer = new SampleProducer(queue, { maxBufferedSamples: 3000, log });
    const samples = syntheticSamples(T0, 10, 60); // 1800 samples
    const parts = batches(samples, 300);
    producer.push(parts[0]!);
    await producer.flush();
    await redis.kill();
    // "Polls" while Redis is down: the first push is held until the producer finds Redis away, then
    // every push returns at once and the batches wait in the buffer.
    await producer.push(parts[1]!);
    const t1 = Date.now();
    for (const b of parts.slice(2)) await producer.push(b);
    expect(Date.now() - t1).toBeLessThan(1000);
    await waitFor(() => producer.stats().redis === 'away', 20_000, 'away state');
    await new Promise((r) => setTimeout(r, 1500)); // several delivery attempts
    expect(lines.filter((l) => /Redis unreachable/.test(String(l.msg)))).toHaveLength(1);
    expect(producer.stats().bufferedSamples).toBe(1500);
    await redis.up();
    expect(await producer.flush(30_000)).toBe(true);
    expect(lines.filter((l) => /Redis reachable again/.test(String(l.msg)))).toHaveLength(1);
    expect(producer.stats()).toMatchObject({ bufferedSamples: 0, deliveredSamples: 1800, droppedSamples: 0, redis: 'up' });

    // Past the bound: the oldest batches go, the drop is logged once.
    await redis.kill();
    const more = syntheticSamples(T0 + 7_200_000, 10, 120); // 3600 samples > 3000
    const moreParts = batches(more, 600);
    for (const b of moreParts) producer.push(b);
    expect(producer.stats().bufferedSamples).toBeLessThanOrEqual(3000);
    expect(producer.stats().droppedSamples).toBe(600);
    expect(lines.filter((l) => /buffer full/.test(String(l.msg)))).toHaveLength(1);
    await redis.up();
    expect(await producer.flush(30_000)).toBe(true);

    const worker = new RollupWorker(cfg, { log });
    await waitFor(
      async () => {
        const s = await queueStatus(queue);
        return s.waiting + s.active + s.delayed === 0;
      },
      60_000,
      'queue drained',
    );
    // The first of these batches was already being added when the bound was hit, so the next-oldest went.
    const kept = [...samples, ...moreParts.filter((_, i) => i !== 1).flat()];
    const check = new (await import('ioredis')).Redis(redis.url);
    expect(await pointsOf(check, 'tq', kept)).toEqual(referencePoints(kept));
    check.disconnect();
    await worker.close();
    await queue.close();
    connection.disconnect();
  });
});
