import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../model/index.js';
import { createMetrics, type MetricsRegistry } from '../../appliance/web/metrics.js';
import { sampleHealthHtml } from '../../appliance/web/sample-health.js';
import { decodeBatch, encodeBatch } from '../../queue/codec.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { Quarantine, quarantineCounts, quarantineKey, readQuarantine } from '../../queue/quarantine.js';
import { SampleProducer } from '../../queue/sample-producer.js';
import { BATCH_JOB, createSamplesQueue } from '../../queue/samples-queue.js';
import { PointStore } from '../../rollup/point-store.js';
import { RollupWorker } from '../../rollup/worker.js';
import { DAY_MS } from '../../rollup/window.js';
import { runCli } from '../helpers/cli.js';
import { captureLogger, testConfig, waitFor } from './helpers.js';

// The shared Redis, database 10 (this suite's), under a prefix of its own; everything under it is deleted after.
const URL = 'redis://127.0.0.1:6379/10';
const PREFIX = `h10q-${process.pid}`;
const NOW = Date.now();
const T = Math.floor(NOW / DAY_MS) * DAY_MS - DAY_MS + 3_600_000; // yesterday 01:00 UTC
const dir = mkdtempSync(join(tmpdir(), 'collector-quarantine-'));
let redis: Redis;

beforeAll(() => {
  redis = new Redis(URL);
});
afterAll(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const cpu = (machine: string, i: number, value = 10 + i): Sample => ({
  machine,
  metric: 'cpu.usage.percent',
  instance: '',
  ts: T + i * 20_000,
  value,
  intervalSec: 20,
});

describe('issue 10 finding 3: one bad sample no longer blocks its batch', () => {
  it('the root cause: a ts after 2106 makes the point store throw RangeError', async () => {
    const store = new PointStore(redis, `${PREFIX}-raw`);
    await expect(store.apply(decodeBatch(encodeBatch([{ ...cpu('vm-raw', 0), ts: Date.UTC(2107, 0, 1) }])))).rejects.toThrow(RangeError);
  });

  it('a job holding a bad sample: good samples stored, the bad one quarantined, the job completes without a retry', async () => {
    const prefix = `${PREFIX}-w`;
    const cfg = testConfig(URL, prefix);
    expect(cfg.rollup.jobAttempts).toBe(50); // the old behaviour: 50 attempts with backoff, for hours
    const { log, lines } = captureLogger();
    const { queue, connection } = createSamplesQueue(cfg);
    // A job as an older producer (no edge check) or a hand-made one would write it.
    const good = [cpu('vm-1', 0), cpu('vm-1', 1), cpu('vm-2', 0)];
    const data = encodeBatch([
      good[0]!,
      { ...cpu('vm-1', 2), ts: Date.UTC(2107, 0, 1) },
      good[1]!,
      good[2]!,
      { ...cpu('vm-2', 1), value: -5 },
    ]);
    data.src = 'vc-hostile';
    const job = await queue.add(BATCH_JOB, data);
    const broken = await queue.add(BATCH_JOB, { v: 2, g: 'garbage' });
    const worker = new RollupWorker(cfg, { log });
    try {
      await waitFor(
        async () => (await job.getState()) === 'completed' && (await broken.getState()) === 'failed',
        20_000,
        'both jobs finished',
        50,
      );
      const store = new PointStore(redis, prefix);
      const p1 = await store.readPoints({ machine: 'vm-1', metric: 'cpu.usage.percent', instance: '', from: T - DAY_MS, to: T + DAY_MS });
      const p2 = await store.readPoints({ machine: 'vm-2', metric: 'cpu.usage.percent', instance: '', from: T - DAY_MS, to: T + DAY_MS });
      expect(p1).toEqual([{ windowStart: Math.floor(T / 600_000) * 600_000, peak: 11, samples: 2 }]);
      expect(p2).toEqual([{ windowStart: Math.floor(T / 600_000) * 600_000, peak: 10, samples: 1 }]);
      expect(worker.stats).toMatchObject({ jobs: 1, samples: 3, quarantined: 2, failures: 1 });
      // A data error is permanent: the malformed job failed once, not 50 times.
      const b = await queue.getJob(broken.id!);
      expect(b!.attemptsMade).toBe(1);
      expect(b!.failedReason).toMatch(/unknown payload format/);
      await waitFor(async () => (await quarantineCounts(redis, prefix)).length === 2, 5_000, 'quarantine counts');
      expect((await quarantineCounts(redis, prefix)).sort((x, y) => x.reason.localeCompare(y.reason))).toEqual([
        { source: 'vc-hostile', reason: 'ts', samples: 1 },
        { source: 'vc-hostile', reason: 'value-negative', samples: 1 },
      ]);
      const q = await readQuarantine(redis, prefix);
      expect(q.map((e) => e.reason).sort()).toEqual(['ts', 'value-negative']);
      expect(JSON.parse(q.find((e) => e.reason === 'ts')!.sample)).toMatchObject({ machine: 'vm-1', ts: Date.UTC(2107, 0, 1) });
      expect(lines.filter((l) => /will be retried/.test(String(l.msg)))).toEqual([]);
    } finally {
      await worker.close();
      await queue.close();
      connection.disconnect();
    }
  });

  it('`collector ingest` of hostile lines returns: the good ones rolled up, every bad one quarantined and counted', async () => {
    const prefix = `${PREFIX}-i`;
    const cfgFile = join(dir, 'ingest.yaml');
    writeFileSync(
      cfgFile,
      `redis: { url: '${URL}', prefix: ${prefix} }\nsources: []\nrollup: { stalledIntervalSec: 1, lockDurationSec: 3 }\n`,
    );
    const good = Array.from({ length: 30 }, (_, i) => cpu(`vm-${i % 3}`, Math.floor(i / 3)));
    const hostile: [string, object | string][] = [
      ['ts', { ...cpu('vm-0', 50), ts: Date.UTC(2107, 0, 1) }],
      ['value-negative', { ...cpu('vm-0', 51), value: -1 }],
      ['value-percent', { ...cpu('vm-0', 52), value: 1e6 }],
      ['value-float32', { ...cpu('vm-0', 53), metric: 'disk.read.bytesPerSec', instance: '2000', value: 1e308 }],
      ['interval', { ...cpu('vm-0', 54), intervalSec: 1e300 }],
      ['machine', { ...cpu('m'.repeat(10 * 1024 * 1024), 55) }],
      ['not-object', 'not json at all'],
    ];
    const lines: string[] = good.map((s) => JSON.stringify(s));
    for (const [k, [, v]] of hostile.entries()) lines.splice(3 + k * 4, 0, typeof v === 'string' ? v : JSON.stringify(v));
    const file = join(dir, 'hostile.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const started = Date.now();
    const r = await runCli(['ingest', '--config', cfgFile, '--batch', '7', file], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ samples: 30, rolledUp: true, refused: hostile.length });
    expect(out.refusedByReason).toEqual(Object.fromEntries(hostile.map(([reason]) => [reason, 1])));
    expect(r.stderr).toMatch(/warning: 7 line\(s\) refused and quarantined/);
    const store = new PointStore(redis, prefix);
    let stored = 0;
    for (const m of ['vm-0', 'vm-1', 'vm-2'])
      for (const p of await store.readPoints({ machine: m, metric: 'cpu.usage.percent', instance: '', from: T - DAY_MS, to: T + DAY_MS }))
        stored += p.samples;
    expect(stored).toBe(30);
    expect(await store.machines()).toEqual(expect.arrayContaining(['vm-0', 'vm-1', 'vm-2']));
    expect((await store.machines()).every((m) => m.length <= 512)).toBe(true);
    const q = await readQuarantine(redis, prefix, 100);
    expect(q).toHaveLength(hostile.length);
    expect(q.every((e) => e.source === 'ingest' && e.sample.length <= 2100)).toBe(true); // the 10 MB id is cut
    expect(q.find((e) => e.reason === 'ts')!.detail).toMatch(/hostile\.ndjson:\d+: "ts" must be/);
  }, 90_000);
});

describe("validation at the producer (the collectors' edge)", () => {
  it('only valid samples are queued; refusals are counted per source and reason, logged once per episode, in /metrics and on Health', async () => {
    const prefix = `${PREFIX}-p`;
    const cfg = testConfig(URL, prefix);
    const { log, lines } = captureLogger();
    const { queue, connection } = createSamplesQueue(cfg);
    const quarantine = new Quarantine(redis, prefix, { log });
    const producer = new SampleProducer(queue, { maxBufferedSamples: 100_000, log, validation: { retentionDays: 31, quarantine } });
    try {
      for (let round = 0; round < 3; round++) {
        const batch: Sample[] = [
          cpu('vm-1', round * 2),
          { ...cpu('vm-1', 99), value: -1 },
          cpu('vm-1', round * 2 + 1),
          { ...cpu('vm-1', 98), value: Number.POSITIVE_INFINITY },
          { ...cpu('vm-2', round), ts: NOW + 3_600_000 },
        ];
        await producer.push(batch, 'vc1');
      }
      await producer.push([{ ...cpu('vm-3', 0), value: -2 }], 'hv1');
      await quarantine.settled();
      const jobs = await new Queue(queue.name, { connection: redis, prefix: `${prefix}:bull` }).getJobs(['waiting']);
      const queued = jobs.flatMap((j) => decodeBatch(j.data).flatMap((g) => g.values));
      expect(queued.sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15]);
      expect(jobs.every((j) => j.data.src === 'vc1')).toBe(true);
      const counts = Object.fromEntries((await quarantineCounts(redis, prefix)).map((c) => [`${c.source}/${c.reason}`, c.samples]));
      expect(counts).toEqual({ 'vc1/value-negative': 3, 'vc1/value-not-finite': 3, 'vc1/ts-in-future': 3, 'hv1/value-negative': 1 });
      expect(producer.stats().refusedSamples).toBe(10);
      // One line per source and reason for the episode, not one per batch.
      expect(
        lines
          .filter((l) => /quarantined/.test(String(l.msg)))
          .map((l) => `${l.source}/${l.reason}`)
          .sort(),
      ).toEqual(['hv1/value-negative', 'vc1/ts-in-future', 'vc1/value-negative', 'vc1/value-not-finite']);

      const status = {
        config: () => cfg,
        inventory: new InventoryStore(redis, prefix),
        queues: () => [],
        redis,
        producerStats: () => producer.stats(),
      };
      const metrics = createMetrics(status) as MetricsRegistry;
      await metrics.refresh();
      const text = await metrics.metrics();
      expect(text).toContain('collector_samples_quarantined_total{source="vc1",reason="value-negative"} 3');
      expect(text).toContain('collector_samples_quarantined_total{source="hv1",reason="value-negative"} 1');
      expect(text).toMatch(/collector_spool_dropped_samples_total 0/);
      const html = String(await sampleHealthHtml(status));
      expect(html).toMatch(/vc1<\/td><td>ts-in-future<\/td><td><span class="num">3</);
    } finally {
      await producer.close(1000);
      await queue.close();
      connection.disconnect();
    }
  });

  it('the quarantine stream is capped', async () => {
    const prefix = `${PREFIX}-cap`;
    const { log } = captureLogger();
    const q = new Quarantine(redis, prefix, { log, maxEntries: 100 });
    for (let i = 0; i < 10; i++)
      q.record(
        'flood',
        Array.from({ length: 100 }, (_, k) => ({ sample: { i, k }, reason: 'value-negative' as const, detail: 'x' })),
      );
    await q.settled();
    const len = await redis.xlen(quarantineKey(prefix));
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThanOrEqual(200); // MAXLEN ~ trims whole stream nodes (100 entries each)
    expect((await quarantineCounts(redis, prefix))[0]).toEqual({ source: 'flood', reason: 'value-negative', samples: 1000 });
  });
});
