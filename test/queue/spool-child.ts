// A collecting process for test/queue/spool-crash.test.ts: pushes numbered batches through a SampleProducer
// with an on-disk spool and prints "acked <i>" once each push has resolved (in Redis, or fsync'd in the spool).
import { Redis } from 'ioredis';
import type { Sample } from '../../model/index.js';
import { Quarantine } from '../../queue/quarantine.js';
import { SampleProducer } from '../../queue/sample-producer.js';
import { createSamplesQueue } from '../../queue/samples-queue.js';
import { Spool } from '../../queue/spool.js';
import { captureLogger, testConfig } from './helpers.js';

export const MACHINES = 20;

/** Batch i: one CPU sample per machine at t0 + i * 20 s, plus a negative one every 5th batch (refused). */
export function childBatch(t0: number, i: number): Sample[] {
  const out: Sample[] = [];
  for (let m = 0; m < MACHINES; m++)
    out.push({
      machine: `vm-${m}`,
      metric: 'cpu.usage.percent',
      instance: '',
      ts: t0 + i * 20_000,
      value: (i * 7 + m) % 100,
      intervalSec: 20,
    });
  if (i % 5 === 0)
    out.splice(3, 0, { machine: 'vm-0', metric: 'cpu.usage.percent', instance: '', ts: t0 + i * 20_000, value: -1, intervalSec: 20 });
  return out;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.env.SPOOL_CHILD!) as {
    url: string;
    prefix: string;
    spoolDir: string;
    t0: number;
    start: number;
    end: number;
    pauseMs: number;
  };
  const { log, lines } = captureLogger();
  const cfg = testConfig(o.url, o.prefix);
  const { queue, connection } = createSamplesQueue(cfg);
  connection.on('error', () => {});
  const side = new Redis(o.url, { maxRetriesPerRequest: 1 });
  side.on('error', () => {});
  const producer = new SampleProducer(queue, {
    maxBufferedSamples: 1_000_000,
    log,
    validation: { retentionDays: 31, quarantine: new Quarantine(side, o.prefix, { log }) },
    spool: Spool.open(o.spoolDir, { maxBytes: 2 ** 30, log }),
    maxRetryDelayMs: 200,
  });
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
  });
  for (let i = o.start; i < o.end && !stopping; i++) {
    await producer.push(childBatch(o.t0, i), 'child');
    process.stdout.write(`acked ${i}\n`);
    await new Promise((r) => setTimeout(r, o.pauseMs));
  }
  const flushed = await producer.flush(60_000);
  process.stdout.write(`flushed ${JSON.stringify({ flushed, stats: producer.stats(), logs: lines.map((l) => l.msg) })}\n`);
  while (!stopping) await new Promise((r) => setTimeout(r, 50));
  await producer.close(5_000);
  await queue.close();
  connection.disconnect();
  side.disconnect();
  process.exit(0);
}

if (process.env.SPOOL_CHILD) void main();
