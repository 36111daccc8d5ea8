import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import type { ProducerStats } from '../../queue/sample-producer.js';
import { applianceDataDir, openApplianceSecrets } from '../credential-store.js';
import { startWebApp, type WebApp } from './server.js';
import type { PollCounters } from './status.js';

/** What the web role needs from the collectors role when it runs in the same process. */
export interface CollectorsHandle {
  restartSources(config: CollectorConfig, changed: string[]): Promise<void>;
  pollCounters(source: string): PollCounters | null;
  readonly producer?: { stats(): ProducerStats };
}

export interface WebRoleDeps {
  configFile: string;
  log: Logger;
  redis: Redis;
  collectors?: () => CollectorsHandle | null;
  queues?: () => Queue[];
  uploadBacklog?: () => Promise<number | null>;
  listen?: { host?: string; port?: number };
}

/** The management web app as a service role (start/stop like the others). */
export class WebRole {
  readonly name = 'web';
  app: WebApp | null = null;

  constructor(
    private readonly config: CollectorConfig,
    private readonly deps: WebRoleDeps,
  ) {}

  async start(): Promise<void> {
    const dataDir = applianceDataDir(this.deps.configFile, this.config.web.dataDir);
    const secrets = openApplianceSecrets(this.deps.configFile, this.config.web.dataDir, this.config);
    this.app = await startWebApp({
      configFile: this.deps.configFile,
      config: this.config,
      redis: this.deps.redis,
      log: this.deps.log.child({ role: 'web' }),
      secrets,
      dataDir,
      queues: this.deps.queues,
      pollCounters: (name) => this.deps.collectors?.()?.pollCounters(name) ?? null,
      producerStats: () => this.deps.collectors?.()?.producer?.stats() ?? null,
      uploadBacklog: this.deps.uploadBacklog ?? (this.config.sink.enabled ? () => this.#outboxBacklog() : undefined),
      onSourcesChanged: async (config, changed) => {
        await this.deps.collectors?.()?.restartSources(config, changed);
      },
      listen: this.deps.listen,
    });
    this.deps.log.info({ url: this.app.url, thumbprint: this.app.thumbprint }, `web app listening on ${this.app.url}`);
  }

  #outbox: Queue | null = null;
  /** Batches not yet accepted by the ingestion endpoint: pending, retrying, and parked as failed. */
  async #outboxBacklog(): Promise<number | null> {
    const { Queue } = await import('bullmq');
    const { OUTBOX_QUEUE } = await import('../../assessment/sink/outbox.js');
    this.#outbox ??= new Queue(OUTBOX_QUEUE, { connection: this.deps.redis, prefix: this.config.redis.prefix });
    const c = await this.#outbox.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'failed');
    return Object.values(c).reduce((n, v) => n + (v ?? 0), 0);
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = null;
    await this.#outbox?.close();
    this.#outbox = null;
  }
}
