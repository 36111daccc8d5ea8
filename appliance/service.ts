import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createCollector } from './collector-factory.js';
import { SourceScheduler, staggerMs } from './scheduler.js';
import type { PollCounters, SourceStatus } from '../model/index.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { CollectorConfig } from '../config/load.js';
import { InventoryStore } from '../queue/inventory-store.js';
import { Quarantine } from '../queue/quarantine.js';
import { createRedis } from '../queue/redis.js';
import { SampleProducer, type ProducerStats } from '../queue/sample-producer.js';
import { createSamplesQueue, queueStatus, type QueueStatus } from '../queue/samples-queue.js';
import { RollupWorker, type WorkerStats } from '../rollup/worker.js';
import { openSampleSpool } from './sample-spool.js';
import { openApplianceSecrets } from './credential-store.js';
import { WebRole } from './web/role.js';
import { GuestsRole } from './guests/role.js';
import { dependencyTickSec, softwareEnabled } from './guests/pollers.js';

/**
 * `collector run` is a small composition of roles, each with start() and stop(). Roles start in the
 * order they were added and stop in the same order: the intake (collectors) stops first, then the
 * workers drain what is in flight. Another role (the web app, the Azure sink) is one more add().
 */
export interface Role {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Collectors on their cadence feeding the samples queue through the bounded buffer. */
export class CollectorsRole implements Role {
  readonly name = 'collectors';
  readonly queue: Queue;
  readonly producer: SampleProducer;
  readonly #connection: Redis;
  readonly #inventory: InventoryStore;
  readonly #schedulers = new Map<string, SourceScheduler>();
  #config: CollectorConfig;
  readonly #log: Logger;
  readonly #create: typeof createCollector;
  readonly #staggerSpanMs: number;

  constructor(
    config: CollectorConfig,
    deps: { log: Logger; redis: Redis; create?: typeof createCollector; staggerSpanMs?: number; configFile?: string },
  ) {
    this.#config = config;
    this.#log = deps.log;
    this.#create = deps.create ?? createCollector;
    this.#staggerSpanMs = deps.staggerSpanMs ?? 10_000;
    const { queue, connection } = createSamplesQueue(config);
    connection.on('error', () => {}); // the producer logs Redis state changes once
    this.queue = queue;
    this.#connection = connection;
    this.producer = new SampleProducer(queue, {
      maxBufferedSamples: config.rollup.bufferMaxSamples,
      log: deps.log,
      validation: {
        retentionDays: config.rollup.retentionDays,
        quarantine: new Quarantine(deps.redis, config.redis.prefix, { log: deps.log }),
      },
      spool: openSampleSpool(config, deps.configFile, deps.log),
    });
    this.#inventory = new InventoryStore(deps.redis, config.redis.prefix);
  }

  async start(): Promise<void> {
    const sources = this.#config.sources.filter((s) => s.enabled);
    for (const [i, s] of sources.entries()) this.#startSource(s.name, staggerMs(i, sources.length, this.#staggerSpanMs));
    this.#log.info(
      { sources: sources.map((s) => s.name) },
      sources.length ? 'collectors started' : 'no enabled sources: nothing to collect',
    );
  }

  #startSource(name: string, delayMs: number): void {
    const cfg = this.#config.sources.find((s) => s.name === name);
    if (!cfg?.enabled) return;
    const sched = new SourceScheduler({
      name,
      create: () => this.#create(cfg, { log: this.#log.child({ source: name }) }),
      inventory: this.#inventory,
      // Resolves once Redis has the batch (while Redis is away: once it is fsync'd in the spool, or at once into the memory buffer without one).
      sink: (batch) => this.producer.push(batch, name),
      pollIntervalMs: cfg.pollIntervalSec * 1000,
      inventoryIntervalMs: cfg.inventoryIntervalSec * 1000,
      startDelayMs: delayMs,
      pollDeadlineMs: this.#config.service.pollDeadlineSec * 1000,
      discoveryDeadlineMs: this.#config.service.discoveryDeadlineSec * 1000,
      // Half the service's stop budget: the rest is for the queue, the workers and the web app.
      stopTimeoutMs: (this.#config.service.stopTimeoutSec * 1000) / 2,
      log: this.#log,
    });
    this.#schedulers.set(name, sched);
    sched.start();
  }

  /** Restarts the named sources' schedulers with a new config (the web app calls this after an edit). */
  async restartSources(config: CollectorConfig, changed: string[]): Promise<void> {
    this.#config = config;
    for (const name of changed) {
      const old = this.#schedulers.get(name);
      this.#schedulers.delete(name);
      if (old) await old.stop();
      this.#startSource(name, 0);
    }
  }

  statuses(): SourceStatus[] {
    return [...this.#schedulers.values()].map((s) => s.status());
  }

  pollCounters(source: string): PollCounters | null {
    const s = this.#schedulers.get(source)?.status();
    if (!s) return null;
    return {
      lastPollAt: s.lastPollAt,
      lastSuccessAt: s.lastSuccessAt,
      polls: s.polls,
      samples: s.samples,
      errors: s.errors,
      lastError: s.lastError,
    };
  }

  /** Stop polling (in-flight polls finish and are enqueued), close collectors (Logout), deliver the buffer. */
  async stop(): Promise<void> {
    await Promise.all([...this.#schedulers.values()].map((s) => s.stop()));
    await this.producer.close(15_000);
    await this.queue.close();
    this.#connection.disconnect();
  }
}

/** Rollup workers consuming the samples queue. */
export class WorkersRole implements Role {
  readonly name = 'workers';
  worker: RollupWorker | null = null;
  constructor(
    private readonly config: CollectorConfig,
    private readonly deps: { log: Logger; concurrency?: number },
  ) {}

  async start(): Promise<void> {
    this.worker = new RollupWorker(this.config, { log: this.deps.log, concurrency: this.deps.concurrency });
    this.deps.log.info({ concurrency: this.deps.concurrency ?? this.config.rollup.workerConcurrency }, 'rollup workers started');
  }

  /** Stops taking jobs and lets the jobs in flight finish. */
  async stop(): Promise<void> {
    await this.worker?.close();
  }
}

/** D's Azure sink (assessment/sink/scheduled-upload.ts) as a role: periodic assessment into the outbox, and its sender. */
export class SinkRole implements Role {
  readonly name = 'sink';
  #sink: { close(): Promise<void> } | null = null;
  constructor(
    private readonly config: CollectorConfig,
    private readonly log: Logger,
  ) {}
  async start(): Promise<void> {
    const { startAzureSink } = await import('../assessment/sink/scheduled-upload.js');
    this.#sink = startAzureSink(this.config, this.log.child({ role: 'sink' }));
  }
  async stop(): Promise<void> {
    await this.#sink?.close();
    this.#sink = null;
  }
}

export interface ServiceOptions {
  collect?: boolean;
  rollup?: boolean;
  /** The config file: opens the appliance key for { encrypted } passwords, and the web app writes it back. */
  configFile?: string;
  /** Run the web app (management UI, /healthz, /readyz, /metrics) on web.port; needs configFile. */
  web?: boolean;
  /** Run the Azure sink (periodic assessment into the outbox and its sender) when sink.enabled. */
  sink?: boolean;
  concurrency?: number;
  /** Run the guest pollers (software, dependencies) when enabled in the config; default true with collect. */
  guests?: boolean;
  /** Tests inject synthetic collectors. */
  createCollector?: typeof createCollector;
  staggerSpanMs?: number;
}

export class ApplianceService {
  readonly roles: Role[] = [];
  /** A general-purpose connection (inventory, status reads) shared by the roles. */
  readonly redis: Redis;
  collectors: CollectorsRole | null = null;
  workers: WorkersRole | null = null;
  web: WebRole | null = null;
  guests: GuestsRole | null = null;
  #started: Role[] = [];

  constructor(
    readonly config: CollectorConfig,
    readonly log: Logger,
  ) {
    this.redis = createRedis(config.redis, { name: 'collector-service' });
    this.redis.on('error', () => {});
  }

  add(role: Role): this {
    this.roles.push(role);
    return this;
  }

  async start(): Promise<void> {
    for (const r of this.roles) {
      await r.start();
      this.#started.push(r);
    }
  }

  /** Stops every started role in order, logging (not throwing) a role that fails to stop. */
  async stop(): Promise<void> {
    for (const r of this.#started.splice(0)) {
      try {
        await r.stop();
      } catch (err) {
        this.log.error({ role: r.name, err: errorMessage(err) }, 'role failed to stop cleanly');
      }
    }
    this.redis.disconnect();
  }

  queues(): Queue[] {
    return this.collectors ? [this.collectors.queue] : [];
  }

  async status(): Promise<{
    sources: SourceStatus[];
    queue: QueueStatus | null;
    producer: ProducerStats | null;
    worker: WorkerStats | null;
  }> {
    let queue: QueueStatus | null = null;
    const q = this.collectors?.queue;
    if (q) queue = await queueStatus(q).catch(() => null);
    return {
      sources: this.collectors?.statuses() ?? [],
      queue,
      producer: this.collectors?.producer.stats() ?? null,
      worker: this.workers?.worker ? { ...this.workers.worker.stats } : null,
    };
  }
}

/** Builds the service for `collector run` / `collector worker`: collectors and/or workers. */
export function buildService(config: CollectorConfig, log: Logger, opts: ServiceOptions = {}): ApplianceService {
  const svc = new ApplianceService(config, log);
  // Before any collector starts: passwords typed into the web app are { encrypted } with the appliance key.
  if (opts.configFile) openApplianceSecrets(opts.configFile, config.web.dataDir, config);
  if (opts.collect ?? true) {
    svc.collectors = new CollectorsRole(config, {
      log,
      redis: svc.redis,
      create: opts.createCollector,
      staggerSpanMs: opts.staggerSpanMs,
      configFile: opts.configFile,
    });
    svc.add(svc.collectors);
  }
  // Inside the guests (issue 12): software inventory and connection snapshots, when enabled globally or per source.
  if ((opts.collect ?? true) && (opts.guests ?? true) && (dependencyTickSec(config) !== null || softwareEnabled(config))) {
    svc.guests = new GuestsRole(config, { log, redis: svc.redis });
    svc.add(svc.guests);
  }
  if (opts.rollup ?? true) {
    svc.workers = new WorkersRole(config, { log, concurrency: opts.concurrency });
    svc.add(svc.workers);
  }
  if (opts.sink && config.sink.enabled) svc.add(new SinkRole(config, log));
  // Last to start, last to stop: health and metrics stay up while the other roles drain.
  if (opts.web && opts.configFile) {
    svc.web = new WebRole(config, {
      configFile: opts.configFile,
      log,
      redis: svc.redis,
      collectors: () => svc.collectors,
      queues: () => svc.queues(),
    });
    svc.add(svc.web);
  }
  return svc;
}

/**
 * Runs until SIGTERM or SIGINT: then stops polling, drains in-flight jobs, closes the collectors
 * (Logout) and returns. A second signal exits at once.
 */
export async function runUntilSignal(svc: ApplianceService, opts: { onStarted?: () => void; onStopping?: () => void } = {}): Promise<void> {
  await svc.start();
  opts.onStarted?.();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) {
        svc.log.warn({ signal: sig }, 'second signal: exiting without draining');
        process.exit(1);
      }
      stopping = true;
      svc.log.info({ signal: sig }, 'stopping: finishing polls and in-flight rollup jobs');
      opts.onStopping?.();
      // The drain is bounded: whatever a source or Redis does, the process is gone shortly after stopTimeoutSec.
      const budgetMs = svc.config.service.stopTimeoutSec * 1000 + 5_000;
      setTimeout(() => {
        svc.log.error(
          { budgetSec: budgetMs / 1000 },
          'stop did not finish in time: exiting (unsent samples are in the spool or the queue)',
        );
        process.exit(1);
      }, budgetMs).unref();
      svc.stop().then(resolve, (err) => {
        svc.log.error({ err: errorMessage(err) }, 'stop failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
