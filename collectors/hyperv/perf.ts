// Hyper-V performance from the raw counter classes (root/cimv2): two readings 30 s apart become rates
// with the formulas of docs/azure-migrate.md §2.2, in BigInt until the final division. The first reading of an
// instance only primes; a counter that went backwards (VM restart, instance re-created) drops the pair.
import type { Sample } from '../../model/index.js';
import { propBigInt, propNumber, propString, type CimInstance } from '../wsman/index.js';

export const NS_CIMV2 = 'root/cimv2';
const TIMES = 'Timestamp_PerfTime, Frequency_PerfTime, Timestamp_Sys100NS';
export const VP_CLASS = 'Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor';
export const MEMORY_CLASS = 'Win32_PerfRawData_BalancerStats_HyperVDynamicMemoryVM';
export const STORAGE_CLASS = 'Win32_PerfRawData_Counters_HyperVVirtualStorageDevice';
export const NETWORK_CLASS = 'Win32_PerfRawData_NvspNicStats_HyperVVirtualNetworkAdapter';

/** Projections keep the responses small: only the counters used, always with Name and the time base. */
export const PERF_QUERIES = {
  vp: `SELECT Name, PercentGuestRunTime, PercentGuestRunTime_Base, ${TIMES} FROM ${VP_CLASS}`,
  memory: `SELECT Name, CurrentPressure, GuestVisiblePhysicalMemory, ${TIMES} FROM ${MEMORY_CLASS}`,
  storage: `SELECT Name, ReadBytesPersec, WriteBytesPersec, ReadOperationsPerSec, WriteOperationsPerSec, ${TIMES} FROM ${STORAGE_CLASS}`,
  network: `SELECT Name, BytesReceivedPersec, BytesSentPersec, ${TIMES} FROM ${NETWORK_CLASS}`,
} as const;
export type PerfClassKey = keyof typeof PERF_QUERIES;
export type PerfReadings = Record<PerfClassKey, CimInstance[]>;

/** What the inventory tells the sampler about the VMs of one host. */
export interface PerfMapping {
  /** VM name (as the counters name it) -> machine id and startup memory. */
  vmByName(name: string): { machine: string; memoryMB: number } | null;
  /** True when the name belongs to several VMs (not mappable, but not unknown either). */
  ambiguous?(name: string): boolean;
  /** Storage instance name (VHD path with "\" -> "-", lower case) -> machine and disk id. */
  diskByInstance(instance: string): { machine: string; disk: string } | null;
  /** NIC GUID (lower case) -> machine and NIC id. */
  nicByGuid(guid: string): { machine: string; nic: string } | null;
}

/** 100 ns intervals between 1601-01-01 and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** Storage counter instance name for a VHD path, as Windows forms it (lower case for lookups). */
export function storageInstanceKey(path: string): string {
  return path.replace(/\\/g, '-').toLowerCase();
}

/** "<VM name>:Hv VP <n>" -> VM name; VM names may contain ':' and spaces, so only the suffix is cut. */
export function vmNameOfVp(instance: string): string | null {
  const m = /^(.*):Hv VP \d+$/.exec(instance);
  return m?.[1] ?? null;
}

const GUID_RE = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/g;

/** The NIC GUID in an adapter instance name "<VM>_<adapter>_<VMGUID>--<NICGUID>": the last GUID. */
export function nicGuidOfInstance(instance: string): string | null {
  const all = instance.match(GUID_RE);
  return all?.at(-1)?.toLowerCase() ?? null;
}

interface Timing {
  perf: bigint;
  freq: bigint;
  sys: bigint | null;
}

function timing(i: CimInstance): Timing | null {
  const perf = propBigInt(i, 'Timestamp_PerfTime');
  const freq = propBigInt(i, 'Frequency_PerfTime');
  if (perf === null || freq === null || freq <= 0n) return null;
  return { perf, freq, sys: propBigInt(i, 'Timestamp_Sys100NS') };
}

/** The end of the interval in epoch ms (from the host's clock), or the poll time when absent. */
function endMs(t: Timing, fallbackMs: number): number {
  if (t.sys === null || t.sys <= FILETIME_UNIX_EPOCH) return fallbackMs;
  return Number((t.sys - FILETIME_UNIX_EPOCH) / 10_000n);
}

/** Ratio of two BigInts as a Number without losing precision on large numerators. */
function ratio(num: bigint, den: bigint): number {
  const scaled = (num * 1_000_000n) / den;
  return Number(scaled) / 1_000_000;
}

/** 6 decimals is far below any unit that matters and keeps values stable for comparison. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** One sample() call's working state, shared by the per-class passes below. */
interface Pass {
  prev: Map<string, CimInstance>;
  next: Map<string, CimInstance>;
  map: PerfMapping;
  pollMs: number;
  samples: Sample[];
  unmapped: string[];
  resets: number;
}

/** Records the current reading for next time and returns the previous one of the same instance. */
function keep(p: Pass, cls: string, i: CimInstance): CimInstance | undefined {
  const name = propString(i, 'Name') ?? '';
  const key = `${cls}|${name}`;
  const before = p.prev.get(key);
  p.next.set(key, i);
  return before;
}

/** Seconds between two readings, or null when the time base went backwards or changed. */
function interval(t0: Timing, t1: Timing): number | null {
  const dt = t1.perf - t0.perf;
  if (dt <= 0n || t1.freq !== t0.freq) return null;
  return ratio(dt, t1.freq);
}

interface VpSums {
  n: bigint;
  d: bigint;
  t0: Timing;
  t1: Timing;
  broken: boolean;
}

/** Sums dGuestRunTime and dBase per VM over its virtual processors (one VM, many VP instances). */
function sumVpDeltas(p: Pass, list: CimInstance[]): Map<string, VpSums> {
  const byVm = new Map<string, VpSums>();
  for (const i of list) {
    const name = propString(i, 'Name') ?? '';
    const before = keep(p, 'vp', i);
    const vm = vmNameOfVp(name);
    if (vm === null) continue; // _Total and anything that is not a VM's processor
    if (!before) continue;
    const n1 = propBigInt(i, 'PercentGuestRunTime');
    const b1 = propBigInt(i, 'PercentGuestRunTime_Base');
    const n0 = propBigInt(before, 'PercentGuestRunTime');
    const b0 = propBigInt(before, 'PercentGuestRunTime_Base');
    const t0 = timing(before);
    const t1 = timing(i);
    if (n1 === null || b1 === null || n0 === null || b0 === null || !t0 || !t1) continue;
    const acc = byVm.get(vm) ?? { n: 0n, d: 0n, t0, t1, broken: false };
    if (n1 < n0 || b1 <= b0) acc.broken = true;
    else {
      acc.n += n1 - n0;
      acc.d += b1 - b0;
    }
    byVm.set(vm, acc);
  }
  return byVm;
}

/** CPU: 100 * sum(dGuestRunTime) / sum(dBase) over the VM's virtual processors. */
function cpuSamples(p: Pass, list: CimInstance[]): void {
  for (const [vm, acc] of sumVpDeltas(p, list)) {
    const target = p.map.vmByName(vm);
    if (!target) {
      if (!p.map.ambiguous?.(vm)) p.unmapped.push(`vp:${vm}`);
      continue;
    }
    const sec = interval(acc.t0, acc.t1);
    if (acc.broken || acc.d <= 0n || sec === null) {
      p.resets++;
      continue;
    }
    const value = Math.min(100, Math.max(0, round6(100 * ratio(acc.n, acc.d))));
    p.samples.push({
      machine: target.machine,
      metric: 'cpu.usage.percent',
      instance: '',
      ts: endMs(acc.t1, p.pollMs),
      value,
      intervalSec: Math.round(sec),
    });
  }
}

/** Memory: used MB = CurrentPressure x GuestVisiblePhysicalMemory / 100, as a percent of startup memory. */
function memorySamples(p: Pass, list: CimInstance[]): void {
  for (const i of list) {
    const name = propString(i, 'Name') ?? '';
    const before = keep(p, 'memory', i);
    const target = p.map.vmByName(name);
    if (!target) {
      if (name && name !== '_Total' && !p.map.ambiguous?.(name)) p.unmapped.push(`memory:${name}`);
      continue;
    }
    const t0 = before ? timing(before) : null;
    const t1 = timing(i);
    const sec = t0 && t1 ? interval(t0, t1) : null;
    const pressure = propNumber(i, 'CurrentPressure');
    const visible = propNumber(i, 'GuestVisiblePhysicalMemory');
    // A VM without working integration services reports 0 pressure / 0 visible memory: no data, not 0 %.
    if (sec === null || !t1 || pressure === null || visible === null || pressure <= 0 || visible <= 0 || target.memoryMB <= 0) continue;
    const usedMB = (pressure * visible) / 100;
    const value = Math.min(100, Math.max(0, round6((usedMB / target.memoryMB) * 100)));
    p.samples.push({
      machine: target.machine,
      metric: 'memory.usage.percent',
      instance: '',
      ts: endMs(t1, p.pollMs),
      value,
      intervalSec: Math.round(sec),
    });
  }
}

type CounterTarget = (name: string) => { machine: string; instance: string } | null;

/**
 * Rates of one instance's counters, (N1 - N0) / ((T1 - T0) / F); null when one went backwards, which
 * drops the whole instance for this poll (a reset, not a partial reading).
 */
function instanceRates(
  i: CimInstance,
  before: CimInstance,
  t1: Timing,
  dt: bigint,
  props: Array<[string, Sample['metric']]>,
  to: { machine: string; instance: string },
  pollMs: number,
): Sample[] | null {
  const out: Sample[] = [];
  for (const [prop, metric] of props) {
    const n1 = propBigInt(i, prop);
    const n0 = propBigInt(before, prop);
    if (n1 === null || n0 === null) continue;
    if (n1 < n0) return null;
    const value = round6(ratio((n1 - n0) * t1.freq, dt));
    out.push({
      machine: to.machine,
      metric,
      instance: to.instance,
      ts: endMs(t1, pollMs),
      value,
      intervalSec: Math.round(ratio(dt, t1.freq)),
    });
  }
  return out;
}

/** Counter classes (storage, network): a rate per mapped instance and counter. */
function counterRates(p: Pass, cls: string, list: CimInstance[], props: Array<[string, Sample['metric']]>, target: CounterTarget): void {
  for (const i of list) {
    const name = propString(i, 'Name') ?? '';
    const before = keep(p, cls, i);
    const to = target(name);
    if (!to) continue;
    if (!before) continue;
    const t0 = timing(before);
    const t1 = timing(i);
    if (!t0 || !t1) continue;
    const dt = t1.perf - t0.perf;
    if (dt <= 0n || t0.freq !== t1.freq) {
      p.resets++;
      continue;
    }
    const out = instanceRates(i, before, t1, dt, props, to, p.pollMs);
    if (out === null) p.resets++;
    else p.samples.push(...out);
  }
}

const STORAGE_COUNTERS: Array<[string, Sample['metric']]> = [
  ['ReadBytesPersec', 'disk.read.bytesPerSec'],
  ['WriteBytesPersec', 'disk.write.bytesPerSec'],
  ['ReadOperationsPerSec', 'disk.read.opsPerSec'],
  ['WriteOperationsPerSec', 'disk.write.opsPerSec'],
];

const NETWORK_COUNTERS: Array<[string, Sample['metric']]> = [
  ['BytesReceivedPersec', 'net.received.bytesPerSec'],
  ['BytesSentPersec', 'net.transmitted.bytesPerSec'],
];

/** Storage instance name -> the VM's disk (unmapped names are reported). */
function storageTarget(p: Pass): CounterTarget {
  return (name) => {
    const d = p.map.diskByInstance(name.toLowerCase());
    if (!d) {
      p.unmapped.push(`storage:${name}`);
      return null;
    }
    return { machine: d.machine, instance: d.disk };
  };
}

/** Network adapter instance name -> the VM's NIC (unmapped names are reported). */
function networkTarget(p: Pass): CounterTarget {
  return (name) => {
    // Host-side adapters (the switch's own ports, teamed NICs) belong to no VM.
    if (name.startsWith('__') || name.startsWith('Default Switch_')) return null;
    const guid = nicGuidOfInstance(name);
    const n = guid ? p.map.nicByGuid(guid) : null;
    if (!n) {
      p.unmapped.push(`network:${name}`);
      return null;
    }
    return { machine: n.machine, instance: n.nic };
  };
}

/** Per-host sampler: keeps the previous raw reading of every counter instance between polls. */
export class PerfSampler {
  private prev = new Map<string, CimInstance>();

  /** Instances seen in the last reading; exposed for tests and diagnostics. */
  get primed(): number {
    return this.prev.size;
  }

  /**
   * Turns the current readings into samples against the previous ones, then keeps the current
   * readings for next time. Unmapped instances are counted in `unmapped` (the caller refreshes
   * the inventory when there are some).
   */
  sample(cur: PerfReadings, map: PerfMapping, pollMs: number): { samples: Sample[]; unmapped: string[]; resets: number } {
    const p: Pass = { prev: this.prev, next: new Map(), map, pollMs, samples: [], unmapped: [], resets: 0 };
    cpuSamples(p, cur.vp);
    memorySamples(p, cur.memory);
    counterRates(p, 'storage', cur.storage, STORAGE_COUNTERS, storageTarget(p));
    counterRates(p, 'network', cur.network, NETWORK_COUNTERS, networkTarget(p));
    this.prev = p.next;
    return { samples: p.samples, unmapped: p.unmapped, resets: p.resets };
  }
}
