import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { UserError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';

/**
 * The on-disk spool: sample batches that could not be queued (Redis away) wait here, durable across a
 * crash, and are replayed in order. docs/pipeline.md describes it.
 *
 * Segment files `seg-<16-digit sequence>.spool`, append-only. Each record is framed as
 *   u32 LE payload length | u32 LE crc32 of the rest | u32 LE samples | f64 LE spooled-at (ms) | payload
 * A record whose frame runs past the end of the file or whose checksum does not match ends the segment:
 * a torn tail (a crash mid-write) is cut off on open. Appends are written at once and fsync'd in batches
 * (every fsyncIntervalMs); append() resolves once its record is fsync'd. Delivered records are acknowledged
 * in `<segment>.ack` ("offset samples records"); a segment fully delivered is deleted. Past maxBytes the oldest
 * segments are deleted (oldest data dropped), with one error line per episode.
 */

const HEADER_BYTES = 20;
/** A record larger than this is corruption, not data (a batch is a few MB at most). */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;
const SEGMENT_RE = /^seg-(\d{16})\.spool$/;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = -1;
  for (let i = start; i < end; i++) {
    // Both reads are in range (i < end <= buf.length, the table index masked to 0..255); `?? 0` only
    // satisfies the type, and is what `^` would make of undefined anyway.
    c = (CRC_TABLE[(c ^ (buf[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  }
  return (c ^ -1) >>> 0;
}

/** Frames one record (exported for tests). */
export function frameRecord(payload: Buffer, samples: number, at: number): Buffer {
  const f = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  f.writeUInt32LE(payload.length, 0);
  f.writeUInt32LE(samples, 8);
  f.writeDoubleLE(at, 12);
  payload.copy(f, HEADER_BYTES);
  f.writeUInt32LE(crc32(f, 8), 4);
  return f;
}

export interface SpoolRecord {
  /** Content id: the same batch spooled twice (re-sent after a crash) has the same id. */
  id: string;
  segment: string;
  /** Offset just past this record in its segment. */
  end: number;
  samples: number;
  at: number;
  payload: Buffer;
}

export interface SpoolStats {
  dir: string;
  /** Bytes of segment files on disk. */
  bytes: number;
  maxBytes: number;
  /** Samples and records waiting to be delivered. */
  samples: number;
  records: number;
  /** When the oldest waiting record was spooled (null when empty). */
  oldestAt: number | null;
  /** Totals since the process started. */
  spooledSamples: number;
  replayedSamples: number;
  droppedSamples: number;
}

interface Segment {
  name: string;
  path: string;
  seq: number;
  /** Valid bytes (a torn tail cut off). */
  size: number;
  samples: number;
  records: number;
  /** Delivery cursor: bytes, samples and records acknowledged. */
  readOffset: number;
  ackedSamples: number;
  ackedRecords: number;
  /** spooled-at of the record at readOffset (null when none). */
  nextAt: number | null;
  readFd: number | null;
}

export interface SpoolOptions {
  maxBytes: number;
  log: Logger;
  /** Segment size; default maxBytes / 16 within 64 KB .. 64 MB, so dropping frees space in small steps. */
  segmentBytes?: number;
  fsyncIntervalMs?: number;
}

export class Spool {
  readonly dir: string;
  readonly #max: number;
  readonly #segmentBytes: number;
  readonly #fsyncMs: number;
  readonly #log: Logger;
  readonly #segments: Segment[] = [];
  #write: { seg: Segment; fd: number } | null = null;
  #pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #timer: NodeJS.Timeout | null = null;
  #bytes = 0;
  #nextSeq = 0;
  #totals = { spooled: 0, replayed: 0, dropped: 0 };
  #dropLogged = false;
  #closed = false;

  private constructor(dir: string, opts: SpoolOptions) {
    this.dir = dir;
    this.#max = opts.maxBytes;
    this.#segmentBytes = opts.segmentBytes ?? Math.min(64 * 2 ** 20, Math.max(64 * 1024, Math.floor(opts.maxBytes / 16)));
    this.#fsyncMs = opts.fsyncIntervalMs ?? 50;
    this.#log = opts.log;
  }

  /** Opens (creating) the spool in dir: takes its lock, scans the segments and cuts torn tails. */
  static open(dir: string, opts: SpoolOptions): Spool {
    const s = new Spool(dir, opts);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    s.#lock();
    s.#scan();
    return s;
  }

  #lock(): void {
    const file = join(this.dir, 'lock');
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new UserError(`the sample spool ${this.dir} is in use by process ${pid}.`, {
          fix: 'Stop the other collecting process, or give each one its own rollup.spoolDir.',
          code: 'SPOOL_IN_USE',
        });
      }
    }
    writeFileSync(file, String(process.pid));
  }

  #scan(): void {
    for (const name of readdirSync(this.dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (!m?.[1]) continue; // not a segment file
      const path = join(this.dir, name);
      const seq = Number(m[1]);
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
      const seg: Segment = {
        name,
        path,
        seq,
        size: 0,
        samples: 0,
        records: 0,
        readOffset: 0,
        ackedSamples: 0,
        ackedRecords: 0,
        nextAt: null,
        readFd: null,
      };
      const fileSize = statSync(path).size;
      const fd = openSync(path, 'r+');
      try {
        const header = Buffer.alloc(HEADER_BYTES);
        let off = 0;
        while (off + HEADER_BYTES <= fileSize) {
          readExact(fd, header, off);
          const len = header.readUInt32LE(0);
          if (len > MAX_RECORD_BYTES || off + HEADER_BYTES + len > fileSize) break;
          const rec = Buffer.allocUnsafe(HEADER_BYTES + len);
          readExact(fd, rec, off);
          if (crc32(rec, 8) !== header.readUInt32LE(4)) break;
          seg.samples += header.readUInt32LE(8);
          seg.records++;
          off += HEADER_BYTES + len;
        }
        seg.size = off;
        if (off < fileSize) {
          this.#log.warn(
            { segment: name, validBytes: off, cutBytes: fileSize - off },
            'sample spool: a torn or corrupt record ends a segment (a crash mid-write); the rest of the segment is ignored',
          );
          ftruncateSync(fd, off);
          fsyncSync(fd);
        }
      } finally {
        closeSync(fd);
      }
      const ack = readAck(`${path}.ack`);
      if (ack && ack.offset <= seg.size) {
        seg.readOffset = ack.offset;
        seg.ackedSamples = Math.min(ack.samples, seg.samples);
        seg.ackedRecords = Math.min(ack.records, seg.records);
      }
      if (seg.readOffset >= seg.size) {
        removeFiles(seg.path);
        continue;
      }
      seg.nextAt = this.#atOf(seg, seg.readOffset);
      this.#segments.push(seg);
      this.#bytes += seg.size;
    }
    this.#nextSeq = Math.max(this.#nextSeq, Date.now());
  }

  get empty(): boolean {
    return this.#segments.every((s) => s.readOffset >= s.size);
  }

  /**
   * Appends one record; written at once, resolved when fsync'd (at most fsyncIntervalMs later). Throws
   * (synchronously) when the disk refuses the write: the caller keeps the batch elsewhere.
   */
  append(payload: Buffer, samples: number, at = Date.now()): Promise<void> {
    if (this.#closed) throw new Error('sample spool is closed');
    const frame = frameRecord(payload, samples, at);
    const w = this.#write && this.#write.seg.size < this.#segmentBytes ? this.#write : this.#rotate();
    writeAll(w.fd, frame, w.seg.size);
    if (w.seg.readOffset >= w.seg.size) w.seg.nextAt = at;
    w.seg.size += frame.length;
    w.seg.samples += samples;
    w.seg.records++;
    this.#bytes += frame.length;
    this.#totals.spooled += samples;
    this.#enforceBound();
    const done = new Promise<void>((resolve, reject) => this.#pending.push({ resolve, reject }));
    this.#timer ??= setTimeout(() => this.#sync(), this.#fsyncMs);
    return done;
  }

  /** The oldest records not yet acknowledged, in order, without consuming them. */
  peek(maxRecords: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    if (this.#closed) return out;
    const header = Buffer.alloc(HEADER_BYTES);
    for (const seg of this.#segments) {
      let off = seg.readOffset;
      while (off < seg.size && out.length < maxRecords) {
        const fd = readFdOf(seg);
        readExact(fd, header, off);
        const len = header.readUInt32LE(0);
        const payload = Buffer.allocUnsafe(len);
        readExact(fd, payload, off + HEADER_BYTES);
        off += HEADER_BYTES + len;
        out.push({
          id: contentId(payload),
          segment: seg.name,
          end: off,
          samples: header.readUInt32LE(8),
          at: header.readDoubleLE(12),
          payload,
        });
      }
      if (out.length >= maxRecords) break;
    }
    return out;
  }

  /** Acknowledges delivered records (a prefix of what peek returned); deletes fully delivered segments. */
  ack(records: readonly SpoolRecord[]): void {
    if (this.#closed) return;
    const touched = new Set<Segment>();
    for (const r of records) {
      const seg = this.#segments.find((s) => s.name === r.segment);
      if (!seg || r.end <= seg.readOffset) continue; // dropped meanwhile, or already acknowledged
      seg.readOffset = r.end;
      seg.ackedSamples += r.samples;
      seg.ackedRecords++;
      this.#totals.replayed += r.samples;
      touched.add(seg);
    }
    for (let seg = this.#segments[0]; seg && seg.readOffset >= seg.size; seg = this.#segments[0]) {
      if (this.#write?.seg === seg) this.#closeWrite();
      this.#remove(seg);
    }
    for (const seg of touched) {
      if (!this.#segments.includes(seg)) continue;
      seg.nextAt = this.#atOf(seg, seg.readOffset);
      // Not fsync'd: after a crash the last records may be delivered again, which the content job id makes harmless.
      writeFileSync(`${seg.path}.ack`, `${seg.readOffset} ${seg.ackedSamples} ${seg.ackedRecords}`);
    }
    if (this.#segments.length === 0) this.#dropLogged = false;
  }

  stats(): SpoolStats {
    let samples = 0;
    let records = 0;
    let oldestAt: number | null = null;
    for (const s of this.#segments) {
      samples += s.samples - s.ackedSamples;
      records += s.records - s.ackedRecords;
      if (oldestAt === null && s.readOffset < s.size) oldestAt = s.nextAt;
    }
    return {
      dir: this.dir,
      bytes: this.#bytes,
      maxBytes: this.#max,
      samples,
      records,
      oldestAt,
      spooledSamples: this.#totals.spooled,
      replayedSamples: this.#totals.replayed,
      droppedSamples: this.#totals.dropped,
    };
  }

  /** fsyncs what is written and releases the files and the lock. */
  close(): void {
    if (this.#closed) return;
    this.#sync();
    this.#closeWrite();
    for (const s of this.#segments) {
      if (s.readFd === null) continue;
      closeSync(s.readFd);
      s.readFd = null;
    }
    this.#closed = true;
    try {
      unlinkSync(join(this.dir, 'lock'));
    } catch {
      /* already gone */
    }
  }

  #sync(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const waiting = this.#pending.splice(0);
    try {
      if (this.#write) fsyncSync(this.#write.fd);
      for (const p of waiting) p.resolve();
    } catch (err) {
      for (const p of waiting) p.reject(err as Error);
    }
  }

  /** Starts a new segment and returns it as the one being written. */
  #rotate(): { seg: Segment; fd: number } {
    this.#closeWrite();
    const seq = Math.max(this.#nextSeq, Date.now());
    this.#nextSeq = seq + 1;
    const name = `seg-${String(seq).padStart(16, '0')}.spool`;
    const seg: Segment = {
      name,
      path: join(this.dir, name),
      seq,
      size: 0,
      samples: 0,
      records: 0,
      readOffset: 0,
      ackedSamples: 0,
      ackedRecords: 0,
      nextAt: null,
      readFd: null,
    };
    const fd = openSync(seg.path, 'wx', 0o600);
    fsyncDir(this.dir); // the new file's name survives a power loss
    this.#segments.push(seg);
    this.#write = { seg, fd };
    return this.#write;
  }

  /** fsyncs and closes the segment being written; its pending appends are then durable. */
  #closeWrite(): void {
    if (!this.#write) return;
    this.#sync();
    closeSync(this.#write.fd);
    this.#write = null;
  }

  #enforceBound(): void {
    let dropped = 0;
    while (this.#bytes > this.#max && this.#segments.length > 1) {
      const seg = this.#segments[0];
      if (!seg || this.#write?.seg === seg) break; // never the segment being written
      dropped += seg.samples - seg.ackedSamples;
      this.#remove(seg);
    }
    if (dropped === 0) return;
    this.#totals.dropped += dropped;
    if (!this.#dropLogged) {
      this.#dropLogged = true;
      this.#log.error(
        { spool: this.dir, maxBytes: this.#max, droppedSamples: dropped },
        'sample spool full while Redis is away: dropping the oldest samples (rollup.spoolMaxBytes); logged once until the spool empties',
      );
    }
  }

  #remove(seg: Segment): void {
    if (seg.readFd !== null) closeSync(seg.readFd);
    seg.readFd = null;
    removeFiles(seg.path);
    this.#segments.splice(this.#segments.indexOf(seg), 1);
    this.#bytes -= seg.size;
  }

  #atOf(seg: Segment, off: number): number | null {
    if (off + HEADER_BYTES > seg.size) return null;
    const fd = readFdOf(seg);
    const h = Buffer.alloc(HEADER_BYTES);
    readExact(fd, h, off);
    return h.readDoubleLE(12);
  }
}

/** The segment's read descriptor, opened on first use. */
function readFdOf(seg: Segment): number {
  if (seg.readFd === null) seg.readFd = openSync(seg.path, 'r');
  return seg.readFd;
}

/** The job id of a spooled batch: a hash of its content, so a batch delivered twice is one job. */
export function contentId(payload: Buffer | string): string {
  return `sp-${createHash('sha1').update(payload).digest('hex')}`;
}

function readExact(fd: number, buf: Buffer, position: number): void {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) throw new Error('sample spool: unexpected end of segment');
    got += n;
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function readAck(file: string): { offset: number; samples: number; records: number } | null {
  try {
    const [o, s, r] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    const n = (x: number | undefined): number => (x !== undefined && Number.isSafeInteger(x) && x >= 0 ? x : 0);
    return o !== undefined && Number.isSafeInteger(o) && o >= 0 ? { offset: o, samples: n(s), records: n(r) } : null;
  } catch {
    return null;
  }
}

function removeFiles(path: string): void {
  for (const f of [path, `${path}.ack`]) {
    try {
      unlinkSync(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`sample spool: cannot delete ${f}: ${errorMessage(err)}`);
    }
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* some file systems refuse a directory fsync; the file's data is still fsync'd */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
