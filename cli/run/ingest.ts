import { createReadStream, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isMetricName, type Sample } from '../../model/index.js';
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { RollupWorker } from '../../rollup/worker.js';
import { SampleProducer } from '../../queue/sample-producer.js';
import { createSamplesQueue } from '../../queue/samples-queue.js';

const LINE_FIX = 'Each line must be one JSON sample as `collector collect` writes it: {"machine","metric","instance","ts" (epoch ms),"value","intervalSec"}; see schemas/ and docs/pipeline.md.';

/** Checks one parsed ndjson line; returns the sample or a reason. */
export function parseSampleLine(text: string): Sample | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.machine !== 'string' || o.machine === '') return '"machine" must be a non-empty string';
  if (typeof o.metric !== 'string' || !isMetricName(o.metric)) return `"metric" ${JSON.stringify(o.metric)} is not in the metric vocabulary (model/index.ts)`;
  if (typeof o.instance !== 'string') return '"instance" must be a string ("" for cpu and memory)';
  if (typeof o.ts !== 'number' || !Number.isFinite(o.ts) || o.ts < 0) return '"ts" must be epoch milliseconds';
  if (typeof o.value !== 'number' || !Number.isFinite(o.value)) return '"value" must be a finite number';
  const intervalSec = o.intervalSec === undefined ? 20 : o.intervalSec;
  if (typeof intervalSec !== 'number' || !(intervalSec > 0)) return '"intervalSec" must be a positive number';
  return { machine: o.machine, metric: o.metric, instance: o.instance, ts: o.ts, value: o.value, intervalSec };
}

export interface IngestResult {
  samples: number;
  batches: number;
  rolledUp: boolean;
}

/**
 * Replays a sample file through the same queue and workers as live collection and returns when it
 * is rolled up (with `worker: false`, when workers elsewhere have finished its jobs).
 */
export async function ingestFile(config: CollectorConfig, log: Logger, file: string, opts: { batchSize?: number; worker?: boolean; timeoutMs?: number } = {}): Promise<IngestResult> {
  const batchSize = opts.batchSize ?? 5000;
  let input: ReadStream;
  try {
    const stream = createReadStream(file === '-' ? '/dev/stdin' : file);
    input = stream;
    await new Promise((resolve, reject) => stream.once('open', resolve).once('error', reject));
  } catch (err) {
    throw new UserError(`cannot read the sample file ${file} (${(err as NodeJS.ErrnoException).code ?? err}).`, { fix: 'Check the path; `collector collect --out FILE` writes such a file.' });
  }
  const { queue, connection } = createSamplesQueue(config);
  connection.on('error', () => {});
  const producer = new SampleProducer(queue, { maxBufferedSamples: Math.max(config.rollup.bufferMaxSamples, batchSize * 2), log });
  producer.trackJobIds = true;
  const worker = opts.worker === false ? null : new RollupWorker(config, { log });
  let samples = 0;
  let batches = 0;
  try {
    let batch: Sample[] = [];
    let lineNo = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNo++;
      if (line.trim() === '') continue;
      const s = parseSampleLine(line);
      if (typeof s === 'string') throw new UserError(`${file}:${lineNo}: ${s}.`, { fix: LINE_FIX, code: 'INGEST_BAD_LINE' });
      batch.push(s);
      if (batch.length >= batchSize) {
        producer.push(batch);
        samples += batch.length;
        batches++;
        batch = [];
        // Back-pressure: do not read the whole file into memory while Redis catches up.
        if (producer.stats().bufferedSamples > batchSize * 20) await producer.flush();
      }
    }
    if (batch.length > 0) {
      producer.push(batch);
      samples += batch.length;
      batches++;
    }
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    if (!(await producer.flush(opts.timeoutMs ?? 30 * 60_000))) throw new UserError('Redis stayed unreachable: the samples were not queued.', { fix: 'Check redis.url and that Redis is running, then run the ingest again (replaying is harmless).' });
    await waitForJobs(queue, producer.jobIds, deadline);
    return { samples, batches, rolledUp: true };
  } finally {
    await worker?.close();
    await producer.close(1000);
    await queue.close();
    connection.disconnect();
  }
}

/** Waits until every job is finished. A job removed after completion reads 'unknown' (failed ones are kept). */
async function waitForJobs(queue: import('bullmq').Queue, ids: string[], deadline: number): Promise<void> {
  let pending = [...ids];
  while (pending.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < pending.length; i += 200) {
      const part = pending.slice(i, i + 200);
      const states = await Promise.all(part.map((id) => queue.getJobState(id)));
      for (const [j, id] of part.entries()) {
        const st = states[j];
        if (st === 'failed') throw new UserError(`a sample batch failed to roll up (job ${id}).`, { fix: 'See the worker log for the reason; fix it and run the ingest again (replaying is harmless).' });
        if (st !== 'completed' && st !== 'unknown') next.push(id);
      }
    }
    pending = next;
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new UserError(`${pending.length} sample batches are still waiting to be rolled up.`, { fix: 'Start workers (`collector worker --config FILE`) or run ingest without --no-worker.' });
    await new Promise((r) => setTimeout(r, 200));
  }
}
