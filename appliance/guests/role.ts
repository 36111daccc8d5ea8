// The guests role of `collector run` (issue 12): guest access, the software poller and the dependency poller.
// A poll never overlaps the previous one of its kind; the role stops within one guest deadline.
import type { Redis } from 'ioredis';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { GuestAccessStore } from '../../queue/guest-access-store.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { SoftwareStore } from '../../queue/software-store.js';
import { DependencyStore } from '../../rollup/dependency-store.js';
import { GuestAccess, type GuestAccessOptions } from './access.js';
import { dependencyTickSec, GuestPollers, softwareEnabled } from './pollers.js';

/** How often the software poller looks for machines that are due (each is read once per intervalHours). */
const SOFTWARE_TICK_MS = 15 * 60_000;

export interface GuestsRoleDeps {
  log: Logger;
  redis: Redis;
  clock?: () => number;
  access?: Partial<Pick<GuestAccessOptions, 'openers' | 'targets' | 'backoff' | 'timeoutMs'>>;
  concurrency?: number;
  deadlineMs?: number;
  /** First software and dependency polls after this delay (default 30 s: the first discovery comes first). */
  startDelayMs?: number;
}

export class GuestsRole {
  readonly name = 'guests';
  readonly access: GuestAccess;
  readonly pollers: GuestPollers;
  readonly software: SoftwareStore;
  readonly dependencies: DependencyStore;
  readonly accessStore: GuestAccessStore;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #running = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(
    private config: CollectorConfig,
    private readonly deps: GuestsRoleDeps,
  ) {
    const log = deps.log.child({ role: 'guests' });
    const prefix = config.redis.prefix;
    this.accessStore = new GuestAccessStore(deps.redis, prefix);
    this.software = new SoftwareStore(deps.redis, prefix);
    this.dependencies = new DependencyStore(deps.redis, prefix);
    this.access = new GuestAccess(config, { log, store: this.accessStore, clock: deps.clock, ...deps.access });
    this.pollers = new GuestPollers(config, {
      log,
      access: this.access,
      inventory: new InventoryStore(deps.redis, prefix),
      software: this.software,
      dependencies: this.dependencies,
      clock: deps.clock,
      concurrency: deps.concurrency,
      deadlineMs: deps.deadlineMs,
    });
  }

  #every(ms: number, delayMs: number, what: string, fn: () => Promise<unknown>): void {
    let busy = false;
    const run = () => {
      if (busy || this.#stopped) return;
      busy = true;
      const p = fn()
        .catch((err) => this.deps.log.error({ err: errorMessage(err) }, `${what} failed`))
        .finally(() => {
          busy = false;
          this.#running.delete(p);
        });
      this.#running.add(p);
    };
    const first = setTimeout(() => {
      run();
      this.#timers.push(setInterval(run, ms));
    }, delayMs);
    this.#timers.push(first);
  }

  async start(): Promise<void> {
    const delay = this.deps.startDelayMs ?? 30_000;
    const depTick = dependencyTickSec(this.config);
    if (depTick !== null) this.#every(depTick * 1000, delay, 'dependency poll', () => this.pollers.pollDependencies());
    if (softwareEnabled(this.config)) this.#every(SOFTWARE_TICK_MS, delay, 'software poll', () => this.pollers.pollSoftware());
    this.deps.log.info(
      { dependencies: depTick !== null ? `every ${depTick} s` : 'off', software: softwareEnabled(this.config) ? 'on' : 'off' },
      'guest pollers started',
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.splice(0)) clearTimeout(t);
    await Promise.allSettled([...this.#running]);
    await this.access.closeAll();
  }
}
