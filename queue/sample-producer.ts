import type { Queue } from 'bullmq';
import type { Sample } from '../model/index.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { partitionSamples } from '../model/sample-validation.js';
import { encodeBatch, type EncodedBatch } from './codec.js';
import type { Quarantine } from './quarantine.js';
import { BATCH_JOB } from './samples-queue.js';
import { contentId, type Spool, type SpoolStats } from './spool.js';

/** A buffered batch; `release` resolves its push() promise (delivered, dropped, spooled, or held while Redis is away). */
interface Entry {
  data: EncodedBatch;
  n: number;
  release?: () => void;
}

export interface ProducerStats {
  /** Batches and samples waiting in memory for Redis. */
  bufferedBatches: number;
  bufferedSamples: number;
  /** Batches and samples handed to Redis (acknowledged by it). */
  deliveredBatches: number;
  deliveredSamples: number;
  /** Samples dropped because the buffer was full while Redis was away. */
  droppedSamples: number;
  redis: 'up' | 'away';
  /** Samples refused by the validator (quarantined), since the process started. */
  refusedSamples: number;
  /** The on-disk spool, when configured. */
  spool: SpoolStats | null;
}

export interface ProducerOptions {
  maxBufferedSamples: number;
  log: Logger;
  /** Validate at the edge: invalid samples go to the quarantine, never to the queue. */
  validation?: { retentionDays: number; quarantine: Quarantine | null };
  /** While Redis is away batches go here instead of memory (durable), and are replayed in order. */
  spool?: Spool;
  /** Longest wait between two tries while Redis is away (tests shorten it). */
  maxRetryDelayMs?: number;
}

/**
 * Puts sample batches on the queue, one job per batch, through a bounded in-memory buffer: while
 * Redis is unreachable collectors keep polling into the buffer, and it is delivered in order when Redis
 * returns. Past `maxBufferedSamples` the OLDEST batches are dropped (newest data is kept, because the
 * collectors' own backfill cannot fetch it again later either way) and the drop is logged once per episode.
 * A state change is logged once, never per poll. With a spool (queue/spool.ts), a failed add moves the buffer
 * to disk instead and every batch goes through the spool until it is delivered again: durable across a
 * crash, replayed in order, with content job ids so a batch delivered twice is one job.
 */
export class SampleProducer {
  readonly #queue: Queue;
  readonly #log: Logger;
  readonly #max: number;
  readonly #buffer: Entry[] = [];
  #bufferedSamples = 0;
  #delivered = { batches: 0, samples: 0 };
  #dropped = 0;
  #droppedLogged = false;
  #away = false;
  #pumping: Promise<void> | null = null;
  /** The first #inFlight buffered batches are being added right now: they are never the ones dropped. */
  #inFlight = 0;
  #closed = false;
  #idle: (() => void)[] = [];
  readonly #validation: ProducerOptions['validation'];
  readonly #spool: Spool | null;
  /** While the spool holds anything, every batch goes through it, so delivery stays in order. */
  #spooling = false;
  #refused = 0;
  #spoolFailedLogged = false;
  readonly #maxRetryDelayMs: number;
  /** Ids of the jobs added, for callers that wait for their rollup (ingest). */
  readonly jobIds: string[] = [];
  trackJobIds = false;

  constructor(queue: Queue, opts: ProducerOptions) {
    this.#queue = queue;
    this.#log = opts.log;
    this.#max = opts.maxBufferedSamples;
    this.#validation = opts.validation;
    this.#spool = opts.spool ?? null;
    this.#maxRetryDelayMs = opts.maxRetryDelayMs ?? 5_000;
    if (this.#spool && !this.#spool.empty) {
      // Left by a previous run (Redis away, then a crash or a stop): replayed before anything new.
      this.#spooling = true;
      this.#log.info(
        { spool: this.#spool.dir, samples: this.#spool.stats().samples },
        'sample spool holds batches from a previous run: replaying them first',
      );
      this.#pump();
    }
  }

  /**
   * Takes a batch from `source`, checked against the sample contract when validation is on (refused samples
   * go to the quarantine) and encoded at once so the buffer holds the compact form. The promise resolves when
   * Redis has the batch (so a collector awaiting its sink finishes a poll only once its samples are
   * acknowledged) or, while Redis is away, once the batch is fsync'd in the spool (without a spool: at once,
   * the batch waiting in the bounded memory buffer); polling goes on. It never rejects.
   */
  push(input: readonly Sample[], source?: string): Promise<void> {
    if (input.length === 0) return Promise.resolve();
    if (this.#closed) throw new Error('SampleProducer is closed');
    let samples = input;
    if (this.#validation) {
      const { valid, rejected } = partitionSamples(input, { retentionDays: this.#validation.retentionDays });
      if (rejected.length > 0) {
        this.#refused += rejected.length;
        this.#validation.quarantine?.record(source ?? 'unknown', rejected);
      }
      samples = valid;
      if (samples.length === 0) return Promise.resolve();
    }
    const entry: Entry = { data: encodeBatch(samples), n: samples.length };
    if (source !== undefined) entry.data.src = source;
    if (this.#spooling) {
      const spooled = this.#toSpool([entry]);
      this.#pump();
      return spooled;
    }
    const done = this.#away ? Promise.resolve() : new Promise<void>((resolve) => (entry.release = resolve));
    this.#buffer.push(entry);
    this.#bufferedSamples += samples.length;
    while (this.#bufferedSamples > this.#max && this.#buffer.length > this.#inFlight + 1) {
      const [old] = this.#buffer.splice(this.#inFlight, 1) as [Entry];
      old.release?.();
      this.#bufferedSamples -= old.n;
      this.#dropped += old.n;
      if (!this.#droppedLogged) {
        this.#droppedLogged = true;
        this.#log.error(
          { bufferMaxSamples: this.#max },
          'sample buffer full while Redis is away: dropping the oldest batches (rollup.bufferMaxSamples)',
        );
      }
    }
    this.#pump();
    return done;
  }

  stats(): ProducerStats {
    return {
      bufferedBatches: this.#buffer.length,
      bufferedSamples: this.#bufferedSamples,
      deliveredBatches: this.#delivered.batches,
      deliveredSamples: this.#delivered.samples,
      droppedSamples: this.#dropped + (this.#spool?.stats().droppedSamples ?? 0),
      redis: this.#away ? 'away' : 'up',
      refusedSamples: this.#refused,
      spool: this.#spool?.stats() ?? null,
    };
  }

  /** Resolves when everything buffered has been delivered (or after timeoutMs; returns whether it emptied). */
  async flush(timeoutMs = Infinity): Promise<boolean> {
    if (this.#buffer.length === 0 && !this.#pumping && !this.#spooling) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true)));
    const timeout = Number.isFinite(timeoutMs)
      ? new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
      : null;
    const done = await (timeout ? Promise.race([idle, timeout]) : idle);
    if (timer) clearTimeout(timer);
    return done;
  }

  /** Delivers what it can within timeoutMs, then stops; what is left is spooled for the next start, or reported as lost. */
  async close(timeoutMs = 10_000): Promise<void> {
    const ok = await this.flush(timeoutMs);
    this.#closed = true;
    if (this.#spool) {
      if (this.#buffer.length > 0) {
        const left = this.#buffer.splice(0);
        this.#bufferedSamples = 0; // what the disk refuses comes back into the buffer
        await this.#toSpool(left);
      }
      const left = this.#spool.stats().samples;
      this.#spool.close();
      if (left > 0)
        this.#log.warn(
          { samples: left, spool: this.#spool.dir },
          'stopping with samples in the spool: Redis stayed unreachable; they are delivered at the next start',
        );
    }
    for (const b of this.#buffer) b.release?.();
    if (!ok && this.#buffer.length > 0)
      this.#log.error({ samples: this.#bufferedSamples }, 'stopping with samples still buffered: Redis stayed unreachable');
  }

  /**
   * Writes batches to the spool in order; resolves (releasing their pushers) once they are fsync'd. A batch
   * the disk refuses stays in the memory buffer instead (one error line until the spool works again).
   */
  #toSpool(entries: Entry[]): Promise<void> {
    const spool = this.#requireSpool();
    const done: Promise<void>[] = [];
    for (const e of entries) {
      let p: Promise<void>;
      try {
        p = spool.append(Buffer.from(JSON.stringify(e.data)), e.n);
        this.#spoolFailedLogged = false;
      } catch (err) {
        if (!this.#spoolFailedLogged)
          this.#log.error({ err: errorMessage(err), spool: spool.dir }, 'cannot write the sample spool: keeping samples in memory');
        this.#spoolFailedLogged = true;
        this.#buffer.push(e);
        this.#bufferedSamples += e.n;
        p = Promise.resolve();
      }
      const release = e.release;
      e.release = undefined;
      done.push(p.catch(() => {}).then(() => release?.()));
    }
    return Promise.all(done).then(() => {});
  }

  /** The spool, where the caller is spooling: #spooling is only ever set with a spool configured. */
  #requireSpool(): Spool {
    if (!this.#spool) throw new Error('sample producer: spooling without a spool (a bug: #spooling is set only with one)');
    return this.#spool;
  }

  #pump(): void {
    if (this.#pumping) return;
    const drained = this.#drain().catch(async (err) => {
      // A failure outside the add (e.g. the spool unreadable): logged, then retried after a pause, never in a tight loop.
      this.#log.error({ err: errorMessage(err) }, 'sample delivery failed; retrying in 1 s');
      await new Promise((r) => setTimeout(r, 1_000));
    });
    this.#pumping = drained.finally(() => {
      this.#pumping = null;
      if ((this.#buffer.length > 0 || this.#spooling) && !this.#closed) this.#pump();
      else for (const f of this.#idle.splice(0)) f();
    });
  }

  async #drain(): Promise<void> {
    const first = Math.min(250, this.#maxRetryDelayMs);
    let backoff = first;
    const wait = async () => {
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, this.#maxRetryDelayMs);
    };
    while (!this.#closed) {
      if (this.#spooling) {
        const spool = this.#requireSpool();
        const records = spool.peek(50);
        if (records.length === 0) {
          this.#spooling = false; // emptied: batches go through memory again
          continue;
        }
        try {
          // Content job ids: a record delivered again after a crash (acknowledged in Redis, not yet in the spool) is the same job.
          await this.#queue.addBulk(
            records.map((r) => ({ name: BATCH_JOB, data: JSON.parse(r.payload.toString('utf8')), opts: { jobId: r.id } })),
          );
          spool.ack(records);
          for (const r of records) {
            this.#delivered.batches++;
            this.#delivered.samples += r.samples;
          }
          this.#reachable();
          backoff = first;
        } catch (err) {
          this.#unreachable(err);
          await wait();
        }
        continue;
      }
      if (this.#buffer.length === 0) break;
      const part = this.#buffer.slice(0, 50);
      this.#inFlight = part.length;
      try {
        const jobs = await this.#queue.addBulk(
          part.map((b) => ({
            name: BATCH_JOB,
            data: b.data,
            ...(this.#spool ? { opts: { jobId: contentId(JSON.stringify(b.data)) } } : {}),
          })),
        );
        this.#inFlight = 0;
        // Only now are these samples acknowledged; a crash before this line keeps nothing, after it Redis has them.
        this.#buffer.splice(0, part.length);
        for (const b of part) {
          this.#bufferedSamples -= b.n;
          this.#delivered.batches++;
          this.#delivered.samples += b.n;
          b.release?.();
        }
        if (this.trackJobIds) for (const j of jobs) if (j.id) this.jobIds.push(j.id);
        this.#reachable();
        this.#droppedLogged = false;
        backoff = first;
      } catch (err) {
        this.#inFlight = 0;
        this.#unreachable(err);
        if (this.#spool) {
          // Durable from here on: the buffer moves to the spool (in order) and new batches follow it there.
          const moved = this.#buffer.splice(0);
          this.#bufferedSamples = 0;
          this.#spooling = true;
          await this.#toSpool(moved);
        } else {
          // Collectors waiting on their sink go on polling; the batches wait here.
          for (const b of this.#buffer) {
            b.release?.();
            b.release = undefined;
          }
        }
        await wait();
      }
    }
  }

  #reachable(): void {
    if (!this.#away) return;
    this.#away = false;
    this.#log.info(
      { buffered: this.#bufferedSamples, spooled: this.#spool?.stats().samples ?? 0, dropped: this.stats().droppedSamples },
      'Redis reachable again: delivering buffered samples',
    );
  }

  #unreachable(err: unknown): void {
    if (this.#away) return;
    this.#away = true;
    if (this.#spool)
      this.#log.warn({ err: errorMessage(err), spool: this.#spool.dir }, 'Redis unreachable: spooling samples to disk until it returns');
    else
      this.#log.warn(
        { err: errorMessage(err), bufferMaxSamples: this.#max },
        'Redis unreachable: buffering samples in memory until it returns',
      );
  }
}
