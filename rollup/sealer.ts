import type { Redis } from 'ioredis';
import { keyOf } from '../queue/redis.js';
import { SEAL_DAY_LUA } from './lua/seal-day.js';
import { PointStore, pointKey, scriptCommand } from './point-store.js';
import { DAY_MS } from './window.js';

/**
 * Seals finished days to save memory: a day-string whose day ended more than `sealAfterMs` ago is
 * rewritten from 8 to 5 bytes per window (peak + sample count instead of peak + sub-slot bitmap).
 * Peaks stay exact and idempotent for samples arriving later; counts become a lower bound then, so
 * `sealAfterMs` must exceed any expected lateness (the vCenter backfill is one hour; default 6 hours).
 * A watermark (<prefix>:sealed-through = last sealed day) keeps each run to the new days; a lock lets one
 * worker of many do it.
 */
const COMMAND = 'collectorSealDay';
type SealFn = (numKeys: number, ...keys: string[]) => Promise<number>;

export function sealWatermarkKey(prefix: string): string {
  return keyOf(prefix, 'sealed-through');
}

export async function sealFinishedDays(
  redis: Redis,
  prefix: string,
  opts: { sealAfterMs: number; retentionDays: number; now?: number; machinesPerCall?: number },
): Promise<{ days: number[]; keys: number }> {
  const now = opts.now ?? Date.now();
  const lastSealable = Math.floor((now - opts.sealAfterMs) / DAY_MS) - 1; // its end (day + 1) is sealAfter ago
  const mark = await redis.get(sealWatermarkKey(prefix));
  const firstDay = mark === null ? Math.floor(now / DAY_MS) - opts.retentionDays - 1 : Number(mark) + 1;
  if (lastSealable < firstDay) return { days: [], keys: 0 };
  if (!(redis as unknown as Record<string, unknown>)[COMMAND]) redis.defineCommand(COMMAND, { lua: SEAL_DAY_LUA });
  const store = new PointStore(redis, prefix);
  const machines = await store.machines(firstDay * DAY_MS);
  const days: number[] = [];
  let keys = 0;
  const seriesCache = new Map<string, Awaited<ReturnType<PointStore['seriesOf']>>>();
  for (let day = firstDay; day <= lastSealable; day++) {
    for (let i = 0; i < machines.length; i += opts.machinesPerCall ?? 100) {
      const pipe = redis.pipeline();
      const seal = scriptCommand<SealFn>(pipe, COMMAND);
      for (const m of machines.slice(i, i + (opts.machinesPerCall ?? 100))) {
        let series = seriesCache.get(m);
        if (!series) {
          series = await store.seriesOf(m);
          seriesCache.set(m, series);
        }
        if (series.length > 0) {
          const k = series.map((s) => pointKey(prefix, s, day));
          void seal(k.length, ...k);
        }
      }
      for (const [err, n] of (await pipe.exec()) ?? []) {
        if (err) throw err;
        keys += Number(n);
      }
    }
    await redis.set(sealWatermarkKey(prefix), String(day));
    days.push(day);
  }
  return { days, keys };
}

/** Runs sealFinishedDays under a Redis lock so that one worker of many does it at a time. */
export async function sealWithLock(
  redis: Redis,
  prefix: string,
  opts: { sealAfterMs: number; retentionDays: number; lockMs?: number; now?: number },
): Promise<{ days: number[]; keys: number } | null> {
  const lock = keyOf(prefix, 'sealer-lock');
  const token = `${process.pid}-${Math.random()}`;
  if ((await redis.set(lock, token, 'PX', opts.lockMs ?? 30 * 60_000, 'NX')) !== 'OK') return null;
  try {
    return await sealFinishedDays(redis, prefix, opts);
  } finally {
    if ((await redis.get(lock)) === token) await redis.del(lock);
  }
}
