import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import type { Logger } from '../common/log.js';
import {
  closeReadFd,
  frameRecord,
  fsyncDir,
  HEADER_BYTES,
  newSegment,
  readAck,
  readRecord,
  recordAt,
  removeFiles,
  SEGMENT_RE,
  type Segment,
  scanSegment,
  segmentName,
  writeAck,
  writeAll,
} from './spool-segment.js';
import { releaseLock, takeLock } from './spool-lock.js';

export { crc32, frameRecord } from './spool-segment.js';

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
    takeLock(dir);
    s.#scan();
    return s;
  }

  #scan(): void {
    for (const name of readdirSync(this.dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (!m?.[1]) continue; // not a segment file
      const seq = Number(m[1]);
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
      const seg = newSegment(this.dir, name, seq);
      scanSegment(seg, this.#log);
      const ack = readAck(`${seg.path}.ack`);
      if (ack && ack.offset <= seg.size) {
        seg.readOffset = ack.offset;
        seg.ackedSamples = Math.min(ack.samples, seg.samples);
        seg.ackedRecords = Math.min(ack.records, seg.records);
      }
      if (seg.readOffset >= seg.size) {
        removeFiles(seg.path);
        continue;
      }
      seg.nextAt = recordAt(seg, seg.readOffset);
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
        const r = readRecord(seg, off, header);
        off = r.end;
        out.push({ id: contentId(r.payload), segment: seg.name, end: r.end, samples: r.samples, at: r.at, payload: r.payload });
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
      seg.nextAt = recordAt(seg, seg.readOffset);
      writeAck(seg);
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
    releaseLock(this.dir);
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
    const seg = newSegment(this.dir, segmentName(seq), seq);
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
    closeReadFd(seg);
    removeFiles(seg.path);
    this.#segments.splice(this.#segments.indexOf(seg), 1);
    this.#bytes -= seg.size;
  }
}

/** The job id of a spooled batch: a hash of its content, so a batch delivered twice is one job. */
export function contentId(payload: Buffer | string): string {
  return `sp-${createHash('sha1').update(payload).digest('hex')}`;
}
