// The durable outbox on BullMQ: every batch is a job (id = its idempotency key, so enqueuing the same
// batch twice is a no-op), retried with capped exponential backoff; 429/503 Retry-After moves the job
// to delayed until then; a 4xx the endpoint will never accept is parked as failed with the reason,
// visible in `collector status` and replayable. Nothing is removed until the endpoint accepted it.
import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/log.js';
import type { SinkSettings } from '../../config/schema/sink.js';
import type { Payload } from '../payload.js';
import { Sender } from './sender.js';

export const OUTBOX_QUEUE = 'assessment-outbox';

export interface OutboxJobData {
  payload: Payload;
  enqueuedAt: string;
}

export interface OutboxResult {
  status: number;
  duplicate: boolean;
  records: number;
}

/** Capped exponential backoff with jitter (half to full delay), so many appliances do not retry in step. */
export function backoffDelay(attemptsMade: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export function jobOptions(settings: SinkSettings): JobsOptions {
  return {
    attempts: settings.retry.attempts,
    backoff: { type: 'outbox' },
    // Completed batches are kept a week (status, and a re-upload of the same batch stays a no-op).
    removeOnComplete: { age: 7 * 86_400, count: 100_000 },
    removeOnFail: false,
  };
}

export class Outbox {
  readonly queue: Queue<OutboxJobData, OutboxResult>;
  constructor(private readonly connection: Redis, private readonly prefix: string, private readonly settings: SinkSettings) {
    this.queue = new Queue(OUTBOX_QUEUE, { connection, prefix });
  }

  /** Adds the batches; returns how many were new (a batch already in the outbox, pending or sent, is not added again). */
  async enqueue(payloads: Payload[]): Promise<{ added: number; already: number }> {
    let added = 0;
    for (const p of payloads) {
      const existing = await this.queue.getJob(p.idempotencyKey);
      if (existing) continue;
      await this.queue.add('batch', { payload: p, enqueuedAt: new Date().toISOString() }, { ...jobOptions(this.settings), jobId: p.idempotencyKey });
      added += 1;
    }
    return { added, already: payloads.length - added };
  }

  async status(limit = 50): Promise<OutboxStatus> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'completed', 'prioritized');
    const describe = (j: Job<OutboxJobData, OutboxResult>) => ({
      key: j.id ?? '',
      batch: `${j.data.payload.batch.index + 1}/${j.data.payload.batch.count}`,
      asOf: j.data.payload.assessment.asOf,
      records: j.data.payload.records.length,
      attempts: j.attemptsMade,
      reason: j.failedReason || null,
      nextAttemptAt: null as string | null,
    });
    const [failed, delayed, waiting] = await Promise.all([
      this.queue.getJobs(['failed'], 0, limit - 1),
      this.queue.getJobs(['delayed'], 0, limit - 1),
      this.queue.getJobs(['waiting', 'active', 'prioritized'], 0, limit - 1),
    ]);
    // BullMQ scores delayed jobs by due time x 0x1000 (plus a counter): that is the next attempt.
    const delayedEntries = delayed.filter(Boolean).map(describe);
    for (const e of delayedEntries) {
      const score = await this.connection.zscore(`${this.prefix}:${OUTBOX_QUEUE}:delayed`, e.key);
      if (score !== null) e.nextAttemptAt = new Date(Math.floor(Number(score) / 0x1000)).toISOString();
    }
    return {
      counts: {
        pending: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0),
        waiting: counts.waiting ?? 0,
        delayed: counts.delayed ?? 0,
        active: counts.active ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
      },
      failed: failed.filter(Boolean).map(describe),
      delayed: delayedEntries,
      waiting: waiting.filter(Boolean).map(describe),
    };
  }

  /** Moves every parked (failed) batch back to waiting, e.g. after the endpoint or the config was fixed. */
  async replayFailed(): Promise<number> {
    const failed = await this.queue.getJobs(['failed']);
    let n = 0;
    for (const j of failed) {
      if (!j) continue;
      await j.retry('failed', { resetAttemptsMade: true });
      n += 1;
    }
    return n;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface OutboxEntry {
  key: string;
  batch: string;
  asOf: string;
  records: number;
  attempts: number;
  reason: string | null;
  nextAttemptAt: string | null;
}

export interface OutboxStatus {
  counts: { pending: number; waiting: number; delayed: number; active: number; failed: number; completed: number };
  failed: OutboxEntry[];
  delayed: OutboxEntry[];
  waiting: OutboxEntry[];
}

/** The worker that drains the outbox; the appliance runs one, `collector upload --send` runs one until empty. */
export function startOutboxSender(
  connection: Redis,
  prefix: string,
  settings: SinkSettings,
  opts: { log: Logger; sender?: Sender; timeoutMs?: number },
): { worker: Worker<OutboxJobData, OutboxResult>; sender: Sender; close: () => Promise<void> } {
  const sender = opts.sender ?? new Sender(settings, { timeoutMs: opts.timeoutMs });
  const log = opts.log;
  const worker = new Worker<OutboxJobData, OutboxResult>(
    OUTBOX_QUEUE,
    async (job, token) => {
      const p = job.data.payload;
      const outcome = await sender.send(p);
      const where = { key: p.idempotencyKey.slice(0, 12), batch: p.batch.index, attempt: job.attemptsMade + 1 };
      switch (outcome.kind) {
        case 'sent':
          log.debug({ ...where, status: outcome.status, duplicate: outcome.duplicate }, 'batch accepted');
          return { status: outcome.status, duplicate: outcome.duplicate, records: p.records.length };
        case 'retry':
          if (outcome.retryAfterMs !== undefined && token) {
            // Retry-After: wait exactly as long as the endpoint asked, without using up an attempt.
            log.warn({ ...where, retryAfterMs: outcome.retryAfterMs }, `ingestion endpoint asked to wait: ${outcome.reason}`);
            await job.moveToDelayed(Date.now() + outcome.retryAfterMs, token);
            throw new DelayedError();
          }
          log.warn(where, `batch will be retried: ${outcome.reason}`);
          throw new Error(outcome.reason);
        case 'auth':
          log.warn(where, `batch will be retried: ${outcome.reason}`);
          throw new Error(outcome.reason);
        case 'rejected':
          log.error(where, `batch parked as failed (replay with collector upload --replay-failed): ${outcome.reason}`);
          throw new UnrecoverableError(outcome.reason);
      }
    },
    {
      connection,
      prefix,
      concurrency: 1,
      lockDuration: Math.max(30_000, (opts.timeoutMs ?? settings.timeoutSec * 1000) * 3),
      settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, settings.retry.baseDelaySec * 1000, settings.retry.maxDelaySec * 1000) },
    },
  );
  worker.on('error', (err) => log.error({ err: err.message }, 'outbox worker error'));
  let closing: Promise<void> | undefined;
  return {
    worker,
    sender,
    close: () =>
      (closing ??= (async () => {
        await worker.close();
        await sender.close();
      })()),
  };
}
