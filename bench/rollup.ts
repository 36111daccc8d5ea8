// npm run bench:rollup [-- --machines 10000 --samples 2000000]
// Against a private redis-server (no persistence) on an ephemeral port, prints:
//  1. samples/s through ingest (encode + enqueue) and through rollup on ONE worker process-equivalent
//     (one RollupWorker, default concurrency), and the point store alone;
//  2. the time to compute percentiles for N machines x 18 series over a 1-week history, loaded
//     directly in the day-string encoding (and, as a same-run reference, the time of the bare GETs);
//  3. Redis memory per stored point (INFO used_memory delta / points).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Machine, Sample } from '../model/index.js';
import { parseConfig } from '../config/load.js';
import { decodeBatch, encodeBatch } from '../queue/codec.js';
import { SampleProducer } from '../queue/sample-producer.js';
import { createSamplesQueue, queueStatus } from '../queue/samples-queue.js';
import { computePercentiles } from '../rollup/percentile-report.js';
import { PointStore, pointKey } from '../rollup/point-store.js';
import { requiredSeries } from '../rollup/series.js';
import { RollupWorker } from '../rollup/worker.js';
import { DAY_BYTES, DAY_MS, SEALED_COUNTS_OFFSET, SEALED_DAY_BYTES, WINDOWS_PER_DAY } from '../rollup/window.js';
import { sealFinishedDays } from '../rollup/sealer.js';
import { freePort } from '../common/free-port.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const MACHINES = arg('machines', 10_000);
const SAMPLES = arg('samples', 2_000_000);
const log = pino({ level: 'warn' });

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}/0`;
  for (let i = 0; i < 100; i++) {
    const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch {
      c.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds Redis has used so far (user + sys): figures that other load on the machine does not inflate. */
async function redisCpu(r: Redis): Promise<number> {
  const info = await r.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]);
}
function nodeCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
function cpuNote(nodeSec: number, redisSec: number): string {
  return `CPU: node ${nodeSec.toFixed(1)} s + redis ${redisSec.toFixed(1)} s`;
}

async function usedMemory(r: Redis): Promise<number> {
  const info = await r.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

function benchMachine(i: number): Machine {
  return {
    id: `vmware:bench:${String(i).padStart(6, '0')}`,
    source: 'bench',
    kind: 'vmware',
    name: `vm${i}`,
    moref: null,
    biosUuid: null,
    instanceId: String(i),
    cpuCores: 4,
    memoryMB: 8192,
    os: { name: null, id: null },
    firmware: 'bios',
    powerState: 'poweredOn',
    host: null,
    cluster: null,
    datacenter: null,
    // 2 + 2 disks x 4 + 4 NICs x 2 = 18 series
    disks: [
      { id: '2000', capacityBytes: 1 },
      { id: '2001', capacityBytes: 1 },
    ],
    nics: [0, 1, 2, 3].map((k) => ({ id: String(4000 + k), mac: null })),
    ipAddresses: [],
  };
}

/** Poll-like batches: 50 machines x 18 series x 6 samples (2 minutes of 20 s samples) = 5,400 samples each. */
function* pollBatches(total: number, t0: number): Generator<Sample[]> {
  let made = 0;
  let round = 0;
  while (made < total) {
    for (let g = 0; g < 20 && made < total; g++) {
      const batch: Sample[] = [];
      for (let m = g * 50; m < g * 50 + 50; m++) {
        const mach = benchMachine(m);
        for (const s of requiredSeries(mach))
          for (let k = 0; k < 6; k++) {
            const ts = t0 + (round * 6 + k) * 20_000;
            batch.push({
              machine: s.machine,
              metric: s.metric,
              instance: s.instance,
              ts,
              value: ((m * 31 + k * 7 + round) % 1000) / 10,
              intervalSec: 20,
            });
          }
      }
      made += batch.length;
      yield batch;
    }
    round++;
  }
}

async function main(): Promise<void> {
  const r = await startRedis();
  const redis = new Redis(r.url);
  const now = Date.now();
  const t0 = (Math.floor(now / DAY_MS) - 2) * DAY_MS;
  const config = parseConfig({ redis: { url: r.url, prefix: 'bench' }, rollup: { workerConcurrency: 4 } });
  console.log(`load average (1 min) at the start: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
  try {
    // --- 1. ingest and rollup -------------------------------------------------------------
    const all = [...pollBatches(SAMPLES, t0)];
    const n = all.reduce((a, b) => a + b.length, 0);
    const { queue, connection } = createSamplesQueue(config);
    const producer = new SampleProducer(queue, { maxBufferedSamples: n * 2, log });
    let t = performance.now();
    for (const b of all) producer.push(b);
    await producer.flush();
    const ingestSec = (performance.now() - t) / 1000;
    const jobBytes = JSON.stringify(encodeBatch(all[0]!)).length;
    t = performance.now();
    const w0 = nodeCpu();
    const wr0 = await redisCpu(redis);
    const worker = new RollupWorker(config, { log });
    for (;;) {
      const s = await queueStatus(queue);
      if (s.waiting + s.active + s.delayed === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const rollupSec = (performance.now() - t) / 1000;
    const rollupCpu = cpuNote(nodeCpu() - w0, (await redisCpu(redis)) - wr0);
    await worker.close();
    await queue.close();
    connection.disconnect();
    // The point store alone (decode + aggregate + Lua), same batches, into a fresh prefix.
    const store = new PointStore(redis, 'bench-store', { retentionDays: 31 });
    const encoded = all.map((b) => JSON.parse(JSON.stringify(encodeBatch(b))));
    t = performance.now();
    let c0 = nodeCpu();
    let r0 = await redisCpu(redis);
    for (const e of encoded) await store.apply(decodeBatch(e), now);
    const storeSec = (performance.now() - t) / 1000;
    const storeCpu = cpuNote(nodeCpu() - c0, (await redisCpu(redis)) - r0);
    console.log(
      `ingest+rollup: ${n.toLocaleString()} samples in ${all.length} batches of ~${all[0]!.length} (job payload ~${(jobBytes / all[0]!.length).toFixed(1)} bytes/sample)`,
    );
    console.log(`  enqueue (encode + addBulk):        ${Math.round(n / ingestSec).toLocaleString()} samples/s (${ingestSec.toFixed(2)} s)`);
    console.log(
      `  rollup, one worker (concurrency 4): ${Math.round(n / rollupSec).toLocaleString()} samples/s (${rollupSec.toFixed(2)} s wall; ${rollupCpu}, BullMQ included)   goal >= 200,000`,
    );
    console.log(
      `  point store alone, sequential:     ${Math.round(n / storeSec).toLocaleString()} samples/s (${storeSec.toFixed(2)} s; ${storeCpu})`,
    );
    await redis.flushdb();

    // --- 2. + 3. memory per point and percentiles over a week for MACHINES x 18 series ------------------
    const asOf = Math.floor(now / DAY_MS) * DAY_MS; // midnight: the week is exactly 7 day-strings
    const firstDay = asOf / DAY_MS - 7;
    const open: Buffer[] = [];
    const sealed: Buffer[] = [];
    for (let k = 0; k < 97; k++) {
      const b = Buffer.alloc(DAY_BYTES);
      const c = Buffer.alloc(SEALED_DAY_BYTES);
      for (let i = 0; i < WINDOWS_PER_DAY; i++) {
        const v = ((k * 7919 + i * 104729) % 100_000) / 1000;
        b.writeFloatLE(v, i * 8);
        b.writeUInt32LE(0x3fffffff, i * 8 + 4); // 30 samples per window
        c.writeFloatLE(v, i * 4);
        c[SEALED_COUNTS_OFFSET + i] = 30;
      }
      open.push(b);
      sealed.push(c);
    }
    const load = async (machines: Machine[], templates: Buffer[], withIndex: boolean): Promise<number> => {
      let keys = 0;
      let pipe = redis.pipeline();
      for (const m of machines) {
        const series = requiredSeries(m);
        if (withIndex) {
          pipe.zadd('bench:machines', (firstDay + 40) * DAY_MS, m.id);
          pipe.sadd(`bench:s:{${m.id}}`, ...series.map((s) => `${s.metric}\t${s.instance}`));
        }
        for (const s of series) {
          for (let d = firstDay; d < firstDay + 7; d++) {
            pipe.set(pointKey('bench', s, d), templates[keys % templates.length]!, 'EXAT', (d + 32) * 86_400);
            keys++;
            if (keys % 5000 === 0) {
              await pipe.exec();
              pipe = redis.pipeline();
            }
          }
        }
      }
      await pipe.exec();
      return keys;
    };
    // 2a. Open (8-byte) day-strings as the workers write them, then sealed by the real sealing script.
    const few = Array.from({ length: Math.min(MACHINES, 1000) }, (_, i) => benchMachine(i));
    let m0 = await usedMemory(redis);
    const fewKeys = await load(few, open, true);
    const openBytes = (await usedMemory(redis)) - m0;
    t = performance.now();
    const sealR0 = await redisCpu(redis);
    const sealedRun = await sealFinishedDays(redis, 'bench', { sealAfterMs: 6 * 3_600_000, retentionDays: 31, now: asOf + DAY_MS });
    const sealSec = (performance.now() - t) / 1000;
    const sealRedisCpu = (await redisCpu(redis)) - sealR0;
    const sealedBytes = (await usedMemory(redis)) - m0;
    const fewPoints = fewKeys * WINDOWS_PER_DAY;
    console.log(`memory: ${few.length.toLocaleString()} machines x 18 series x 7 days = ${fewPoints.toLocaleString()} points`);
    console.log(
      `  open day-strings (8 bytes/window, as written):  ${(openBytes / fewPoints).toFixed(2)} bytes per stored point   goal <= 8`,
    );
    console.log(
      `  after sealing (5 bytes/window; ${sealedRun.keys.toLocaleString()} keys in ${sealSec.toFixed(1)} s wall, redis CPU ${sealRedisCpu.toFixed(1)} s): ${(sealedBytes / fewPoints).toFixed(2)} bytes per stored point (includes the series index)`,
    );
    await redis.flushdb();

    // 2b. Percentiles over MACHINES machines; a week-old history is sealed except the newest day or so,
    // so the week is loaded sealed (the open format is also decoded in tests; its speed is similar).
    const machines = Array.from({ length: MACHINES }, (_, i) => benchMachine(i));
    m0 = await usedMemory(redis);
    t = performance.now();
    const keys = await load(machines, sealed, false);
    const loadSec = (performance.now() - t) / 1000;
    const memAfter = await usedMemory(redis);
    const points = keys * WINDOWS_PER_DAY;
    console.log(
      `percentiles: ${MACHINES.toLocaleString()} machines x 18 series x 1008 points = ${points.toLocaleString()} points in ${keys.toLocaleString()} sealed day-strings (loaded in ${loadSec.toFixed(1)} s)`,
    );
    console.log(
      `  Redis memory: ${((memAfter - m0) / 2 ** 20).toFixed(0)} MiB, ${((memAfter - m0) / points).toFixed(2)} bytes per stored point`,
    );
    // Same-run reference: only fetching the bytes (pipelined GETs), no decoding or sorting.
    t = performance.now();
    const rawStore = new PointStore(redis, 'bench');
    const week = Array.from({ length: 7 }, (_, k) => firstDay + k);
    for (let i = 0; i < machines.length; i += 200)
      await rawStore.getMachineDays(machines.slice(i, i + 200).map((m) => ({ series: requiredSeries(m), days: week })));
    const getSec = (performance.now() - t) / 1000;
    t = performance.now();
    c0 = nodeCpu();
    r0 = await redisCpu(redis);
    const report = await computePercentiles(redis, 'bench', machines, { asOf, history: '7d' });
    const pctSec = (performance.now() - t) / 1000;
    const pctCpu = cpuNote(nodeCpu() - c0, (await redisCpu(redis)) - r0);
    const s0 = report.machines[0]!.series[0]!;
    if (s0.points !== 1008 || report.machines.length !== MACHINES) throw new Error(`unexpected report: ${JSON.stringify(s0)}`);
    console.log(`  computePercentiles (1 week, p50/p90/p95/p99/max + availability): ${pctSec.toFixed(1)} s wall (${pctCpu})   goal < 30 s`);
    console.log(
      `  of which fetching alone (one MGET per machine, pipelined; same run): ${getSec.toFixed(1)} s (${((getSec / pctSec) * 100).toFixed(0)} %)`,
    );
    console.log(
      `load average (1 min) at the end: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (other work on the machine slows every figure)`,
    );
  } finally {
    redis.disconnect();
    r.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
