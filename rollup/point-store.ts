import type { Redis } from 'ioredis';
import { isMetricName } from '../model/index.js';
import type { SeriesBatch } from '../queue/codec.js';
import { keyOf } from '../queue/redis.js';
import { aggregate } from './aggregate.js';
import { MERGE_POINTS_LUA } from './lua/merge-points.js';
import { METRIC_CODES, type SeriesId } from './series.js';
import {
  DAY_BYTES,
  DAY_MS,
  SEALED_COUNTS_OFFSET,
  SEALED_DAY_BYTES,
  SLOT_BYTES,
  WINDOWS_PER_DAY,
  WINDOW_MS,
  dayExpiryMs,
  popcount32,
} from './window.js';

/**
 * Redis layout (docs/pipeline.md):
 *   <prefix>:p:{<machine>}:<metric code>:<instance>:<UTC day>  string, 144 x 8 bytes, EXPIREAT day end + retention
 *   <prefix>:s:{<machine>}                                    set of "metric\tinstance" (series with points)
 *   <prefix>:machines                                          zset machine -> latest expiry (ms) of its points
 * The {machine} hash tag keeps one machine's keys in one Cluster slot, so one script call can touch them all.
 */

/** A 10-minute point as read back: the window's start, its peak and how many distinct timestamps it holds. */
export interface Point {
  windowStart: number;
  peak: number;
  samples: number;
}

const ZERO_DAY = Buffer.alloc(DAY_BYTES);
const UPDATE_BYTES = 11; // '<HBfI4'
const COMMAND = 'collectorMergePoints';

type MergeFn = (numKeys: number, ...args: (string | Buffer | number)[]) => Promise<number>;

/** A Lua command added with defineCommand, bound to a pipeline; missing means it was never defined on that connection. */
export function scriptCommand<F extends (...args: never[]) => unknown>(pipe: object, name: string): F {
  const fn = (pipe as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`${name}: the script command is not defined on this connection`);
  return fn.bind(pipe) as F;
}

export function pointKey(prefix: string, s: SeriesId, day: number): string {
  return keyOf(prefix, 'p', `{${s.machine}}`, METRIC_CODES[s.metric], s.instance, String(day));
}
export function seriesIndexKey(prefix: string, machine: string): string {
  return keyOf(prefix, 's', `{${machine}}`);
}
export function machinesKey(prefix: string): string {
  return keyOf(prefix, 'machines');
}

/** Decodes a day-string's (open or sealed) non-empty windows within [from, to) into points. */
export function decodeDay(buf: Buffer | null, day: number, from = -Infinity, to = Infinity, out: Point[] = []): Point[] {
  if (!buf) return out;
  const base = day * DAY_MS;
  const sealed = buf.length === SEALED_DAY_BYTES;
  const n = sealed ? WINDOWS_PER_DAY : Math.min(WINDOWS_PER_DAY, Math.floor(buf.length / SLOT_BYTES));
  for (let i = 0; i < n; i++) {
    const samples = sealed ? buf.readUInt8(SEALED_COUNTS_OFFSET + i) : popcount32(buf.readUInt32LE(i * SLOT_BYTES + 4));
    if (samples === 0) continue;
    const ws = base + i * WINDOW_MS;
    if (ws < from || ws >= to) continue;
    out.push({ windowStart: ws, peak: buf.readFloatLE(sealed ? i * 4 : i * SLOT_BYTES), samples });
  }
  return out;
}

// The percentile hot path decodes through typed-array views of an aligned copy (a memcpy) instead of
// Buffer.readFloatLE per slot: several times faster. Typed arrays use the platform's byte order, so this
// is only taken on little-endian platforms (all Node targets in practice); others use the Buffer readers.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const ALIGNED = new ArrayBuffer(DAY_BYTES);
const ALIGNED_U8 = new Uint8Array(ALIGNED);
const ALIGNED_U32 = new Uint32Array(ALIGNED);
const ALIGNED_F32 = new Float32Array(ALIGNED);

/**
 * Writes the peaks of a day-string's non-empty windows within [from, to) into out[at...] and returns
 * the new fill position (no allocation per point).
 */
export function collectPeaks(
  buf: Buffer | null,
  day: number,
  from: number,
  to: number,
  out: Float32Array | number[],
  at = out.length,
): number {
  if (!buf) return at;
  const base = day * DAY_MS;
  const first = Math.max(0, Math.ceil((from - base) / WINDOW_MS));
  const last = Math.min(WINDOWS_PER_DAY, Math.floor(buf.length / SLOT_BYTES), Math.ceil((to - base) / WINDOW_MS));
  if (LITTLE_ENDIAN && buf.length === DAY_BYTES) {
    ALIGNED_U8.set(buf);
    // i < WINDOWS_PER_DAY keeps every index inside the views, so the ?? 0 never applies.
    for (let i = first; i < last; i++) if (ALIGNED_U32[2 * i + 1] !== 0) out[at++] = ALIGNED_F32[2 * i] ?? 0;
    return at;
  }
  if (buf.length === SEALED_DAY_BYTES) {
    const lastSealed = Math.min(WINDOWS_PER_DAY, Math.ceil((to - base) / WINDOW_MS));
    if (LITTLE_ENDIAN) {
      ALIGNED_U8.set(buf);
      for (let i = first; i < lastSealed; i++) if (ALIGNED_U8[SEALED_COUNTS_OFFSET + i] !== 0) out[at++] = ALIGNED_F32[i] ?? 0;
      return at;
    }
    for (let i = first; i < lastSealed; i++) if (buf[SEALED_COUNTS_OFFSET + i] !== 0) out[at++] = buf.readFloatLE(i * 4);
    return at;
  }
  for (let i = first; i < last; i++) {
    if (buf.readUInt32LE(i * SLOT_BYTES + 4) !== 0) out[at++] = buf.readFloatLE(i * SLOT_BYTES);
  }
  return at;
}

export class PointStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly opts: { retentionDays: number } = { retentionDays: 31 },
  ) {
    if (!(redis as unknown as Record<string, unknown>)[COMMAND]) redis.defineCommand(COMMAND, { lua: MERGE_POINTS_LUA });
  }

  /** Merges sample groups into the day-strings: one script call per machine, all in one pipeline. */
  async apply(groups: SeriesBatch[], now = Date.now()): Promise<{ samples: number; skipped: number; changed: number }> {
    // Days already past their retention would expire at once: skip them (counted as skipped).
    const minTs = (Math.floor(now / DAY_MS) - this.opts.retentionDays) * DAY_MS;
    const agg = aggregate(groups, { minTs });
    if (agg.byMachine.size === 0) return { samples: agg.samples, skipped: agg.skipped, changed: 0 };
    const pipe = this.redis.pipeline();
    const merge = scriptCommand<MergeFn>(pipe, COMMAND);
    for (const [machine, updates] of agg.byMachine) {
      let nUpdates = 0;
      for (const u of updates) nUpdates += u.slots.length;
      const packed = Buffer.allocUnsafe(nUpdates * UPDATE_BYTES);
      const exps = Buffer.allocUnsafe(updates.length * 4);
      const keys: string[] = [seriesIndexKey(this.prefix, machine)];
      const members: string[] = [];
      let off = 0;
      let maxExp = 0;
      updates.forEach((u, k) => {
        keys.push(pointKey(this.prefix, u.series, u.day));
        members.push(`${u.series.metric}\t${u.series.instance}`);
        const exp = dayExpiryMs(u.day, this.opts.retentionDays);
        if (exp > maxExp) maxExp = exp;
        exps.writeUInt32LE(exp / 1000, k * 4);
        for (let j = 0; j < u.slots.length; j++) {
          const slot = u.slots[j];
          const peak = u.peaks[j];
          const bits = u.bits[j];
          if (slot === undefined || peak === undefined || bits === undefined)
            throw new Error('day update: slots, peaks and bits differ in length');
          packed.writeUInt16LE(k, off);
          packed.writeUInt8(slot, off + 2);
          packed.writeFloatLE(peak, off + 3);
          packed.writeUInt32LE(bits, off + 7);
          off += UPDATE_BYTES;
        }
      });
      pipe.zadd(machinesKey(this.prefix), 'GT', maxExp, machine);
      void merge(keys.length, ...keys, packed, exps, ZERO_DAY, ...members);
    }
    const results = (await pipe.exec()) ?? [];
    let changed = 0;
    // Results alternate: ZADD (even), then the machine's merge script (odd), which returns changed slots.
    results.forEach(([err, res], i) => {
      if (err) throw err;
      if (i % 2 === 1) changed += Number(res);
    });
    return { samples: agg.samples, skipped: agg.skipped, changed };
  }

  /** Raw day-strings for many (series, day) pairs, pipelined in chunks. */
  async getDays(requests: { series: SeriesId; day: number }[], chunk = 5000): Promise<(Buffer | null)[]> {
    const out: (Buffer | null)[] = new Array(requests.length);
    for (let i = 0; i < requests.length; i += chunk) {
      const pipe = this.redis.pipeline();
      const part = requests.slice(i, i + chunk);
      for (const r of part) pipe.getBuffer(pointKey(this.prefix, r.series, r.day));
      const res = (await pipe.exec()) ?? [];
      res.forEach(([err, v], j) => {
        if (err) throw err;
        out[i + j] = (v as Buffer | null) ?? null;
      });
    }
    return out;
  }

  /**
   * Raw day-strings for groups of keys that each belong to one machine: one MGET per machine (its keys
   * share a hash tag, so this is valid on Cluster), pipelined. Returns the buffers in request order.
   */
  async getMachineDays(groups: { series: SeriesId[]; days: number[] }[]): Promise<(Buffer | null)[][]> {
    const pipe = this.redis.pipeline();
    for (const g of groups) {
      const keys: string[] = [];
      for (const s of g.series) for (const d of g.days) keys.push(pointKey(this.prefix, s, d));
      if (keys.length > 0) pipe.mgetBuffer(...keys);
    }
    const res = (await pipe.exec()) ?? [];
    let i = 0;
    return groups.map((g) => {
      if (g.series.length === 0 || g.days.length === 0) return [];
      const entry = res[i++];
      if (!entry) throw new Error('getMachineDays: the pipeline returned fewer replies than commands');
      const [err, v] = entry;
      if (err) throw err;
      return v as (Buffer | null)[];
    });
  }

  /** The points of one series with window start in [from, to). */
  async readPoints(q: SeriesId & { from: number; to: number }): Promise<Point[]> {
    if (!(q.to > q.from)) return [];
    const first = Math.floor(q.from / DAY_MS);
    const last = Math.floor((q.to - 1) / DAY_MS);
    const req: { series: SeriesId; day: number }[] = [];
    for (let d = first; d <= last; d++) req.push({ series: q, day: d });
    const bufs = await this.getDays(req);
    const out: Point[] = [];
    for (const [i, r] of req.entries()) decodeDay(bufs[i] ?? null, r.day, q.from, q.to, out);
    return out;
  }

  /** Machines that have points not yet expired. */
  async machines(now = Date.now()): Promise<string[]> {
    return this.redis.zrangebyscore(machinesKey(this.prefix), now, '+inf');
  }

  /** The series a machine has (had) points for. */
  async seriesOf(machine: string): Promise<SeriesId[]> {
    const members = await this.redis.smembers(seriesIndexKey(this.prefix, machine));
    const out: SeriesId[] = [];
    for (const m of members) {
      const tab = m.indexOf('\t');
      const metric = m.slice(0, tab);
      if (isMetricName(metric)) out.push({ machine, metric, instance: m.slice(tab + 1) });
    }
    return out.sort((a, b) => a.metric.localeCompare(b.metric) || a.instance.localeCompare(b.instance));
  }
}

/** Reads a series' 10-minute points with window start in [from, to) (the web app charts these). */
export function readPoints(redis: Redis, prefix: string, q: SeriesId & { from: number; to: number }): Promise<Point[]> {
  return new PointStore(redis, prefix).readPoints(q);
}
