// The Win32_PerfRawData_* classes (root/cimv2) a Hyper-V host answers: raw counters that increase
// monotonically because they integrate the estate's workload (lab/workload.ts) slot by slot, so a
// client computing rates with the perf-time base (docs/azure-migrate.md §2.2) gets back exactly the workload of
// the 30-second slots between its two readings. All counter arithmetic is BigInt (values exceed 2^53).
import type { WorkloadKey, WorkloadSeries } from '../estate.js';
import { hash32, workloadValue } from '../workload.js';
import type { SimInstance } from './cim-inventory.js';
import { SLOT_SEC, type HypervWorld, type SimHost, type SimVm } from './world.js';

export const PERF_FREQUENCY = 10_000_000n;
/** 100 ns intervals between 1601-01-01 and 1970-01-01 (FILETIME epoch). */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;

export const VP_CLASS = 'Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor';
export const MEMORY_CLASS = 'Win32_PerfRawData_BalancerStats_HyperVDynamicMemoryVM';
export const STORAGE_CLASS = 'Win32_PerfRawData_Counters_HyperVVirtualStorageDevice';
export const NETWORK_CLASS = 'Win32_PerfRawData_NvspNicStats_HyperVVirtualNetworkAdapter';
export const PERF_CLASSES = [VP_CLASS, MEMORY_CLASS, STORAGE_CLASS, NETWORK_CLASS] as const;

/** The workload key of a series: hash32("seed|vm|series|instance"); instance is "" or the estate disk/NIC id. */
export function seriesKey(seed: number, vmName: string, series: WorkloadKey, instance = ''): number {
  return hash32(`${seed}|${vmName}|${series}|${instance}`);
}

/** Storage counter instance name: the VHD path with "\" replaced by "-" (as Windows names it). */
export function storageInstanceName(path: string): string {
  return path.replace(/\\/g, '-');
}

/** Network adapter counter instance name: "<VM name>_Network Adapter_<VM GUID>--<NIC GUID>". */
export function networkInstanceName(vmName: string, vmGuid: string, nicGuid: string): string {
  return `${vmName}_Network Adapter_${vmGuid}--${nicGuid}`;
}

/** Guest-visible memory the lab reports: startup memory, or 1.5x it (up to the maximum) with dynamic memory. */
export function guestVisibleMemoryMB(vm: SimVm['vm']): number {
  if (!vm.dynamicMemory?.enabled) return vm.memoryMB;
  return Math.min(vm.dynamicMemory.maximumMB, Math.round(vm.memoryMB * 1.5));
}

/**
 * Integrates a series over [from, t) in "centi-unit milliseconds" (value x 100 x ms), exactly, with a
 * per-series cache so each read only adds the slots elapsed since the previous one.
 */
export class SeriesIntegrator {
  private readonly cache = new Map<string, { from: number; at: number; cum: bigint }>();

  integral(id: string, spec: WorkloadSeries, key: number, percent: boolean, from: number, t: number): bigint {
    if (t <= from) return 0n;
    const slotMs = SLOT_SEC * 1000;
    let c = this.cache.get(id);
    if (!c || c.from !== from || c.at > t) c = { from, at: from, cum: 0n };
    let { at, cum } = c;
    for (;;) {
      const slotStart = Math.floor(at / slotMs) * slotMs;
      const slotEnd = slotStart + slotMs;
      if (slotEnd > t) break;
      cum += BigInt(Math.round(workloadValue(spec, key, slotStart, SLOT_SEC, percent) * 100)) * BigInt(slotEnd - at);
      at = slotEnd;
    }
    this.cache.set(id, { from, at, cum });
    const slotStart = Math.floor(at / slotMs) * slotMs;
    return cum + BigInt(Math.round(workloadValue(spec, key, slotStart, SLOT_SEC, percent) * 100)) * BigInt(t - at);
  }
}

function timestamps(host: SimHost, t: number): Record<string, string> {
  const perf = BigInt(t - host.bootMs) * 10_000n;
  const sys = (BigInt(t) + FILETIME_EPOCH_OFFSET_MS) * 10_000n;
  return {
    Frequency_Object: String(PERF_FREQUENCY),
    Frequency_PerfTime: String(PERF_FREQUENCY),
    Frequency_Sys100NS: String(PERF_FREQUENCY),
    Timestamp_Object: String(sys),
    Timestamp_PerfTime: String(perf),
    Timestamp_Sys100NS: String(sys),
  };
}

/** What every class builder of one perfClasses() call reads. */
interface PerfPass {
  integ: SeriesIntegrator;
  t: number;
  seed: number;
  ts: Record<string, string>;
  slotStart: number;
}

/** A bulk counter (bytes or operations since the VM started), offset per VM and instance so none starts at 0. */
function bulk(p: PerfPass, v: SimVm, series: WorkloadKey, instance: string): bigint {
  const id = `${v.guid}|${series}|${instance}`;
  const centi = p.integ.integral(id, v.vm.workload[series], seriesKey(p.seed, v.vm.name, series, instance), false, v.startedMs, p.t);
  return v.counterOffset + BigInt(hash32(id)) + centi / 100_000n;
}

/** The VM's virtual processors, with their guest and base sums for the host's _Total instance. */
function vpInstances(p: PerfPass, v: SimVm): { list: SimInstance[]; guest: bigint; base: bigint } {
  const vm = v.vm;
  // CPU: every virtual processor runs at the VM's workload, so their mean is the workload.
  const guest = p.integ.integral(`${v.guid}|cpu`, vm.workload.cpu, seriesKey(p.seed, vm.name, 'cpu'), true, v.startedMs, p.t);
  const base = BigInt(p.t - v.startedMs) * 10_000n;
  const out = { list: [] as SimInstance[], guest: 0n, base: 0n };
  for (let n = 0; n < vm.cpus; n++) {
    const off = v.counterOffset + BigInt(n) * 1_000_003n;
    const hv = guest / 50n;
    out.list.push({
      className: VP_CLASS,
      properties: {
        Caption: null,
        Description: null,
        Name: `${vm.name}:Hv VP ${n}`,
        PercentGuestRunTime: String(off + guest),
        PercentGuestRunTime_Base: String(off + base),
        PercentHypervisorRunTime: String(off + hv),
        PercentHypervisorRunTime_Base: String(off + base),
        PercentRemoteRunTime: String(off),
        PercentRemoteRunTime_Base: String(off + base),
        PercentTotalRunTime: String(off + guest + hv),
        PercentTotalRunTime_Base: String(off + base),
        ...p.ts,
      },
    });
    out.guest += off + guest;
    out.base += off + base;
  }
  return out;
}

/** The host's _Total processor instance; its other properties copy the first VP's. */
function vpTotal(p: PerfPass, first: SimInstance | undefined, totalGuest: bigint, totalBase: bigint): SimInstance {
  return {
    className: VP_CLASS,
    properties: {
      ...(first?.properties ?? {}),
      Name: '_Total',
      PercentGuestRunTime: String(totalGuest),
      PercentGuestRunTime_Base: String(totalBase),
      PercentHypervisorRunTime: String(totalGuest / 50n),
      PercentHypervisorRunTime_Base: String(totalBase),
      PercentRemoteRunTime: '0',
      PercentRemoteRunTime_Base: String(totalBase),
      PercentTotalRunTime: String(totalGuest + totalGuest / 50n),
      PercentTotalRunTime_Base: String(totalBase),
      Caption: null,
      Description: null,
      ...p.ts,
    },
  };
}

/** Dynamic memory: pressure is a gauge (the current slot's workload), not a counter. */
function memoryInstance(p: PerfPass, v: SimVm): SimInstance {
  const vm = v.vm;
  const gvpm = guestVisibleMemoryMB(vm);
  const usage = workloadValue(vm.workload.memory, seriesKey(p.seed, vm.name, 'memory'), p.slotStart, SLOT_SEC, true);
  const pressure = Math.round((usage * vm.memoryMB) / gvpm);
  return {
    className: MEMORY_CLASS,
    properties: {
      Caption: null,
      Description: null,
      Name: vm.name,
      AddedMemory: String(Math.max(0, gvpm - vm.memoryMB)),
      AveragePressure: String(pressure),
      CurrentPressure: String(pressure),
      GuestVisiblePhysicalMemory: String(gvpm),
      MaximumPressure: String(Math.min(200, pressure + 10)),
      MemoryAddOperations: gvpm > vm.memoryMB ? '1' : '0',
      MemoryRemoveOperations: '0',
      MinimumPressure: String(Math.max(0, pressure - 10)),
      PhysicalMemory: String(gvpm),
      RemovedMemory: '0',
      ...p.ts,
    },
  };
}

function storageInstances(p: PerfPass, v: SimVm): SimInstance[] {
  return v.disks.map((d) => {
    const inst = String(2000 + d.index);
    return {
      className: STORAGE_CLASS,
      properties: {
        Caption: null,
        Description: null,
        Name: storageInstanceName(d.path),
        ErrorCount: '0',
        FlushCount: '0',
        Latency: '0',
        QueueLength: '0',
        ReadBytesPersec: String(bulk(p, v, 'diskReadBytesPerSec', inst)),
        ReadCount: String(bulk(p, v, 'diskReadOpsPerSec', inst)),
        ReadOperationsPerSec: String(bulk(p, v, 'diskReadOpsPerSec', inst)),
        WriteBytesPersec: String(bulk(p, v, 'diskWriteBytesPerSec', inst)),
        WriteCount: String(bulk(p, v, 'diskWriteOpsPerSec', inst)),
        WriteOperationsPerSec: String(bulk(p, v, 'diskWriteOpsPerSec', inst)),
        ...p.ts,
      },
    };
  });
}

function networkInstances(p: PerfPass, v: SimVm): SimInstance[] {
  return v.nics.map((n) => {
    const inst = String(4000 + n.index);
    const rx = bulk(p, v, 'netReceivedBytesPerSec', inst);
    const tx = bulk(p, v, 'netTransmittedBytesPerSec', inst);
    return {
      className: NETWORK_CLASS,
      properties: {
        Caption: null,
        Description: null,
        Name: networkInstanceName(v.vm.name, v.guid, n.guid),
        BytesPersec: String(rx + tx),
        BytesReceivedPersec: String(rx),
        BytesSentPersec: String(tx),
        DroppedPacketsIncomingPersec: '0',
        DroppedPacketsOutgoingPersec: '0',
        PacketsReceivedPersec: String(rx / 1500n),
        PacketsSentPersec: String(tx / 1500n),
        ...p.ts,
      },
    };
  });
}

/** A host-side adapter that belongs to no VM (a client must skip it). */
function hostNic(p: PerfPass, name: string): SimInstance {
  return {
    className: NETWORK_CLASS,
    properties: {
      Caption: null,
      Description: null,
      Name: name,
      BytesPersec: '123456789',
      BytesReceivedPersec: '100000000',
      BytesSentPersec: '23456789',
      DroppedPacketsIncomingPersec: '0',
      DroppedPacketsOutgoingPersec: '0',
      PacketsReceivedPersec: '1000',
      PacketsSentPersec: '1000',
      ...p.ts,
    },
  };
}

/** The perf classes of one host at time t (epoch ms), keyed by class name. */
export function perfClasses(
  world: HypervWorld,
  host: SimHost,
  integ: SeriesIntegrator,
  t: number,
  only?: string,
): Map<string, SimInstance[]> {
  const want = (cls: string): boolean => !only || only.toLowerCase() === cls.toLowerCase();
  const p: PerfPass = {
    integ,
    t,
    seed: world.estate.seed,
    ts: timestamps(host, t),
    slotStart: Math.floor(t / (SLOT_SEC * 1000)) * SLOT_SEC * 1000,
  };
  const vps: SimInstance[] = [];
  const mem: SimInstance[] = [];
  const disks: SimInstance[] = [];
  const nics: SimInstance[] = [];
  let totalGuest = 0n;
  let totalBase = 0n;
  for (const v of world.vmsOn(host.name)) {
    if (v.powerState !== 'poweredOn' || t < v.startedMs) continue;
    // Classes not asked for are not computed: the integrals are the expensive part.
    if (want(VP_CLASS)) {
      const cpu = vpInstances(p, v);
      vps.push(...cpu.list);
      totalGuest += cpu.guest;
      totalBase += cpu.base;
    }
    if (want(MEMORY_CLASS)) mem.push(memoryInstance(p, v));
    if (want(STORAGE_CLASS)) disks.push(...storageInstances(p, v));
    if (want(NETWORK_CLASS)) nics.push(...networkInstances(p, v));
  }
  if (want(VP_CLASS)) vps.push(vpTotal(p, vps[0], totalGuest, totalBase));
  if (want(NETWORK_CLASS))
    nics.push(
      hostNic(p, 'Default Switch_312FF9C7-1F07-4EBA-81FE-F5B4F445B810'),
      hostNic(p, '__DEVICE_{A1E2B3C4-0000-4000-8000-000000000001}'),
    );
  return new Map<string, SimInstance[]>([
    [VP_CLASS, vps],
    [MEMORY_CLASS, mem],
    [STORAGE_CLASS, disks],
    [NETWORK_CLASS, nics],
  ]);
}
