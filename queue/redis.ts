import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '../common/errors.js';
import type { CollectorConfig } from '../config/load.js';

export type RedisSettings = CollectorConfig['redis'];

/**
 * The one way this product opens Redis. BullMQ needs maxRetriesPerRequest: null on connections
 * used by Workers; `forWorker` sets it. Connection errors are left to the caller to log once
 * per state change (ioredis reconnects on its own).
 */
export function createRedis(settings: RedisSettings, opts: { forWorker?: boolean; lazy?: boolean; name?: string } = {}): Redis {
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
    retryStrategy: (times) => Math.min(200 * times, 5_000),
  };
  return new Redis(url.toString(), options);
}

/** All keys start with the configured prefix so several installs (and tests) can share one Redis. */
export function keyOf(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}
