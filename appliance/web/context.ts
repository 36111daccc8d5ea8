import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import type { InventoryStore } from '../../queue/inventory-store.js';
import type { ProducerStats } from '../../queue/sample-producer.js';
import type { ConfigStore } from '../config-store.js';
import type { SecretStore } from '../credential-store.js';
import type { AdminAccount } from './admin-account.js';
import type { LoginLimiter } from './login-limiter.js';
import type { MetricsRegistry } from './metrics.js';
import type { SessionStore } from './sessions.js';
import type { PollCounters } from './status.js';

/** What the service hands the web app; everything optional is a role that may not run in this process. */
export interface WebAppOptions {
  /** The YAML file: the source of truth the web app writes back to. */
  configFile: string;
  config: CollectorConfig;
  redis: Redis;
  log: Logger;
  secrets: SecretStore;
  /** Absolute data directory (key file, certificate, admin password hash). */
  dataDir: string;
  queues?: () => Queue[];
  pollCounters?: (source: string) => Promise<PollCounters | null> | PollCounters | null;
  uploadBacklog?: () => Promise<number | null>;
  /** The collecting producer's counters (spool, refusals) when the collectors run in this process. */
  producerStats?: () => ProducerStats | null;
  /** Called after the sources changed on disk, so the service restarts those sources' schedulers. */
  onSourcesChanged?: (config: CollectorConfig, changed: string[]) => Promise<void>;
  /** Overrides web.host/web.port (tests use port 0). */
  listen?: { host?: string; port?: number };
}

/** Shared by every route module. */
export interface WebContext extends WebAppOptions {
  current: () => CollectorConfig;
  setCurrent: (c: CollectorConfig) => void;
  configStore: ConfigStore;
  inventory: InventoryStore;
  sessions: SessionStore;
  admin: AdminAccount;
  limiter: LoginLimiter;
  metrics: MetricsRegistry;
  prefix: string;
}
