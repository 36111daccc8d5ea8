import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { batchSamples, decodeBatch } from '../../queue/codec.js';
import { bullPrefix, SAMPLES_QUEUE } from '../../queue/samples-queue.js';
import { DAY_MS } from '../../rollup/window.js';
import { ROOT } from '../helpers/cli.js';
import { waitFor } from './helpers.js';
import { PrivateRedis } from './redis-server.js';
import { MACHINES } from './spool-child.js';

const dir = mkdtempSync(join(tmpdir(), 'collector-spool-crash-'));
const spoolDir = join(dir, 'spool');
const T0 = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
const children = new Set<ChildProcess>();
let redis: PrivateRedis | null = null;

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The producer process; `acked` is the highest batch whose push resolved (stdout), `flushed` its final report. */
function startChild(url: string, start: number, end: number) {
  const env = { ...process.env, SPOOL_CHILD: JSON.stringify({ url, prefix: 'spc', spoolDir, t0: T0, start, end, pauseMs: 10 }) };
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/queue/spool-child.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const state = {
    acked: start - 1,
    flushed: null as null | { flushed: boolean; stats: { spool: { samples: number; droppedSamples: number } }; logs: string[] },
    stderr: '',
  };
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('acked ')) state.acked = Number(line.slice(6));
      if (line.startsWith('flushed ')) state.flushed = JSON.parse(line.slice(8));
    }
  });
  child.stderr!.on('data', (d) => (state.stderr += d));
  return { child, state };
}

const segments = () => readdirSync(spoolDir).filter((f) => f.endsWith('.spool'));

describe('nothing collected is lost while Redis is away, even if the collecting process dies', () => {
  it('Redis stopped, producer SIGKILLed mid-outage, Redis back, producer restarted: every sample present exactly once', async () => {
    redis = await PrivateRedis.start();
    const a = startChild(redis.url, 0, 1_000_000);
    await waitFor(() => a.state.acked >= 30, 60_000, 'batches acknowledged by Redis', 20);
    await redis.kill('SIGKILL');
    const atOutage = a.state.acked;
    // The producer goes on: batches are fsync'd in the spool and acknowledged from there.
    await waitFor(() => a.state.acked >= atOutage + 80, 60_000, `batches spooled during the outage (${a.state.stderr})`, 20);
    expect(segments().length).toBeGreaterThan(0);
    const exited = new Promise((r) => a.child.once('exit', r));
    a.child.kill('SIGKILL');
    await exited;
    const killedAt = a.state.acked;

    await redis.up();
    // The restarted process replays the spool first, then goes on from its last acknowledged batch.
    const end = killedAt + 1 + 40;
    const b = startChild(redis.url, killedAt + 1, end);
    await waitFor(() => b.state.flushed !== null, 90_000, `restarted producer flushed (${b.state.stderr})`, 50);
    expect(b.state.flushed!.flushed).toBe(true);
    expect(b.state.flushed!.stats.spool).toMatchObject({ samples: 0, droppedSamples: 0 });
    expect(b.state.flushed!.logs).toContain('sample spool holds batches from a previous run: replaying them first');
    const exit = new Promise<number | null>((r) => b.child.once('exit', (code) => r(code)));
    b.child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(segments()).toEqual([]);

    // No worker ran: the queue holds every job ever added. Count each sample.
    const q = new Queue(SAMPLES_QUEUE, { connection: { host: '127.0.0.1', port: redis.port }, prefix: bullPrefix('spc') });
    const jobs = await q.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed']);
    await q.close();
    const seen = new Map<string, number>();
    let negative = 0;
    for (const j of jobs) {
      for (const s of batchSamples(decodeBatch(j.data))) {
        if (s.value < 0) negative++;
        const k = `${s.machine}@${(s.ts - T0) / 20_000}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
    }
    const missing: string[] = [];
    const twice: string[] = [];
    for (let i = 0; i < end; i++) {
      for (let m = 0; m < MACHINES; m++) {
        const n = seen.get(`vm-${m}@${i}`) ?? 0;
        if (n === 0) missing.push(`vm-${m}@${i}`);
        if (n > 1) twice.push(`vm-${m}@${i}`);
      }
    }
    expect({ missing: missing.slice(0, 10), twice: twice.slice(0, 10), extra: seen.size - end * MACHINES, negative }).toEqual({
      missing: [],
      twice: [],
      extra: 0,
      negative: 0,
    });
    // Figures for the report: outage batches, samples.
    console.log(
      `spool crash: ${end} batches x ${MACHINES} samples = ${end * MACHINES} samples, ${killedAt - atOutage} batches acknowledged from the spool before the SIGKILL, ${jobs.length} jobs`,
    );
  }, 240_000);
});
