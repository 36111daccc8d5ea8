import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '../common/errors.js';
import type { CollectorConfig } from '../config/load.js';
import { resolveSecret } from '../config/secret-refs.js';

export type RedisSettings = CollectorConfig['redis'];

export interface CreateRedisOptions {
  /** BullMQ Workers need maxRetriesPerRequest: null (commands wait for the connection instead of failing). */
  forWorker?: boolean;
  lazy?: boolean;
  name?: string;
  /**
   * false: commands fail at once while disconnected instead of queueing in memory. Producers use
   * it so that their own bounded buffer, not an unbounded ioredis queue, holds samples while Redis is away.
   */
  offlineQueue?: boolean;
}

/**
 * The one way this product opens Redis: a single server from `url`, or a master found through
 * Redis Sentinel (`sentinels`). Connection errors are left to the caller to log once per state
 * change (ioredis reconnects on its own).
 */
export function createRedis(settings: RedisSettings, opts: CreateRedisOptions = {}): Redis {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw new UserError(`redis.url: ${settings.url} is not a URL.`, { fix: 'Use redis://host:port/db, e.g. redis://127.0.0.1:6379/0' });
  }
  const options: RedisOptions = {
    lazyConnect: opts.lazy ?? false,
    connectionName: opts.name,
    maxRetriesPerRequest: opts.forWorker ? null : 3,
    enableReadyCheck: true,
    enableOfflineQueue: opts.offlineQueue ?? true,
    retryStrategy: (times) => Math.min(200 * times, 5_000),
  };
  if (settings.password) options.password = resolveSecret(settings.password, 'redis.password').reveal();
  if (settings.sentinels) {
    const db = Number(url.pathname.replace(/^\//, '') || '0');
    return new Redis({
      ...options,
      sentinels: settings.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: settings.sentinelMasterName,
      db: Number.isInteger(db) ? db : 0,
      sentinelPassword: settings.sentinelPassword ? resolveSecret(settings.sentinelPassword, 'redis.sentinelPassword').reveal() : undefined,
      ...(url.protocol === 'rediss:' ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  }
  return new Redis(url.toString(), options);
}

/** All keys start with the configured prefix so several installs (and tests) can share one Redis. */
export function keyOf(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}
