import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { openSampleSpool } from '../../appliance/sample-spool.js';
import { registerSampleMetrics, sampleHealthHtml } from '../../appliance/web/sample-health.js';
import { ConfigError, parseConfig } from '../../config/load.js';
import type { Sample } from '../../model/index.js';
import type { RejectedSample } from '../../model/sample-validation.js';
import { batchSamples, decodeBatch } from '../../queue/codec.js';
import type { Quarantine } from '../../queue/quarantine.js';
import { SampleProducer } from '../../queue/sample-producer.js';
import { Spool, crc32 } from '../../queue/spool.js';
import { captureLogger } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collector-spool-'));
let n = 0;
const freshDir = () => join(root, `s${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.spool'))
    .sort();
const payload = (i: number, size: number) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(size) }));
const idOf = (p: Buffer) => (JSON.parse(p.toString()) as { i: number }).i;

describe('Spool', () => {
  it('crc32 is the standard one (IEEE)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('a crash at any byte keeps exactly the records written whole before it, in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        async (sizes, cutAt, segPick) => {
          const { log } = captureLogger();
          const dir = freshDir();
          const s = Spool.open(dir, { maxBytes: 10 * 2 ** 20, segmentBytes: 8192, log, fsyncIntervalMs: 1 });
          const ends: { seg: string; end: number; i: number }[] = [];
          for (let i = 0; i < sizes.length; i++) {
            const p = s.append(payload(i, sizes[i]!), i + 1);
            const segs = segments(dir);
            ends.push({ seg: segs[segs.length - 1]!, end: statSync(join(dir, segs[segs.length - 1]!)).size, i });
            await p;
          }
          s.close();
          // Tear one segment at a random byte (a crash mid-write, or a lost page cache).
          const segs = segments(dir);
          const victim = segs[segPick % segs.length]!;
          const cut = Math.floor(statSync(join(dir, victim)).size * cutAt);
          truncateSync(join(dir, victim), cut);
          const expected = ends.filter((e) => e.seg !== victim || e.end <= cut).map((e) => e.i);
          const r = Spool.open(dir, { maxBytes: 10 * 2 ** 20, segmentBytes: 8192, log });
          const got = r.peek(1000);
          expect(got.map((g) => idOf(g.payload))).toEqual(expected);
          expect(got.map((g) => g.samples)).toEqual(expected.map((i) => i + 1));
          expect(r.stats().samples).toBe(expected.reduce((a, i) => a + i + 1, 0));
          r.ack(got);
          expect(r.empty).toBe(true);
          expect(segments(dir)).toEqual([]);
          r.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a corrupt record ends its segment; later segments are still replayed', async () => {
    const { log, lines } = captureLogger();
    const dir = freshDir();
    const s = Spool.open(dir, { maxBytes: 2 ** 20, segmentBytes: 1000, log, fsyncIntervalMs: 1 });
    for (let i = 0; i < 12; i++) await s.append(payload(i, 300), 1);
    const bySegment = new Map<string, number[]>();
    for (const g of s.peek(100)) bySegment.set(g.segment, [...(bySegment.get(g.segment) ?? []), idOf(g.payload)]);
    s.close();
    const segs = segments(dir);
    expect(segs.length).toBeGreaterThan(2);
    const f = join(dir, segs[1]!);
    const buf = readFileSync(f);
    buf.writeUInt8(buf.readUInt8(buf.length - 5) ^ 0xff, buf.length - 5); // inside the segment's last record
    writeFileSync(f, buf);
    const r = Spool.open(dir, { maxBytes: 2 ** 20, segmentBytes: 1000, log });
    const lost = bySegment.get(segs[1]!)!.at(-1);
    expect(r.peek(100).map((g) => idOf(g.payload))).toEqual([...Array(12).keys()].filter((i) => i !== lost));
    expect(lines.filter((l) => /torn or corrupt/.test(String(l.msg)))).toHaveLength(1);
    r.close();
  });

  it('acknowledged records stay delivered across a restart', async () => {
    const { log } = captureLogger();
    const dir = freshDir();
    const s = Spool.open(dir, { maxBytes: 2 ** 20, log, fsyncIntervalMs: 1 });
    for (let i = 0; i < 10; i++) await s.append(payload(i, 10), 2);
    s.ack(s.peek(4));
    expect(s.stats()).toMatchObject({ samples: 12, records: 6, replayedSamples: 8, spooledSamples: 20 });
    s.close();
    const r = Spool.open(dir, { maxBytes: 2 ** 20, log });
    expect(r.peek(100).map((g) => idOf(g.payload))).toEqual([4, 5, 6, 7, 8, 9]);
    expect(r.stats()).toMatchObject({ samples: 12, records: 6 });
    r.close();
  });

  it('past its bound it drops the oldest segments, counts them and logs once per episode', async () => {
    const { log, lines } = captureLogger();
    const dir = freshDir();
    const s = Spool.open(dir, { maxBytes: 20_000, segmentBytes: 2_000, log, fsyncIntervalMs: 1 });
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 200; i++) await s.append(payload(i, 480), 5, t0 + i);
    const st = s.stats();
    expect(st.bytes).toBeLessThanOrEqual(20_000);
    const kept = s.peek(1000).map((g) => idOf(g.payload));
    expect(kept[kept.length - 1]).toBe(199); // the newest is kept
    expect(kept).toEqual([...Array(kept.length).keys()].map((k) => 200 - kept.length + k)); // a contiguous tail, in order
    expect(st.droppedSamples).toBe((200 - kept.length) * 5);
    expect(st.samples).toBe(kept.length * 5);
    expect(st.oldestAt).toBe(t0 + kept[0]!);
    expect(lines.filter((l) => l.level === 50 && /spool full/.test(String(l.msg)))).toHaveLength(1);
    s.close();
  });

  it('refuses a spool directory held by another live process', () => {
    const { log } = captureLogger();
    const dir = freshDir();
    Spool.open(dir, { maxBytes: 2 ** 20, log }).close();
    writeFileSync(join(dir, 'lock'), String(process.ppid));
    expect(() => Spool.open(dir, { maxBytes: 2 ** 20, log })).toThrow(/in use by process/);
    writeFileSync(join(dir, 'lock'), '999999999'); // a dead process: its lock is stale
    Spool.open(dir, { maxBytes: 2 ** 20, log }).close();
  });
});

/** A queue that is up or down on command and, like BullMQ, ignores a job whose id it already has. */
class FakeQueue {
  down = false;
  /** A killed process: Redis applies its last add, but the process never sees the answer. */
  dead = false;
  #auto = 0;
  constructor(readonly jobs = new Map<string, unknown>()) {}
  async addBulk(jobs: { name: string; data: unknown; opts?: { jobId?: string } }[]) {
    await new Promise((r) => setTimeout(r, 0));
    if (this.down && !this.dead) throw new Error('connect ECONNREFUSED 127.0.0.1:6399');
    const ids = jobs.map((j) => {
      const id = j.opts?.jobId ?? `auto-${this.jobs.size}-${this.#auto++}`;
      if (!this.jobs.has(id)) this.jobs.set(id, j.data);
      return { id };
    });
    if (this.dead) return new Promise<never>(() => {});
    return ids;
  }
  samples(): Sample[] {
    return [...this.jobs.values()].flatMap((d) => batchSamples(decodeBatch(d)));
  }
}

describe('SampleProducer with a spool', () => {
  const NOW = Date.now();
  it('valid samples arrive exactly once, invalid ones are all quarantined, through outages and crashes (property)', async () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('push' as const), valid: fc.integer({ min: 0, max: 30 }), invalid: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ op: fc.constantFrom('down' as const, 'up' as const, 'crash' as const, 'settle' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const { log } = captureLogger();
        const dir = freshDir();
        const quarantined: RejectedSample[] = [];
        const quarantine = { record: (_src: string, r: RejectedSample[]) => quarantined.push(...r) } as unknown as Quarantine;
        const jobs = new Map<string, unknown>();
        let queue = new FakeQueue(jobs);
        let spool!: Spool;
        const open = () => {
          spool = Spool.open(dir, { maxBytes: 2 ** 30, segmentBytes: 4096, log, fsyncIntervalMs: 2 });
          return new SampleProducer(queue as unknown as Queue, {
            maxBufferedSamples: 1_000_000,
            log,
            validation: { retentionDays: 31, quarantine },
            spool,
            maxRetryDelayMs: 10,
          });
        };
        let producer = open();
        let next = 0;
        let invalidSent = 0;
        const acked = new Set<number>();
        for (const s of steps) {
          if (s.op === 'push') {
            const batch: Sample[] = [];
            const ids: number[] = [];
            for (let k = 0; k < s.valid; k++) {
              ids.push(next);
              batch.push({
                machine: 'vm',
                metric: 'disk.read.bytesPerSec',
                instance: 'd',
                ts: NOW - 3_600_000 + next * 20_000,
                value: next++,
                intervalSec: 20,
              });
            }
            for (let k = 0; k < s.invalid; k++)
              batch.splice(k * 3, 0, { machine: 'vm', metric: 'cpu.usage.percent', instance: '', ts: NOW, value: -1 - k, intervalSec: 20 });
            invalidSent += s.invalid;
            await producer.push(batch, 'src').then(() => {
              for (const i of ids) acked.add(i);
            });
          } else if (s.op === 'down') queue.down = true;
          else if (s.op === 'up') queue.down = false;
          else if (s.op === 'settle') await new Promise((r) => setTimeout(r, 20));
          else {
            // SIGKILL: the process stops where it is (its in-flight add never returns); a new one opens the spool.
            queue.dead = true;
            spool.close(); // its files stay as a killed process leaves them (written data is in the page cache)
            queue = Object.assign(new FakeQueue(jobs), { down: queue.down });
            producer = open();
          }
        }
        queue.down = false;
        expect(await producer.flush(10_000)).toBe(true);
        await producer.close(1000);
        const values = queue
          .samples()
          .map((x) => x.value)
          .sort((a, b) => a - b);
        // Every acknowledged push is there exactly once, nothing else is, and no invalid sample got through.
        expect(values).toEqual([...Array(next).keys()]);
        expect(quarantined).toHaveLength(invalidSent);
        expect(quarantined.every((q) => q.reason === 'value-negative')).toBe(true);
        expect(acked.size).toBe(next);
      }),
      { numRuns: 40, endOnFailure: true },
    );
  }, 120_000);
});

describe('spool settings', () => {
  it('default 1 GiB under <web.dataDir>/spool next to the config file; 0 turns it off; bounds are named', () => {
    const { log } = captureLogger();
    const c = parseConfig({ sources: [] });
    expect(c.rollup.spoolMaxBytes).toBe(2 ** 30);
    const cfgDir = freshDir();
    const s = openSampleSpool(c, join(cfgDir, 'config.yaml'), log)!;
    expect(s.dir).toBe(join(cfgDir, '.collector', 'spool'));
    expect(s.stats().maxBytes).toBe(2 ** 30);
    s.close();
    const own = openSampleSpool(parseConfig({ rollup: { spoolDir: 'q', spoolMaxBytes: 2 ** 20 } }), join(cfgDir, 'config.yaml'), log)!;
    expect(own.dir).toBe(join(cfgDir, 'q'));
    own.close();
    expect(openSampleSpool(parseConfig({ rollup: { spoolMaxBytes: 0 } }), join(cfgDir, 'config.yaml'), log)).toBeUndefined();
    expect(openSampleSpool(c, undefined, log)).toBeUndefined(); // no config file, no spoolDir: memory only
    for (const bad of [1000, 2 ** 41, -1]) {
      expect(() => parseConfig({ rollup: { spoolMaxBytes: bad } }, 'c.yaml')).toThrow(ConfigError);
    }
    expect(() => parseConfig({ rollup: { spoolMaxBytes: 1000 } }, 'c.yaml')).toThrow(
      /rollup\.spoolMaxBytes: expected 0 \(no spool\) or at least 1048576/,
    );
  });
});

describe('the spool in /metrics and on Health', () => {
  it('size, samples waiting, age of the oldest and drops', async () => {
    const { log } = captureLogger();
    const queue = Object.assign(new FakeQueue(), { down: true });
    const spool = Spool.open(freshDir(), { maxBytes: 2 ** 20, segmentBytes: 64 * 1024, log, fsyncIntervalMs: 1 });
    const producer = new SampleProducer(queue as unknown as Queue, { maxBufferedSamples: 1_000_000, log, spool, maxRetryDelayMs: 50 });
    const t = Date.now() - 3_600_000;
    for (let i = 0; i < 5; i++)
      await producer.push(
        [{ machine: 'vm', metric: 'cpu.usage.percent', instance: '', ts: t + i * 20_000, value: i, intervalSec: 20 }],
        'vc',
      );
    await new Promise((r) => setTimeout(r, 1100));
    const registry = new Registry();
    const status = { config: () => ({ redis: { prefix: 'x' } }), producerStats: () => producer.stats() };
    const refresh = registerSampleMetrics(registry, status);
    await refresh();
    const text = await registry.metrics();
    expect(text).toContain('collector_spool_samples 5');
    expect(text).toContain(`collector_spool_max_bytes ${2 ** 20}`);
    expect(Number(/collector_spool_bytes (\d+)/.exec(text)![1])).toBeGreaterThan(5 * 20);
    expect(Number(/collector_spool_oldest_age_seconds ([\d.]+)/.exec(text)![1])).toBeGreaterThanOrEqual(1);
    expect(text).toContain('collector_spool_dropped_samples_total 0');
    expect(String(await sampleHealthHtml(status))).toMatch(/5 sample\(s\) waiting/);
    queue.down = false;
    expect(await producer.flush(5_000)).toBe(true);
    await refresh();
    expect(await registry.metrics()).toContain('collector_spool_samples 0');
    expect(await registry.metrics()).toContain('collector_spool_replayed_samples_total 5');
    await producer.close(1000);
  });
});
