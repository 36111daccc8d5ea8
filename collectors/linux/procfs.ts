// Parsers for the raw counters of one perf reading (proc(5)). Counters stay BigInt: /proc/diskstats and
// /proc/net/dev are unsigned long (64-bit on 64-bit kernels, 32-bit on 32-bit ones), beyond 2^53.
import { splitSections } from './commands.js';

export interface DiskCounters {
  reads: bigint;
  sectorsRead: bigint;
  writes: bigint;
  sectorsWritten: bigint;
}

export interface NetCounters {
  rxBytes: bigint;
  txBytes: bigint;
}

export interface PerfReading {
  /** Seconds since boot (/proc/uptime): the peer's own monotonic clock, so network latency does not skew rates. */
  uptimeSec: number;
  /** Boot time, epoch seconds (/proc/stat btime): a change means a reboot. */
  btime: number | null;
  /** Aggregate "cpu" line, USER_HZ ticks: all time, and idle + iowait. */
  cpuTotal: bigint;
  cpuIdle: bigint;
  memTotalKb: number;
  memAvailableKb: number;
  disks: Map<string, DiskCounters>;
  nets: Map<string, NetCounters>;
}

export class ProcfsFormatError extends Error {}

const big = (s: string | undefined): bigint => {
  if (s === undefined || !/^\d+$/.test(s)) throw new ProcfsFormatError(`expected a counter, got ${JSON.stringify(s)}`);
  return BigInt(s);
};

export function parseUptime(text: string): number {
  const v = Number((text.trim().split(/\s+/)[0] ?? '').trim());
  if (!Number.isFinite(v) || v < 0) throw new ProcfsFormatError(`/proc/uptime: unexpected ${JSON.stringify(text.slice(0, 60))}`);
  return v;
}

/** /proc/stat: the aggregate cpu line and btime. */
export function parseStat(text: string): { cpuTotal: bigint; cpuIdle: bigint; btime: number | null } {
  let cpu: string[] | null = null;
  let btime: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) cpu = line.trim().split(/\s+/).slice(1);
    else if (line.startsWith('btime ')) btime = Number(line.slice(6).trim());
  }
  if (!cpu || cpu.length < 4) throw new ProcfsFormatError('/proc/stat: no aggregate cpu line');
  // user nice system idle iowait irq softirq steal; guest and guest_nice are already inside user and nice.
  const f = cpu.slice(0, 8).map(big);
  const total = f.reduce((a, b) => a + b, 0n);
  const idle = (f[3] ?? 0n) + (f[4] ?? 0n);
  return { cpuTotal: total, cpuIdle: idle, btime: Number.isFinite(btime) ? btime : null };
}

export function parseMeminfo(text: string): { memTotalKb: number; memAvailableKb: number } {
  const kv = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m?.[1] && m[2]) kv.set(m[1], Number(m[2]));
  }
  const total = kv.get('MemTotal');
  if (!total) throw new ProcfsFormatError('/proc/meminfo: no MemTotal');
  // MemAvailable exists since Linux 3.14; before it, free + buffers + page cache is the usual estimate.
  const avail = kv.get('MemAvailable') ?? (kv.get('MemFree') ?? 0) + (kv.get('Buffers') ?? 0) + (kv.get('Cached') ?? 0);
  return { memTotalKb: total, memAvailableKb: Math.min(avail, total) };
}

/** /proc/diskstats: major minor name reads merged sectors ms writes merged sectors ms ... (sectors are 512 B). */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !f[2]) continue;
    out.set(f[2], { reads: big(f[3]), sectorsRead: big(f[5]), writes: big(f[7]), sectorsWritten: big(f[9]) });
  }
  return out;
}

/** /proc/net/dev: two header lines, then "name: rx bytes packets errs drop fifo frame compressed multicast tx bytes ...". */
export function parseNetDev(text: string): Map<string, NetCounters> {
  const out = new Map<string, NetCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    // Old kernels print "eth0:123" with no space after the colon, hence the split at the colon.
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (!name || f.length < 9 || !/^\d+$/.test(f[0] ?? '')) continue;
    out.set(name, { rxBytes: big(f[0]), txBytes: big(f[8]) });
  }
  return out;
}

export function parsePerf(text: string): PerfReading {
  const s = splitSections(text);
  if (!s.has('end')) throw new ProcfsFormatError('the perf output is incomplete (no end marker)');
  const stat = parseStat(s.get('stat') ?? '');
  const mem = parseMeminfo(s.get('meminfo') ?? '');
  return {
    uptimeSec: parseUptime(s.get('uptime') ?? ''),
    btime: stat.btime,
    cpuTotal: stat.cpuTotal,
    cpuIdle: stat.cpuIdle,
    ...mem,
    disks: parseDiskstats(s.get('diskstats') ?? ''),
    nets: parseNetDev(s.get('net-dev') ?? ''),
  };
}
