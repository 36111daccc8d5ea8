import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Sample } from '../../model/index.js';

/** A Redis connection on one of this area's test databases, with a unique key prefix and a cleanup. */
export function testRedis(db: 1 | 2 | 3): { redis: Redis; prefix: string; url: string; cleanup: () => Promise<void> } {
  const url = `redis://127.0.0.1:6379/${db}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  const prefix = `t-${randomUUID()}`;
  return {
    redis,
    prefix,
    url,
    cleanup: async () => {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** The plain reference: per (machine, metric, instance, window) the max value and the distinct timestamps. */
export function referencePoints(samples: Sample[]): Map<string, { peak: number; count: number }> {
  const acc = new Map<string, { peak: number; ts: Set<number> }>();
  for (const s of samples) {
    const ws = Math.floor(s.ts / 600_000) * 600_000;
    const k = `${s.machine}|${s.metric}|${s.instance}|${ws}`;
    const cur = acc.get(k);
    if (!cur) acc.set(k, { peak: s.value, ts: new Set([s.ts]) });
    else {
      cur.peak = Math.max(cur.peak, s.value);
      cur.ts.add(s.ts);
    }
  }
  const out = new Map<string, { peak: number; count: number }>();
  for (const [k, v] of acc) out.set(k, { peak: Math.fround(v.peak), count: v.ts.size });
  return out;
}
