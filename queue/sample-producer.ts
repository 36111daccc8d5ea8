import type { Queue } from 'bullmq';
import type { Sample } from '../model/index.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { encodeBatch, type EncodedBatch } from './codec.js';
import { BATCH_JOB } from './samples-queue.js';

/** A buffered batch; `release` resolves its push() promise (delivered, dropped, or held while Redis is away). */
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
}

/**
 * Puts sample batches on the queue, one job per batch, through a bounded in-memory buffer: while
 * Redis is unreachable collectors keep polling into the buffer, and it is delivered in order when Redis
 * returns. Past `maxBufferedSamples` the OLDEST batches are dropped (newest data is kept, because the
 * collectors' own backfill cannot fetch it again later either way) and the drop is logged once per episode.
 * A state change is logged once, never per poll.
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
  /** Ids of the jobs added, for callers that wait for their rollup (ingest). */
  readonly jobIds: string[] = [];
  trackJobIds = false;

  constructor(queue: Queue, opts: { maxBufferedSamples: number; log: Logger }) {
    this.#queue = queue;
    this.#log = opts.log;
    this.#max = opts.maxBufferedSamples;
  }

  /**
   * Takes a batch, encoded at once so the buffer holds the compact form. The promise resolves when Redis
   * has the batch (so a collector awaiting its sink finishes a poll only once its samples are
   * acknowledged), or at once while Redis is away: then the batch waits in the bounded buffer and polling
   * goes on. It never rejects.
   */
  push(samples: readonly Sample[]): Promise<void> {
    if (samples.length === 0) return Promise.resolve();
    if (this.#closed) throw new Error('SampleProducer is closed');
    const entry: Entry = { data: encodeBatch(samples), n: samples.length };
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
        this.#log.error({ bufferMaxSamples: this.#max }, 'sample buffer full while Redis is away: dropping the oldest batches (rollup.bufferMaxSamples)');
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
      droppedSamples: this.#dropped,
      redis: this.#away ? 'away' : 'up',
    };
  }

  /** Resolves when everything buffered has been delivered (or after timeoutMs; returns whether it emptied). */
  async flush(timeoutMs = Infinity): Promise<boolean> {
    if (this.#buffer.length === 0 && !this.#pumping) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true)));
    const timeout = Number.isFinite(timeoutMs) ? new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))) : null;
    const done = await (timeout ? Promise.race([idle, timeout]) : idle);
    if (timer) clearTimeout(timer);
    return done;
  }

  /** Delivers what it can within timeoutMs, then stops; what is left is reported as lost. */
  async close(timeoutMs = 10_000): Promise<void> {
    const ok = await this.flush(timeoutMs);
    this.#closed = true;
    for (const b of this.#buffer) b.release?.();
    if (!ok) this.#log.error({ samples: this.#bufferedSamples }, 'stopping with samples still buffered: Redis stayed unreachable');
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = this.#drain().finally(() => {
      this.#pumping = null;
      if (this.#buffer.length > 0 && !this.#closed) this.#pump();
      else for (const f of this.#idle.splice(0)) f();
    });
  }

  async #drain(): Promise<void> {
    let backoff = 250;
    while (this.#buffer.length > 0 && !this.#closed) {
      const part = this.#buffer.slice(0, 50);
      this.#inFlight = part.length;
      try {
        const jobs = await this.#queue.addBulk(part.map((b) => ({ name: BATCH_JOB, data: b.data })));
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
        if (this.#away) {
          this.#away = false;
          this.#log.info({ buffered: this.#bufferedSamples, dropped: this.#dropped }, 'Redis reachable again: delivering buffered samples');
        }
        this.#droppedLogged = false;
        backoff = 250;
      } catch (err) {
        this.#inFlight = 0;
        if (!this.#away) {
          this.#away = true;
          this.#log.warn({ err: errorMessage(err), bufferMaxSamples: this.#max }, 'Redis unreachable: buffering samples in memory until it returns');
        }
        // Collectors waiting on their sink go on polling; the batches wait here.
        for (const b of this.#buffer) {
          b.release?.();
          b.release = undefined;
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }
}
