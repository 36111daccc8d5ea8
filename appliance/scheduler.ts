import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { InventoryStore } from '../queue/inventory-store.js';
import type { Sample, SourceCollector, SourceStatus } from '../model/index.js';

export interface SourceSchedulerOptions {
  name: string;
  /** Builds the collector (createCollector for a configured source; a synthetic one in tests). */
  create: () => Promise<SourceCollector>;
  inventory: InventoryStore | null;
  /**
   * Receives each batch the collector's sink delivers: one queue job per batch, never one per sample.
   * The collector awaits it, so a poll ends once its samples are acknowledged (or buffered while Redis is away).
   */
  sink: (batch: Sample[]) => void | Promise<void>;
  /** Defaults to the collector's pollIntervalSec. */
  pollIntervalMs?: number;
  inventoryIntervalMs: number;
  /** Delay before the first discovery (sources start staggered). */
  startDelayMs?: number;
  log: Logger;
}

/**
 * Runs one source on its cadence: discovery on start and every inventoryInterval (saved to the
 * inventory store), a poll every pollInterval. A poll still running when the next is due is
 * skipped and logged, never overlapped. Failures are logged once per state change and never
 * escape: a failing source does not stop the others.
 */
export class SourceScheduler {
  readonly #o: SourceSchedulerOptions;
  readonly #log: Logger;
  #collector: SourceCollector | null = null;
  #timers: NodeJS.Timeout[] = [];
  #polling: Promise<void> | null = null;
  #discovering: Promise<void> | null = null;
  #stopped = false;
  #failing = false;
  readonly #status: SourceStatus;

  constructor(opts: SourceSchedulerOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ source: opts.name });
    this.#status = {
      name: opts.name, kind: null, state: 'waiting', machines: null, lastDiscoveryAt: null, lastPollAt: null, lastSuccessAt: null, lastPollMs: null,
      lastPollSamples: 0, polls: 0, skippedPolls: 0, samples: 0, batches: 0, errors: 0, lastError: null,
    };
  }

  status(): SourceStatus {
    return { ...this.#status };
  }

  start(): void {
    this.#timers.push(setTimeout(() => void this.#begin(), this.#o.startDelayMs ?? 0));
  }

  async #begin(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#collector = await this.#o.create();
      this.#status.kind = this.#collector.kind;
    } catch (err) {
      this.#fail('cannot start the collector', err);
      // Configuration or reachability problem: try again on the inventory cadence.
      this.#timers.push(setTimeout(() => void this.#begin(), this.#o.inventoryIntervalMs));
      return;
    }
    if (this.#stopped) return void (await this.#closeCollector());
    this.#status.state = 'running';
    await this.#discover();
    const pollMs = this.#o.pollIntervalMs ?? this.#collector.pollIntervalSec * 1000;
    this.#tickPoll();
    this.#timers.push(setInterval(() => this.#tickPoll(), pollMs));
    this.#timers.push(setInterval(() => void this.#discover(), this.#o.inventoryIntervalMs));
  }

  async #discover(): Promise<void> {
    if (this.#stopped || !this.#collector || this.#discovering) return;
    const c = this.#collector;
    this.#discovering = (async () => {
      try {
        const { source, machines } = await c.discover();
        if (this.#o.inventory) await this.#o.inventory.save(source, machines);
        this.#status.machines = machines.length;
        this.#status.lastDiscoveryAt = Date.now();
        this.#log.info({ machines: machines.length, templatesSkipped: source.templatesSkipped }, 'inventory discovered');
        this.#ok();
      } catch (err) {
        this.#fail('discovery failed', err);
      }
    })();
    await this.#discovering;
    this.#discovering = null;
  }

  #tickPoll(): void {
    if (this.#stopped || !this.#collector) return;
    if (this.#polling) {
      this.#status.skippedPolls++;
      this.#log.warn({ skippedPolls: this.#status.skippedPolls }, 'previous poll still running: skipping this one (the next poll catches up)');
      return;
    }
    const c = this.#collector;
    const started = Date.now();
    let samples = 0;
    this.#polling = (async () => {
      try {
        const stats = await c.poll((batch) => {
          if (batch.length === 0) return;
          samples += batch.length;
          this.#status.samples += batch.length;
          this.#status.batches++;
          return this.#o.sink(batch);
        });
        this.#status.polls++;
        this.#status.lastPollAt = Date.now();
        this.#status.lastPollMs = Date.now() - started;
        this.#status.lastPollSamples = samples;
        if (stats.errors.length > 0) this.#log.warn({ errors: stats.errors.slice(0, 5), count: stats.errors.length }, 'poll finished with errors');
        this.#log.debug({ samples, requests: stats.requests, ms: this.#status.lastPollMs }, 'poll done');
        this.#ok();
      } catch (err) {
        this.#status.lastPollAt = Date.now();
        this.#fail('poll failed', err);
      } finally {
        this.#polling = null;
      }
    })();
  }

  #ok(): void {
    if (this.#failing) this.#log.info('source healthy again');
    this.#failing = false;
    this.#status.lastError = null;
    this.#status.lastSuccessAt = Date.now();
    if (!this.#stopped) this.#status.state = 'running';
  }

  #fail(what: string, err: unknown): void {
    const msg = `${what}: ${errorMessage(err)}`;
    // Logged once per state change (and when the reason changes), not on every poll.
    if (!this.#failing || this.#status.lastError !== msg) this.#log.error({ err: errorMessage(err) }, what);
    this.#failing = true;
    this.#status.errors++;
    this.#status.lastError = msg;
    if (!this.#stopped) this.#status.state = 'failing';
  }

  async #closeCollector(): Promise<void> {
    const c = this.#collector;
    this.#collector = null;
    if (!c) return;
    try {
      await c.close();
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'closing the collector failed');
    }
  }

  /** Stops the cadence, waits for an in-flight poll/discovery, then closes the collector (Logout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    await Promise.allSettled([this.#polling, this.#discovering]);
    await this.#closeCollector();
    this.#status.state = 'stopped';
  }
}

/** Staggers sources over the first poll interval so they do not all hit Redis and the far ends at once. */
export function staggerMs(index: number, count: number, spanMs = 10_000): number {
  return count <= 1 ? 0 : Math.round((index * spanMs) / count);
}
