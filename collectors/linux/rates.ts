// Rates from two readings. A point is emitted only when both readings are from the same boot and every
// counter it uses moved forward (or wrapped in a way that can be told apart from a reset); otherwise the
// reading becomes the new baseline and that point is missing rather than invented.
import type { Sample } from '../../model/index.js';
import type { PerfReading } from './procfs.js';

const TWO32 = 2n ** 32n;
const TWO63 = 2n ** 63n;
const TWO64 = 2n ** 64n;

/**
 * Delta of a monotonic counter. Backwards means a wrap or a reset:
 * - 32-bit wrap (32-bit kernels, old drivers): the previous value fits 32 bits and the wrapped delta is under 2^31;
 * - 64-bit wrap: the previous value was in the top half of the range and the wrapped delta is under 2^62;
 * - anything else is a reset (device re-added, driver reloaded): null, no point.
 */
export function counterDelta(prev: bigint, cur: bigint): bigint | null {
  if (cur >= prev) return cur - prev;
  if (prev < TWO32) {
    const d = cur + TWO32 - prev;
    return d < 2n ** 31n ? d : null;
  }
  if (prev >= TWO63) {
    const d = cur + TWO64 - prev;
    return d < 2n ** 62n ? d : null;
  }
  return null;
}

/** btime is derived from the clock minus uptime, so NTP steps move it by a second or two without a reboot. */
const BTIME_SLACK_SEC = 5;

export type ResetReason = 'first' | 'reboot' | 'too-short';

export interface RateResult {
  samples: Sample[];
  /** Why no point at all was produced (the reading is only the new baseline). */
  reset: ResetReason | null;
  /** Instances skipped because a counter went backwards (reset, not wrap). */
  skipped: string[];
}

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export class LinuxRates {
  private prev: PerfReading | null = null;

  /**
   * `disks`/`nics` are the inventory's whole disks and reported NICs; `atMs` is the reading's time
   * (the end of the interval, the sample's ts).
   */
  next(cur: PerfReading, machine: string, disks: readonly string[], nics: readonly string[], atMs: number): RateResult {
    const prev = this.prev;
    this.prev = cur;
    if (!prev) return { samples: [], reset: 'first', skipped: [] };
    const rebooted =
      cur.uptimeSec < prev.uptimeSec || (cur.btime !== null && prev.btime !== null && Math.abs(cur.btime - prev.btime) > BTIME_SLACK_SEC);
    if (rebooted) return { samples: [], reset: 'reboot', skipped: [] };
    const dt = cur.uptimeSec - prev.uptimeSec;
    // /proc/uptime has 10 ms resolution; under a second the rates would be mostly rounding.
    if (dt < 1) {
      this.prev = prev;
      return { samples: [], reset: 'too-short', skipped: [] };
    }
    const intervalSec = Math.max(1, Math.round(dt));
    const samples: Sample[] = [];
    const skipped: string[] = [];
    const push = (metric: Sample['metric'], instance: string, value: number) =>
      samples.push({ machine, metric, instance, ts: atMs, value, intervalSec });

    const dTotal = counterDelta(prev.cpuTotal, cur.cpuTotal);
    const dIdle = counterDelta(prev.cpuIdle, cur.cpuIdle);
    if (dTotal === null || dIdle === null || dIdle > dTotal) skipped.push('cpu');
    else if (dTotal > 0n) push('cpu.usage.percent', '', round((100 * Number(dTotal - dIdle)) / Number(dTotal), 2));
    if (cur.memTotalKb > 0) push('memory.usage.percent', '', round((100 * (cur.memTotalKb - cur.memAvailableKb)) / cur.memTotalKb, 2));

    for (const name of disks) {
      const a = prev.disks.get(name);
      const b = cur.disks.get(name);
      if (!a || !b) continue;
      const d = [
        counterDelta(a.sectorsRead, b.sectorsRead),
        counterDelta(a.sectorsWritten, b.sectorsWritten),
        counterDelta(a.reads, b.reads),
        counterDelta(a.writes, b.writes),
      ];
      if (d.some((x) => x === null)) {
        skipped.push(`disk ${name}`);
        continue;
      }
      const [sr, sw, r, w] = d.map((x) => Number(x ?? 0n)) as [number, number, number, number];
      push('disk.read.bytesPerSec', name, round((sr * 512) / dt, 2));
      push('disk.write.bytesPerSec', name, round((sw * 512) / dt, 2));
      push('disk.read.opsPerSec', name, round(r / dt, 3));
      push('disk.write.opsPerSec', name, round(w / dt, 3));
    }
    for (const name of nics) {
      const a = prev.nets.get(name);
      const b = cur.nets.get(name);
      if (!a || !b) continue;
      const rx = counterDelta(a.rxBytes, b.rxBytes);
      const tx = counterDelta(a.txBytes, b.txBytes);
      if (rx === null || tx === null) {
        skipped.push(`nic ${name}`);
        continue;
      }
      push('net.received.bytesPerSec', name, round(Number(rx) / dt, 2));
      push('net.transmitted.bytesPerSec', name, round(Number(tx) / dt, 2));
    }
    return { samples, reset: null, skipped };
  }
}
