import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CollectorConfig } from '../config/load.js';
import { createRedis, keyOf } from './redis.js';

/** The BullMQ queue of sample batches (one job per batch a collector's sink delivers). */
export const SAMPLES_QUEUE = 'samples';
export const BATCH_JOB = 'batch';

/** BullMQ keys live under the product's prefix: <prefix>:bull:<queue>:... (on Cluster use a {hash tag} prefix). */
export function bullPrefix(prefix: string): string {
  return keyOf(prefix, 'bull');
}

export function batchJobOptions(rollup: CollectorConfig['rollup']): JobsOptions {
  return {
    attempts: rollup.jobAttempts,
    backoff: { type: 'exponential', delay: 1000 },
    // Finished batches are rolled up: keep only a short tail for the dashboard. Failed ones are kept.
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { count: 100_000 },
  };
}

/**
 * A producer's queue. Its connection gives up on a command after a few reconnection attempts
 * (maxRetriesPerRequest 3), and the SampleProducer has at most one add in flight, so its bounded
 * buffer, not an ioredis queue, is where samples wait while Redis is away. (BullMQ checks the server
 * version on construction, which rules out disabling ioredis' offline queue here.)
 */
export function createSamplesQueue(config: CollectorConfig, opts: { connection?: Redis } = {}): { queue: Queue; connection: Redis } {
  const connection = opts.connection ?? createRedis(config.redis, { name: 'collector-producer' });
  const queue = new Queue(SAMPLES_QUEUE, {
    connection,
    prefix: bullPrefix(config.redis.prefix),
    skipWaitingForReady: true,
    defaultJobOptions: batchJobOptions(config.rollup),
  });
  // Connection errors surface as failed adds, which the SampleProducer logs once per state change.
  queue.on('error', () => {});
  return { queue, connection };
}

export interface QueueStatus {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Age of the oldest batch still waiting, in ms (0 when none). */
  lagMs: number;
}

/** Depth and lag of the samples queue, for the terminal status, /metrics and health. */
export async function queueStatus(queue: Queue, now = Date.now()): Promise<QueueStatus> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
  const oldest = await queue.getJobs(['wait'], 0, 0, true); // ascending: index 0 is the oldest waiting job
  const first = oldest[0];
  return {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    lagMs: first ? Math.max(0, now - first.timestamp) : 0,
  };
}
