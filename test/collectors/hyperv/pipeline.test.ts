// Hyper-V samples through the same pipeline as vCenter's: collector -> SampleProducer -> BullMQ ->
// RollupWorker -> 10-minute peaks in Redis (database 4, a unique prefix, deleted afterwards). The peaks
// must equal the workload the estate prescribes.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createHypervCollector } from '../../../collectors/hyperv/index.js';
import { createLogger } from '../../../common/log.js';
import { parseConfig } from '../../../config/load.js';
import { loadEstate } from '../../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../../lab/hyperv/index.js';
import { SLOT_SEC } from '../../../lab/hyperv/world.js';
import { SampleProducer } from '../../../queue/sample-producer.js';
import { createSamplesQueue } from '../../../queue/samples-queue.js';
import { RollupWorker } from '../../../rollup/worker.js';
import { readPoints } from '../../../rollup/point-store.js';
import { truth } from '../../lab/hyperv/direct.js';

const WINDOW = 600_000;
const SLOT = SLOT_SEC * 1000;
const prefix = `hvtest-${randomUUID().slice(0, 8)}`;
const redis = new Redis('redis://127.0.0.1:6379/4', { maxRetriesPerRequest: 3 });
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  redis.disconnect();
});

describe('Hyper-V samples in the shared pipeline', () => {
  it('roll up into 10-minute peaks equal to the estate workload, each 30-s sample counted once', async () => {
    const log = createLogger({ level: 'silent' });
    const w0 = Math.floor(Date.now() / WINDOW) * WINDOW - 2 * 86_400_000; // two days ago, on a window start
    let now = w0;
    process.env.HV_PIPE_PASSWORD = 'Pipe-Passw0rd!';
    const lab: HypervLab = await startHypervLab({
      estate: loadEstate('lab/estates/sample.yaml'),
      hosts: ['hv02'],
      users: { collector: 'Pipe-Passw0rd!' },
      clock: () => now,
      log,
    });
    cleanups.push(() => lab.close());
    const config = parseConfig({
      redis: { url: 'redis://127.0.0.1:6379/4', prefix },
      sources: [
        {
          name: 'hv',
          kind: 'hyperv',
          host: 'hv02',
          transport: 'http',
          username: 'collector',
          password: { env: 'HV_PIPE_PASSWORD' },
          hostMap: lab.hostMap(),
        },
      ],
    });
    const { queue, connection } = createSamplesQueue(config);
    cleanups.push(async () => {
      await queue.close();
      connection.disconnect();
    });
    const producer = new SampleProducer(queue, { maxBufferedSamples: 1_000_000, log });
    const worker = new RollupWorker(config, { log });
    cleanups.push(() => worker.close());
    const src = config.sources[0]!;
    if (src.kind !== 'hyperv') throw new Error('expected a hyperv source');
    const collector = createHypervCollector(src, { log });
    cleanups.push(() => collector.close());

    const { machines } = await collector.discover();
    let pushed = 0;
    // Readings every 30 s from w0 to w0 + 10 min: samples at w0+30 s .. w0+600 s (19 in the first window, 1 in the next).
    for (let k = 0; k <= 20; k++) {
      await collector.poll((batch) => {
        pushed += batch.length;
        producer.push(batch);
      });
      now += SLOT;
    }
    expect(await producer.flush(60_000)).toBe(true);
    const deadline = Date.now() + 60_000;
    while (worker.stats.samples < pushed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(worker.stats.samples).toBe(pushed);

    const running = machines.filter((m) => m.powerState === 'poweredOn');
    expect(running.length).toBeGreaterThan(2);
    for (const m of running) {
      const want = new Map<string, number>();
      for (let k = 0; k < 19; k++)
        for (const [key, v] of truth(lab.world, m.name, w0 + k * SLOT)) want.set(key, Math.max(want.get(key) ?? -Infinity, v));
      for (const [key, peak] of want) {
        const [metric, instance] = key.split('|') as [string, string];
        const points = await readPoints(redis, prefix, { machine: m.id, metric: metric as never, instance, from: w0, to: w0 + 2 * WINDOW });
        expect(
          points.map((p) => p.windowStart),
          `${m.name} ${key}`,
        ).toEqual([w0, w0 + WINDOW]);
        expect(points[0]!.samples).toBe(19);
        expect(points[1]!.samples).toBe(1);
        expect(Math.abs(points[0]!.peak - peak), `${m.name} ${key}`).toBeLessThan(Math.max(0.05, Math.abs(peak) * 1e-6));
      }
    }
  });
});
