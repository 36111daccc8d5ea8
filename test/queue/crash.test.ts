import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../model/index.js';
import { SampleProducer } from '../../queue/sample-producer.js';
import { createSamplesQueue, queueStatus } from '../../queue/samples-queue.js';
import { PointStore } from '../../rollup/point-store.js';
import { DAY_MS } from '../../rollup/window.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { referencePoints } from '../rollup/helpers.js';
import { captureLogger, syntheticSamples, testConfig, waitFor } from './helpers.js';
import { PrivateRedis } from './redis-server.js';

const T0 = (Math.floor(Date.now() / DAY_MS) - 2) * DAY_MS;
const dir = mkdtempSync(join(tmpdir(), 'collector-crash-'));
let redis: PrivateRedis;
const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function startWorker(cfgFile: string): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'worker', '--config', cfgFile, '--no-status', '--log-format', 'json'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, COLLECTOR_LOG_LEVEL: 'warn' },
  });
  child.stderr!.resume();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await done;
}

async function allPoints(check: Redis, prefix: string, samples: Sample[]): Promise<Map<string, { peak: number; count: number }>> {
  const store = new PointStore(check, prefix);
  const got = new Map<string, { peak: number; count: number }>();
  for (const id of new Set(samples.map((s) => `${s.machine}|${s.metric}|${s.instance}`))) {
    const [m, metric, instance] = id.split('|') as [string, Sample['metric'], string];
    for (const p of await store.readPoints({ machine: m, metric, instance, from: T0 - DAY_MS, to: T0 + 2 * DAY_MS }))
      got.set(`${id}|${p.windowStart}`, { peak: p.peak, count: p.samples });
  }
  return got;
}

function batches(samples: Sample[], size: number): Sample[][] {
  const out: Sample[][] = [];
  for (let i = 0; i < samples.length; i += size) out.push(samples.slice(i, i + size));
  return out;
}

describe('crashes with a real Redis (own redis-server, AOF fsync always)', () => {
  it("SIGKILLed workers mid-stream (bounded, repeated) and a Redis restart give the clean run's points", async () => {
    redis = await PrivateRedis.start();
    const prefix = 'crash';
    const cfg = testConfig(redis.url, prefix, { workerConcurrency: 2, stalledIntervalSec: 1, lockDurationSec: 2 });
    const cfgFile = join(dir, 'c.yaml');
    writeFileSync(
      cfgFile,
      `redis: { url: ${redis.url}, prefix: ${prefix} }\nsources: []\nrollup: { workerConcurrency: 2, stalledIntervalSec: 1, lockDurationSec: 2 }\n`,
    );
    const { log, lines } = captureLogger();
    const { queue, connection } = createSamplesQueue(cfg);
    connection.on('error', () => {});
    const producer = new SampleProducer(queue, { maxBufferedSamples: 10_000_000, log });
    // 60 machines x 3 series x 900 samples (5 h of 20 s samples) = 162,000 samples in 540 batches.
    const samples = syntheticSamples(T0, 60, 900);
    const parts = batches(samples, 300);
    let next = 0;
    const feed = (n: number) => {
      for (const b of parts.slice(next, next + n)) producer.push(b);
      next += n;
    };

    let killsWithActiveJobs = 0;
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      feed(Math.ceil(parts.length / (rounds + 2)));
      // The round's batches are in Redis before the worker starts, so it has work the moment it is up.
      expect(await producer.flush(60_000)).toBe(true);
      const w = startWorker(cfgFile);
      // Kill it the moment it holds a job (polled tightly: a round's work takes a worker well under a second),
      // a little later in some rounds; if it finished the round first, the kill finds it idle.
      const deadline = Date.now() + 30_000;
      let active = 0;
      while (Date.now() < deadline && w.exitCode === null) {
        const st = await queueStatus(queue).catch(() => null);
        if (st && st.active > 0) {
          active = st.active;
          break;
        }
        if (st && st.waiting === 0 && st.active === 0) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, (round * 7) % 20));
      if (active > 0) killsWithActiveJobs++;
      await killHard(w);
      if (round === rounds / 2) {
        // Redis itself dies mid-stream (kill -9) and comes back from its append-only file.
        await redis.kill('SIGKILL');
        feed(10); // collectors keep polling into the buffer meanwhile
        await new Promise((r) => setTimeout(r, 500));
        await redis.up();
      }
    }
    feed(parts.length); // the rest
    expect(await producer.flush(60_000)).toBe(true);
    expect(producer.stats().droppedSamples).toBe(0);
    expect(killsWithActiveJobs).toBeGreaterThan(0);

    // A last worker recovers the stalled jobs (lock expired) and finishes the stream.
    const last = startWorker(cfgFile);
    await waitFor(
      async () => {
        const s = await queueStatus(queue).catch(() => null);
        return s !== null && s.waiting + s.active + s.delayed === 0;
      },
      120_000,
      'queue drained after the crashes',
    );
    expect((await queueStatus(queue)).failed).toBe(0);

    // SIGTERM drains: the worker exits 0 and leaves no job behind as active.
    const term = new Promise<number | null>((r) => last.once('exit', (code) => r(code)));
    last.kill('SIGTERM');
    expect(await term).toBe(0);

    const check = new Redis(redis.url);
    expect(await allPoints(check, prefix, samples)).toEqual(referencePoints(samples));
    check.disconnect();
    expect(lines.filter((l) => /Redis unreachable/.test(String(l.msg))).length).toBeLessThanOrEqual(1);
    await queue.close();
    connection.disconnect();
  }, 300_000);

  it('SIGTERM lets a worker finish the jobs it holds before it exits', async () => {
    const prefix = 'term';
    const cfg = testConfig(redis.url, prefix, { workerConcurrency: 4, lockDurationSec: 30, stalledIntervalSec: 30 });
    const cfgFile = join(dir, 't.yaml');
    writeFileSync(
      cfgFile,
      `redis: { url: ${redis.url}, prefix: ${prefix} }\nsources: []\nrollup: { workerConcurrency: 4, stalledIntervalSec: 30, lockDurationSec: 30 }\n`,
    );
    const { log } = captureLogger();
    const { queue, connection } = createSamplesQueue(cfg);
    const producer = new SampleProducer(queue, { maxBufferedSamples: 10_000_000, log });
    const samples = syntheticSamples(T0, 40, 600);
    // Many small batches, so the worker is still busy when the SIGTERM arrives even on a fast machine.
    for (const b of batches(samples, 100)) producer.push(b);
    expect(await producer.flush(30_000)).toBe(true);
    const w = startWorker(cfgFile);
    await waitFor(async () => (await queueStatus(queue)).active > 0, 30_000, 'jobs active', 5);
    const exit = new Promise<number | null>((r) => w.once('exit', (code) => r(code)));
    w.kill('SIGTERM');
    expect(await exit).toBe(0);
    // With a 30 s lock nothing could have been recovered by a stalled check: the jobs it held completed.
    const st = await queueStatus(queue);
    expect(st.active).toBe(0);
    expect(st.failed).toBe(0);
    // Another worker finishes the rest; the result equals the clean run.
    const w2 = startWorker(cfgFile);
    await waitFor(
      async () => {
        const s = await queueStatus(queue);
        return s.waiting + s.active + s.delayed === 0;
      },
      120_000,
      'drained',
    );
    await killHard(w2);
    const check = new Redis(redis.url);
    expect(await allPoints(check, prefix, samples)).toEqual(referencePoints(samples));
    check.disconnect();
    await queue.close();
    connection.disconnect();
  }, 200_000);
});
