import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../common/log.js';
import type { CollectorConfig } from '../config/load.js';
import type { RejectedSample } from '../model/sample-validation.js';
import { decodeBatch, type SeriesBatch } from '../queue/codec.js';
import { Quarantine } from '../queue/quarantine.js';
import { createRedis } from '../queue/redis.js';
import { SAMPLES_QUEUE, bullPrefix } from '../queue/samples-queue.js';
import { PointStore } from './point-store.js';
import { screenBatch } from './screen.js';
import { sealWithLock } from './sealer.js';

export interface WorkerStats {
  jobs: number;
  samples: number;
  skipped: number;
  /** Samples refused by the worker's own check and quarantined. */
  quarantined: number;
  failures: number;
  lastJobAt: number | null;
}

/**
 * The rollup worker: consumes sample batches and merges them into the point store. Any number of
 * workers, in any number of processes and machines, can share one Redis; a batch rolled up twice
 * (redelivery, stalled-job recovery after a crash) changes nothing the second time.
 */
export class RollupWorker {
  readonly stats: WorkerStats = { jobs: 0, samples: 0, skipped: 0, quarantined: 0, failures: 0, lastJobAt: null };
  readonly #worker: Worker;
  readonly #store: PointStore;
  readonly #redis: Redis;
  readonly #bullConnection: Redis;
  readonly #log: Logger;
  readonly #config: CollectorConfig;
  readonly #quarantine: Quarantine;
  #sealTimer: NodeJS.Timeout | null = null;

  constructor(config: CollectorConfig, opts: { log: Logger; concurrency?: number; autorun?: boolean; seal?: boolean }) {
    this.#log = opts.log;
    this.#config = config;
    this.#redis = createRedis(config.redis, { forWorker: true, name: 'collector-rollup' });
    this.#redis.on('error', () => {}); // reconnects on its own; BullMQ's worker logs the state
    this.#store = new PointStore(this.#redis, config.redis.prefix, { retentionDays: config.rollup.retentionDays });
    this.#quarantine = new Quarantine(this.#redis, config.redis.prefix, { log: opts.log });
    const r = config.rollup;
    this.#bullConnection = createRedis(config.redis, { forWorker: true, name: 'collector-worker' });
    this.#bullConnection.on('error', () => {});
    this.#worker = new Worker(SAMPLES_QUEUE, (job: Job) => this.#process(job), {
      connection: this.#bullConnection,
      prefix: bullPrefix(config.redis.prefix),
      concurrency: opts.concurrency ?? r.workerConcurrency,
      stalledInterval: r.stalledIntervalSec * 1000,
      lockDuration: r.lockDurationSec * 1000,
      maxStalledCount: r.maxStalledCount,
      autorun: opts.autorun ?? true,
    });
    let down = false;
    this.#worker.on('error', (err) => {
      if (!down) this.#log.warn({ err: err.message }, 'rollup worker: Redis error; retrying');
      down = true;
    });
    this.#worker.on('ready', () => {
      if (down) this.#log.info('rollup worker: Redis reachable again');
      down = false;
    });
    if (config.rollup.sealAfterHours > 0 && (opts.seal ?? true)) {
      this.#sealTimer = setInterval(() => {
        this.sealNow().catch((err) => this.#log.warn({ err: (err as Error).message }, 'sealing finished days failed; will retry'));
      }, 10 * 60_000);
      this.#sealTimer.unref();
    }
    this.#worker.on('failed', (job, err) => {
      this.stats.failures++;
      const final = err instanceof UnrecoverableError || (job ? job.attemptsMade >= (job.opts.attempts ?? 1) : false);
      const msg = final
        ? 'rollup job failed for good: kept in the failed list (replaying its samples is harmless)'
        : 'rollup job failed; it will be retried';
      this.#log[final ? 'error' : 'warn']({ job: job?.id, attempt: job?.attemptsMade, err: err.message }, msg);
    });
  }

  /** Seals finished days (see rollup/sealer.ts) unless another worker is doing it; every 10 minutes. */
  async sealNow(now?: number): Promise<{ days: number[]; keys: number } | null> {
    const r = this.#config.rollup;
    if (r.sealAfterHours <= 0) return null;
    const res = await sealWithLock(this.#redis, this.#config.redis.prefix, {
      sealAfterMs: r.sealAfterHours * 3_600_000,
      retentionDays: r.retentionDays,
      ...(now === undefined ? {} : { now }),
    });
    if (res && res.days.length > 0) this.#log.info({ days: res.days.length, keys: res.keys }, 'sealed finished days');
    return res;
  }

  async #process(job: Job): Promise<{ samples: number; skipped: number; changed: number }> {
    // A data error is permanent: retrying cannot fix it. Only infrastructure errors (Redis) are retried.
    const source = typeof job.data?.src === 'string' ? job.data.src : 'unknown';
    const badGroups: RejectedSample[] = [];
    let groups: SeriesBatch[];
    try {
      groups = decodeBatch(job.data, (group, problem) =>
        badGroups.push({ sample: group, reason: 'not-object', detail: `malformed series group: ${problem}` }),
      );
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    // Refused samples go to the quarantine; the rest of the batch is stored.
    const screened = screenBatch(groups, { retentionDays: this.#config.rollup.retentionDays });
    this.#quarantine.record(source, [...badGroups, ...screened.rejected]);
    this.stats.quarantined += badGroups.length + screened.rejected.length;
    let r: Awaited<ReturnType<PointStore['apply']>>;
    try {
      r = await this.#store.apply(screened.groups);
    } catch (err) {
      if (err instanceof RangeError || err instanceof TypeError) throw new UnrecoverableError(`${err.name}: ${err.message}`);
      throw err;
    }
    r.skipped += screened.skipped;
    this.stats.jobs++;
    this.stats.samples += r.samples;
    this.stats.skipped += r.skipped;
    this.stats.lastJobAt = Date.now();
    if (r.skipped > 0) this.#log.debug({ job: job.id, skipped: r.skipped }, 'samples older than the retention or not finite were skipped');
    return r;
  }

  /** Resolves once the worker is connected and consuming. */
  waitUntilReady(): Promise<unknown> {
    return this.#worker.waitUntilReady();
  }

  /** Graceful: stops taking jobs, lets in-flight jobs finish (drain), then disconnects. */
  async close(): Promise<void> {
    if (this.#sealTimer) clearInterval(this.#sealTimer);
    await this.#worker.close();
    this.#redis.disconnect();
    this.#bullConnection.disconnect();
  }
}
