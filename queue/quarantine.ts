import type { Redis } from 'ioredis';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { InvalidReason, RejectedSample } from '../model/sample-validation.js';
import { keyOf } from './redis.js';

/**
 * Invalid samples, kept for inspection and counted, never in the way of valid ones. Redis layout:
 *   <prefix>:quarantine         stream, capped (XADD MAXLEN ~): source, reason, detail, sample (JSON, truncated)
 *   <prefix>:quarantine:counts  hash "<source>\t<reason>" -> samples refused since the install (all processes)
 * Writes are fire-and-forget: while Redis is away the counts wait in memory and the examples are skipped.
 */
export const QUARANTINE_MAX_ENTRIES = 10_000;
const MAX_SAMPLE_CHARS = 2_048;
const MAX_SOURCE_CHARS = 100;
/** An episode of one source and reason ends after this long without a refusal; the next one is logged again. */
const EPISODE_QUIET_MS = 10 * 60_000;

export function quarantineKey(prefix: string): string {
  return keyOf(prefix, 'quarantine');
}
export function quarantineCountsKey(prefix: string): string {
  return keyOf(prefix, 'quarantine', 'counts');
}

export interface QuarantineCount {
  source: string;
  reason: string;
  samples: number;
}

export class Quarantine {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #maxEntries: number;
  /** This process's refusals per "source\treason". */
  readonly counts = new Map<string, number>();
  readonly #unsynced = new Map<string, number>();
  readonly #lastSeen = new Map<string, number>();
  #writing: Promise<void> = Promise.resolve();

  constructor(redis: Redis, prefix: string, opts: { log: Logger; maxEntries?: number }) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#log = opts.log;
    this.#maxEntries = opts.maxEntries ?? QUARANTINE_MAX_ENTRIES;
  }

  /** Counts, logs (once per episode) and stores the refused samples; returns at once and never throws. */
  record(source: string, rejected: readonly RejectedSample[], now = Date.now()): void {
    if (rejected.length === 0) return;
    const src = source.slice(0, MAX_SOURCE_CHARS);
    const byReason = new Map<InvalidReason, RejectedSample[]>();
    for (const r of rejected) {
      const list = byReason.get(r.reason);
      if (list) list.push(r);
      else byReason.set(r.reason, [r]);
    }
    for (const [reason, list] of byReason) {
      const k = `${src}\t${reason}`;
      this.counts.set(k, (this.counts.get(k) ?? 0) + list.length);
      this.#unsynced.set(k, (this.#unsynced.get(k) ?? 0) + list.length);
      const last = this.#lastSeen.get(k);
      this.#lastSeen.set(k, now);
      const first = list[0]; // never undefined: a list is created with its first sample
      if (first && (last === undefined || now - last > EPISODE_QUIET_MS)) {
        this.#log.warn(
          { source: src, reason, detail: first.detail, example: preview(first.sample, 200), samples: list.length },
          `invalid samples from ${src} quarantined (${reason}); logged once until it stops for 10 minutes`,
        );
      }
    }
    const entries = rejected.slice(0, 1000); // an example set is enough; the counts are exact
    this.#writing = this.#writing.then(() => this.#write(src, entries));
  }

  /** Resolves when the writes started so far have finished (or failed). */
  settled(): Promise<void> {
    return this.#writing;
  }

  async #write(source: string, entries: readonly RejectedSample[]): Promise<void> {
    const counts = [...this.#unsynced];
    this.#unsynced.clear();
    const pipe = this.#redis.pipeline();
    for (const [k, n] of counts) pipe.hincrby(quarantineCountsKey(this.#prefix), k, n);
    for (const e of entries) {
      pipe.xadd(
        quarantineKey(this.#prefix),
        'MAXLEN',
        '~',
        this.#maxEntries,
        '*',
        'source',
        source,
        'reason',
        e.reason,
        'detail',
        e.detail,
        'sample',
        preview(e.sample, MAX_SAMPLE_CHARS),
      );
    }
    try {
      const res = (await pipe.exec()) ?? [];
      const failed = res.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (err) {
      // Put the counts back for the next write; the examples of this batch are not kept.
      for (const [k, n] of counts) this.#unsynced.set(k, (this.#unsynced.get(k) ?? 0) + n);
      this.#log.debug({ err: errorMessage(err) }, 'quarantine: Redis write failed; counts kept for the next write');
    }
  }
}

/** The refusals counted in Redis by every process (producers, ingest, workers), for /metrics and Health. */
export async function quarantineCounts(redis: Redis, prefix: string): Promise<QuarantineCount[]> {
  const h = await redis.hgetall(quarantineCountsKey(prefix));
  return Object.entries(h).map(([k, v]) => {
    const tab = k.indexOf('\t');
    return { source: k.slice(0, tab), reason: k.slice(tab + 1), samples: Number(v) };
  });
}

/** The newest quarantined samples, newest first. */
export async function readQuarantine(
  redis: Redis,
  prefix: string,
  count = 100,
): Promise<{ id: string; source: string; reason: string; detail: string; sample: string }[]> {
  const res = await redis.xrevrange(quarantineKey(prefix), '+', '-', 'COUNT', count);
  return res.map(([id, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const [name, value] = [fields[i], fields[i + 1]];
      if (name !== undefined && value !== undefined) f[name] = value; // always both: i + 1 < length
    }
    return { id, source: f.source ?? '', reason: f.reason ?? '', detail: f.detail ?? '', sample: f.sample ?? '' };
  });
}

/** JSON of a refused value, cut to max characters (a 10 MB machine id must not become a 10 MB stream entry). */
function preview(v: unknown, max: number): string {
  let s: string;
  try {
    s =
      JSON.stringify(v, (_k, x) =>
        typeof x === 'string' && x.length > max
          ? `${x.slice(0, max)}...(${x.length} chars)`
          : typeof x === 'number' && !Number.isFinite(x)
            ? String(x)
            : x,
      ) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
