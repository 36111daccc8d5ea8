// redis.sentinels: the producer and the worker find the master through a real Redis Sentinel
// (redis-server --sentinel, private ports) and the points equal the reference.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { createRedis } from '../../queue/redis.js';
import { SampleProducer } from '../../queue/sample-producer.js';
import { createSamplesQueue, queueStatus } from '../../queue/samples-queue.js';
import { PointStore } from '../../rollup/point-store.js';
import { RollupWorker } from '../../rollup/worker.js';
import { DAY_MS } from '../../rollup/window.js';
import { referencePoints } from '../rollup/helpers.js';
import { captureLogger, syntheticSamples, waitFor } from './helpers.js';
import { PrivateRedis, freePort } from './redis-server.js';

let master: PrivateRedis;
let sentinel: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'collector-sentinel-'));
afterAll(async () => {
  sentinel?.kill('SIGKILL');
  await master?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis Sentinel (redis.sentinels)', () => {
  it('finds the master through the sentinel for producers, workers and readers', async () => {
    master = await PrivateRedis.start();
    const sport = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      `port ${sport}\nbind 127.0.0.1\nprotected-mode no\ndir ${dir}\nsentinel monitor labmaster 127.0.0.1 ${master.port} 1\n`,
    );
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    await waitFor(
      async () => {
        const c = new Redis({ port: sport, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        c.on('error', () => {});
        try {
          await c.connect();
          const r = (await c.call('SENTINEL', 'get-master-addr-by-name', 'labmaster')) as string[] | null;
          return Array.isArray(r) && Number(r[1]) === master.port;
        } catch {
          return false;
        } finally {
          c.disconnect();
        }
      },
      20_000,
      'sentinel up',
    );

    // The URL's host is deliberately wrong: with sentinels only its db number counts.
    const config = parseConfig({
      redis: {
        url: 'redis://203.0.113.1:1/2',
        prefix: 'sent',
        sentinels: [{ host: '127.0.0.1', port: sport }],
        sentinelMasterName: 'labmaster',
      },
      rollup: { stalledIntervalSec: 1, lockDurationSec: 3 },
    });
    const { log } = captureLogger();
    const { queue, connection } = createSamplesQueue(config);
    const producer = new SampleProducer(queue, { maxBufferedSamples: 1_000_000, log });
    const t0 = (Math.floor(Date.now() / DAY_MS) - 1) * DAY_MS;
    const samples = syntheticSamples(t0, 5, 60);
    producer.push(samples.slice(0, 400));
    producer.push(samples.slice(400));
    expect(await producer.flush(20_000)).toBe(true);
    const worker = new RollupWorker(config, { log });
    await waitFor(
      async () => {
        const s = await queueStatus(queue);
        return s.waiting + s.active + s.delayed === 0;
      },
      30_000,
      'drained',
    );
    await worker.close();
    const reader = createRedis(config.redis);
    const store = new PointStore(reader, 'sent');
    const got = new Map<string, { peak: number; count: number }>();
    for (const id of new Set(samples.map((s) => `${s.machine}|${s.metric}|${s.instance}`))) {
      const [m, metric, instance] = id.split('|') as [string, 'cpu.usage.percent', string];
      for (const p of await store.readPoints({ machine: m, metric, instance, from: t0, to: t0 + DAY_MS }))
        got.set(`${id}|${p.windowStart}`, { peak: p.peak, count: p.samples });
    }
    expect(got).toEqual(referencePoints(samples));
    // The data sits in db 2 of the master the sentinel named.
    const direct = new Redis(`${master.url.replace(/\/0$/, '')}/2`);
    expect(await direct.exists('sent:machines')).toBe(1);
    direct.disconnect();
    reader.disconnect();
    await queue.close();
    connection.disconnect();
  });
});
