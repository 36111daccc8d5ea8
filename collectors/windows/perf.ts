// Per-server sampler: keeps the previous raw reading of every counter instance and turns the next
// reading into samples of the shared vocabulary (counters.ts has the formulas). The first reading of
// an instance only primes; so does the first after a reboot.
import type { Sample } from '../../model/index.js';
import { propBigInt, propString, type CimInstance } from '../wsman/index.js';
import { checkPair, counterRate, ratio, timerInvPercent, type CounterTimes } from './counters.js';
import type { ServerMapping } from './inventory.js';
import type { PerfClassKey } from './queries.js';

export type PerfReadings = Record<PerfClassKey, CimInstance[]>;

/** 100 ns intervals between 1601-01-01 and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

function times(i: CimInstance): CounterTimes | null {
  const perfTime = propBigInt(i, 'Timestamp_PerfTime');
  const perfFreq = propBigInt(i, 'Frequency_PerfTime');
  const sys100ns = propBigInt(i, 'Timestamp_Sys100NS');
  if (perfTime === null || perfFreq === null || sys100ns === null || perfFreq <= 0n) return null;
  return { perfTime, perfFreq, sys100ns };
}

/** End of the interval in epoch ms, from the server's clock (Timestamp_Sys100NS). */
function endMs(t: CounterTimes, fallbackMs: number): number {
  if (t.sys100ns <= FILETIME_UNIX_EPOCH) return fallbackMs;
  return Number((t.sys100ns - FILETIME_UNIX_EPOCH) / 10_000n);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Counter properties, their metric and width (PERF_COUNTER_COUNTER is 32-bit, BULK_COUNT 64-bit). */
const DISK_COUNTERS: Array<[string, Sample['metric'], 32 | 64]> = [
  ['DiskReadBytesPersec', 'disk.read.bytesPerSec', 64],
  ['DiskWriteBytesPersec', 'disk.write.bytesPerSec', 64],
  ['DiskReadsPersec', 'disk.read.opsPerSec', 32],
  ['DiskWritesPersec', 'disk.write.opsPerSec', 32],
];
const NET_COUNTERS: Array<[string, Sample['metric'], 32 | 64]> = [
  ['BytesReceivedPersec', 'net.received.bytesPerSec', 64],
  ['BytesSentPersec', 'net.transmitted.bytesPerSec', 64],
];

export interface SampleResult {
  samples: Sample[];
  /** Pairs dropped because the server rebooted or a counter was reset. */
  resets: number;
  /** Disk or NIC counter instances the inventory does not know (a disk or adapter added since). */
  unmapped: string[];
}

export class ServerSampler {
  private prev = new Map<string, CimInstance>();

  get primed(): number {
    return this.prev.size;
  }

  sample(cur: PerfReadings, map: ServerMapping, pollMs: number): SampleResult {
    const samples: Sample[] = [];
    const unmapped: string[] = [];
    let resets = 0;
    const next = new Map<string, CimInstance>();
    const pair = (cls: string, i: CimInstance): { t0: CounterTimes; t1: CounterTimes; before: CimInstance; seconds: number } | null => {
      const key = `${cls}|${propString(i, 'Name') ?? ''}`;
      const before = this.prev.get(key);
      next.set(key, i);
      if (!before) return null;
      const t0 = times(before);
      const t1 = times(i);
      if (!t0 || !t1) return null;
      const v = checkPair(t0, t1);
      if (!v.ok) {
        if (v.reason === 'reboot') resets++;
        return null;
      }
      return { t0, t1, before, seconds: v.seconds };
    };
    const push = (metric: Sample['metric'], instance: string, value: number, t1: CounterTimes, seconds: number) =>
      samples.push({
        machine: map.machine,
        metric,
        instance,
        ts: endMs(t1, pollMs),
        value: round6(value),
        intervalSec: Math.round(seconds),
      });

    for (const i of cur.processor) {
      if (propString(i, 'Name') !== '_Total') continue;
      const p = pair('cpu', i);
      if (!p) continue;
      const n0 = propBigInt(p.before, 'PercentProcessorTime');
      const n1 = propBigInt(i, 'PercentProcessorTime');
      const v = n0 !== null && n1 !== null ? timerInvPercent(n0, n1, p.t0, p.t1) : null;
      if (v === null) resets++;
      else push('cpu.usage.percent', '', v, p.t1, p.seconds);
    }

    // Memory is a gauge (PERF_COUNTER_LARGE_RAWCOUNT); it is reported with the same cadence as the rates.
    for (const i of cur.memory) {
      const p = pair('memory', i);
      const avail = propBigInt(i, 'AvailableBytes');
      if (!p || avail === null || map.totalMemoryBytes <= 0n) continue;
      const used = 100 * (1 - ratio(avail, map.totalMemoryBytes));
      push('memory.usage.percent', '', Math.min(100, Math.max(0, used)), p.t1, p.seconds);
    }

    const rates = (
      cls: string,
      list: CimInstance[],
      counters: Array<[string, Sample['metric'], 32 | 64]>,
      target: (name: string) => string | null | undefined,
    ): void => {
      for (const i of list) {
        const name = propString(i, 'Name') ?? '';
        if (name === '_Total') continue;
        const to = target(name);
        if (to === undefined) continue; // an instance that is deliberately not reported (virtual adapter)
        if (to === null) {
          unmapped.push(`${cls}:${name}`);
          next.set(`${cls}|${name}`, i);
          continue;
        }
        const p = pair(cls, i);
        if (!p) continue;
        const out: Array<[Sample['metric'], number]> = [];
        let broken = false;
        for (const [prop, metric, bits] of counters) {
          const n0 = propBigInt(p.before, prop);
          const n1 = propBigInt(i, prop);
          if (n0 === null || n1 === null) continue;
          const r = counterRate(n0, n1, p.t0, p.t1, bits);
          if (r === null) {
            broken = true;
            break;
          }
          out.push([metric, r]);
        }
        if (broken) resets++;
        else for (const [metric, value] of out) push(metric, to, value, p.t1, p.seconds);
      }
    };
    rates('disk', cur.disk, DISK_COUNTERS, (name) => {
      const m = /^(\d+)\b/.exec(name);
      return m ? (map.diskByIndex.get(Number(m[1])) ?? null) : null;
    });
    rates('net', cur.network, NET_COUNTERS, (name) => {
      const id = map.nicByCounterName.get(name.toLowerCase());
      // Adapters left out of the inventory (virtual, loopback, isatap) are expected, not unknown.
      return id ?? undefined;
    });
    this.prev = next;
    return { samples, resets, unmapped };
  }
}
