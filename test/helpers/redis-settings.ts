import type { RedisSettings } from '../../queue/redis.js';

/** A single-server Redis setting as the config loader would fill it (the sentinel name is its default, unused without sentinels). */
export function redisSettings(url: string, prefix: string): RedisSettings {
  return { url, prefix, sentinelMasterName: 'mymaster' };
}
