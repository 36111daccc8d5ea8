// The spool's on-disk format: record framing and checksum, segment files and their .ack cursors.
// queue/spool.ts holds the queueing and replay logic on top; the format is described there.
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';

export const HEADER_BYTES = 20;
/** A record larger than this is corruption, not data (a batch is a few MB at most). */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;
export const SEGMENT_RE = /^seg-(\d{16})\.spool$/;

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

export interface Segment {
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

/** An empty segment's bookkeeping (the file is created or scanned by the caller). */
export function newSegment(dir: string, name: string, seq: number): Segment {
  return {
    name,
    path: join(dir, name),
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
}

/** The file name of the segment with this sequence number. */
export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(16, '0')}.spool`;
}

/**
 * Counts the segment's valid records into seg (size, samples, records) and cuts a torn or corrupt tail
 * off the file, so appends after a crash never follow garbage.
 */
export function scanSegment(seg: Segment, log: Logger): void {
  const fileSize = statSync(seg.path).size;
  const fd = openSync(seg.path, 'r+');
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
      log.warn(
        { segment: seg.name, validBytes: off, cutBytes: fileSize - off },
        'sample spool: a torn or corrupt record ends a segment (a crash mid-write); the rest of the segment is ignored',
      );
      ftruncateSync(fd, off);
      fsyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
}

/** One record read back: its header fields and payload, and the offset just past it. */
export function readRecord(seg: Segment, off: number, header: Buffer): { end: number; samples: number; at: number; payload: Buffer } {
  const fd = readFdOf(seg);
  readExact(fd, header, off);
  const len = header.readUInt32LE(0);
  const payload = Buffer.allocUnsafe(len);
  readExact(fd, payload, off + HEADER_BYTES);
  return { end: off + HEADER_BYTES + len, samples: header.readUInt32LE(8), at: header.readDoubleLE(12), payload };
}

/** spooled-at of the record at off, or null past the last one. */
export function recordAt(seg: Segment, off: number): number | null {
  if (off + HEADER_BYTES > seg.size) return null;
  const fd = readFdOf(seg);
  const h = Buffer.alloc(HEADER_BYTES);
  readExact(fd, h, off);
  return h.readDoubleLE(12);
}

/** The segment's read descriptor, opened on first use. */
function readFdOf(seg: Segment): number {
  if (seg.readFd === null) seg.readFd = openSync(seg.path, 'r');
  return seg.readFd;
}

export function closeReadFd(seg: Segment): void {
  if (seg.readFd !== null) closeSync(seg.readFd);
  seg.readFd = null;
}

function readExact(fd: number, buf: Buffer, position: number): void {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) throw new Error('sample spool: unexpected end of segment');
    got += n;
  }
}

export function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

export function readAck(file: string): { offset: number; samples: number; records: number } | null {
  try {
    const [o, s, r] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    const n = (x: number | undefined): number => (x !== undefined && Number.isSafeInteger(x) && x >= 0 ? x : 0);
    return o !== undefined && Number.isSafeInteger(o) && o >= 0 ? { offset: o, samples: n(s), records: n(r) } : null;
  } catch {
    return null;
  }
}

export function writeAck(seg: Segment): void {
  // Not fsync'd: after a crash the last records may be delivered again, which the content job id makes harmless.
  writeFileSync(`${seg.path}.ack`, `${seg.readOffset} ${seg.ackedSamples} ${seg.ackedRecords}`);
}

export function removeFiles(path: string): void {
  for (const f of [path, `${path}.ack`]) {
    try {
      unlinkSync(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`sample spool: cannot delete ${f}: ${errorMessage(err)}`);
    }
  }
}

export function fsyncDir(dir: string): void {
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
