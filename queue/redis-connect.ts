// Opens Redis for a command and fails fast with a fix when it is not reachable, instead of letting
// ioredis and BullMQ retry (and print) forever.
import type { Redis } from 'ioredis';
import { UserError } from '../common/errors.js';
import type { CollectorConfig } from '../config/load.js';
import { createRedis } from './redis.js';

export async function connectRedis(
  config: Pick<CollectorConfig, 'redis'>,
  opts: { name: string; forWorker?: boolean; timeoutMs?: number },
): Promise<Redis> {
  const redis = createRedis(config.redis, { name: opts.name, forWorker: opts.forWorker, lazy: true });
  let lastError: Error | undefined;
  // ioredis emits "error" on every failed attempt; remembered here, reported once below.
  redis.on('error', (err: Error) => (lastError = err));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise(
        (_, reject) => (timer = setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)),
      ),
    ]);
  } catch (err) {
    redis.disconnect();
    const e = (lastError ?? err) as NodeJS.ErrnoException;
    throw new UserError(`cannot reach Redis at ${config.redis.url.replace(/\/\/[^@/]*@/, '//')} (${e.code ?? e.message}).`, {
      fix: "Start Redis (systemctl start redis-server, or collector run starts the appliance's own), or correct redis.url in the config.",
      code: 'REDIS_UNREACHABLE',
    });
  } finally {
    clearTimeout(timer);
  }
  return redis;
}
