import { createReadStream, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Sample } from '../../model/index.js';
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { validateSample, type RejectedSample, type ValidationOptions } from '../../model/sample-validation.js';
import { RollupWorker } from '../../rollup/worker.js';
import { Quarantine } from '../../queue/quarantine.js';
import { SampleProducer } from '../../queue/sample-producer.js';
import { createSamplesQueue } from '../../queue/samples-queue.js';

/** The quarantine's source label for samples refused by `collector ingest`. */
export const INGEST_SOURCE = 'ingest';

/** Checks one ndjson line against the sample contract; returns the sample or why it is refused. */
export function parseSampleLine(text: string, opts: ValidationOptions): Sample | RejectedSample {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { sample: text, reason: 'not-object', detail: 'not valid JSON' };
  }
  const r = validateSample(v, opts);
  return r.ok ? r.sample : { sample: v, reason: r.reason, detail: r.detail };
}

export interface IngestResult {
  samples: number;
  batches: number;
  rolledUp: boolean;
  /** Lines refused by the sample contract: quarantined (Redis <prefix>:quarantine), counted per reason. */
  refused: number;
  refusedByReason: Record<string, number>;
  /** The first refused line, as "file:line: why". */
  firstRefused: string | null;
}

/**
 * Replays a sample file through the same queue and workers as live collection and returns when it
 * is rolled up (with `worker: false`, when workers elsewhere have finished its jobs).
 */
export async function ingestFile(
  config: CollectorConfig,
  log: Logger,
  file: string,
  opts: { batchSize?: number; worker?: boolean; timeoutMs?: number } = {},
): Promise<IngestResult> {
  const batchSize = opts.batchSize ?? 5000;
  let input: ReadStream;
  try {
    const stream = createReadStream(file === '-' ? '/dev/stdin' : file);
    input = stream;
    await new Promise((resolve, reject) => stream.once('open', resolve).once('error', reject));
  } catch (err) {
    throw new UserError(`cannot read the sample file ${file} (${(err as NodeJS.ErrnoException).code ?? err}).`, {
      fix: 'Check the path; `collector collect --out FILE` writes such a file.',
    });
  }
  const { queue, connection } = createSamplesQueue(config);
  connection.on('error', () => {});
  const producer = new SampleProducer(queue, { maxBufferedSamples: Math.max(config.rollup.bufferMaxSamples, batchSize * 2), log });
  producer.trackJobIds = true;
  const worker = opts.worker === false ? null : new RollupWorker(config, { log });
  const quarantine = new Quarantine(connection, config.redis.prefix, { log });
  const refusedByReason: Record<string, number> = {};
  let refused = 0;
  let firstRefused: string | null = null;
  let samples = 0;
  let batches = 0;
  try {
    let batch: Sample[] = [];
    let lineNo = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNo++;
      if (line.trim() === '') continue;
      const s = parseSampleLine(line, { retentionDays: config.rollup.retentionDays });
      if ('reason' in s) {
        // Refused lines never stop the file: they are quarantined and counted, the valid ones go on.
        refused++;
        refusedByReason[s.reason] = (refusedByReason[s.reason] ?? 0) + 1;
        const detail = `${file}:${lineNo}: ${s.detail}`;
        firstRefused ??= detail;
        quarantine.record(INGEST_SOURCE, [{ ...s, detail }]);
        continue;
      }
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
    if (!(await producer.flush(opts.timeoutMs ?? 30 * 60_000)))
      throw new UserError('Redis stayed unreachable: the samples were not queued.', {
        fix: 'Check redis.url and that Redis is running, then run the ingest again (replaying is harmless).',
      });
    await waitForJobs(queue, producer.jobIds, deadline);
    await quarantine.settled();
    return { samples, batches, rolledUp: true, refused, refusedByReason, firstRefused };
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
        if (st === 'failed')
          throw new UserError(`a sample batch failed to roll up (job ${id}).`, {
            fix: 'See the worker log for the reason; fix it and run the ingest again (replaying is harmless).',
          });
        if (st !== 'completed' && st !== 'unknown') next.push(id);
      }
    }
    pending = next;
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new UserError(`${pending.length} sample batches are still waiting to be rolled up.`, {
        fix: 'Start workers (`collector worker --config FILE`) or run ingest without --no-worker.',
      });
    await new Promise((r) => setTimeout(r, 200));
  }
}
