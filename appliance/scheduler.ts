import { DeadlineExceeded, settlesWithin, withDeadline } from '../common/deadline.js';
import { errorMessage, UserError } from '../common/errors.js';
import { redactText, type Logger } from '../common/log.js';
import type { InventoryStore } from '../queue/inventory-store.js';
import type { Sample, SourceCollector, SourceStatus } from '../model/index.js';

/** Defaults for the deadlines (config: service.pollDeadlineSec, service.discoveryDeadlineSec, service.stopTimeoutSec). */
export const DEFAULT_POLL_DEADLINE_MS = 15 * 60_000;
export const DEFAULT_DISCOVERY_DEADLINE_MS = 30 * 60_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const RESTART_AFTER_DEADLINE_MS = 5_000;

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
  /**
   * Wall-clock bounds on one poll and one discovery (per-request timeouts sit below these). A poll or discovery
   * past its deadline counts as failed and the collector is closed (aborting its requests) and built again.
   */
  pollDeadlineMs?: number;
  discoveryDeadlineMs?: number;
  /** How long stop() waits for an in-flight poll/discovery and for close() before giving up on them. */
  stopTimeoutMs?: number;
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
  /** Bumped when a collector is abandoned after a deadline, so its late results are ignored. */
  #generation = 0;
  readonly #status: SourceStatus;

  constructor(opts: SourceSchedulerOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ source: opts.name });
    this.#status = {
      name: opts.name,
      kind: null,
      state: 'waiting',
      machines: null,
      lastDiscoveryAt: null,
      lastPollAt: null,
      lastSuccessAt: null,
      lastPollMs: null,
      lastPollSamples: 0,
      polls: 0,
      skippedPolls: 0,
      samples: 0,
      batches: 0,
      errors: 0,
      lastError: null,
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
    const discovered = await this.#discover();
    if (!this.#collector) return; // abandoned after a deadline: #begin runs again
    const pollMs = this.#o.pollIntervalMs ?? this.#collector.pollIntervalSec * 1000;
    // After a failed discovery the first poll waits one interval: a poll without inventory discovers again, and
    // against a flooding peer two back-to-back attempts would hold two capped answers' garbage at once.
    if (discovered) this.#tickPoll();
    this.#timers.push(setInterval(() => this.#tickPoll(), pollMs));
    this.#timers.push(setInterval(() => void this.#discover(), this.#o.inventoryIntervalMs));
  }

  /** True when the inventory was read and saved. */
  async #discover(): Promise<boolean> {
    if (this.#stopped || !this.#collector || this.#discovering) return false;
    const c = this.#collector;
    const generation = this.#generation;
    let ok = false;
    this.#discovering = (async () => {
      try {
        const { source, machines } = await withDeadline(
          c.discover(),
          this.#o.discoveryDeadlineMs ?? DEFAULT_DISCOVERY_DEADLINE_MS,
          'discovery',
          {
            setting: 'service.discoveryDeadlineSec',
          },
        );
        if (generation !== this.#generation) return;
        if (this.#o.inventory) await this.#o.inventory.save(source, machines);
        this.#status.machines = machines.length;
        this.#status.lastDiscoveryAt = Date.now();
        this.#log.info({ machines: machines.length, templatesSkipped: source.templatesSkipped }, 'inventory discovered');
        this.#ok();
        ok = true;
      } catch (err) {
        if (generation !== this.#generation) return;
        this.#fail('discovery failed', err);
        if (err instanceof DeadlineExceeded) await this.#abandonCollector();
      }
    })();
    await this.#discovering;
    this.#discovering = null;
    return ok;
  }

  #tickPoll(): void {
    if (this.#stopped || !this.#collector) return;
    if (this.#polling) {
      this.#status.skippedPolls++;
      this.#log.warn(
        { skippedPolls: this.#status.skippedPolls },
        'previous poll still running: skipping this one (the next poll catches up)',
      );
      return;
    }
    const c = this.#collector;
    const generation = this.#generation;
    const started = Date.now();
    let samples = 0;
    this.#polling = (async () => {
      try {
        const poll = c.poll((batch) => {
          if (batch.length === 0) return;
          samples += batch.length;
          this.#status.samples += batch.length;
          this.#status.batches++;
          return this.#o.sink(batch);
        });
        const stats = await withDeadline(poll, this.#o.pollDeadlineMs ?? DEFAULT_POLL_DEADLINE_MS, 'poll', {
          setting: 'service.pollDeadlineSec',
        });
        this.#status.polls++;
        this.#status.lastPollAt = Date.now();
        this.#status.lastPollMs = Date.now() - started;
        this.#status.lastPollSamples = samples;
        if (stats.errors.length > 0)
          this.#log.warn({ errors: stats.errors.slice(0, 5), count: stats.errors.length }, 'poll finished with errors');
        this.#log.debug({ samples, requests: stats.requests, ms: this.#status.lastPollMs }, 'poll done');
        this.#ok();
      } catch (err) {
        this.#status.lastPollAt = Date.now();
        this.#fail('poll failed', err);
        if (err instanceof DeadlineExceeded && generation === this.#generation) await this.#abandonCollector();
      } finally {
        this.#polling = null;
      }
    })();
  }

  /**
   * A poll or discovery that outlived its deadline: close the collector (which aborts its connections) without
   * waiting for the stuck work, and build a fresh one on the inventory cadence's retry path. The stuck promise
   * may still settle later; the generation check drops its results.
   */
  async #abandonCollector(): Promise<void> {
    this.#generation++;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    const c = this.#collector;
    this.#collector = null;
    this.#polling = null;
    this.#discovering = null;
    if (c) void settlesWithin(c.close(), this.#o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    if (!this.#stopped) this.#timers.push(setTimeout(() => void this.#begin(), RESTART_AFTER_DEADLINE_MS));
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
    // The fix (e.g. which limit or timeout to raise) goes with it: the log is where an administrator looks first.
    const fix = err instanceof UserError && err.fix ? redactText(err.fix) : undefined;
    if (!this.#failing || this.#status.lastError !== msg) this.#log.error({ err: errorMessage(err), ...(fix ? { fix } : {}) }, what);
    this.#failing = true;
    this.#status.errors++;
    this.#status.lastError = msg;
    if (!this.#stopped) this.#status.state = 'failing';
  }

  async #closeCollector(): Promise<void> {
    const c = this.#collector;
    this.#collector = null;
    if (!c) return;
    const closing = c.close().catch((err: unknown) => this.#log.warn({ err: errorMessage(err) }, 'closing the collector failed'));
    if (!(await settlesWithin(closing, this.#o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS))) {
      this.#log.warn('closing the collector did not finish in time: leaving it');
    }
  }

  /**
   * Stops the cadence, waits (bounded by stopTimeoutMs) for an in-flight poll/discovery, then closes the
   * collector (Logout), again bounded: a source that never answers cannot hold the service's shutdown.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    const inFlight = Promise.allSettled([this.#polling, this.#discovering]);
    if (!(await settlesWithin(inFlight, this.#o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS))) {
      this.#log.warn('a poll or discovery was still running at stop: abandoning it (its samples so far are kept)');
    }
    await this.#closeCollector();
    this.#status.state = 'stopped';
  }
}

/** Staggers sources over the first poll interval so they do not all hit Redis and the far ends at once. */
export function staggerMs(index: number, count: number, spanMs = 10_000): number {
  return count <= 1 ? 0 : Math.round((index * spanMs) / count);
}
