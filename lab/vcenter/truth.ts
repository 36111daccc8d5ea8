// What the lab vCenter reports, derived only from the estate: where each disk sits (controller, bus,
// unit, so its perf instance name "scsi<bus>:<unit>"), and each counter's value in each 20-second slot.
// Tests and benchmarks call these same functions to know the truth without talking to the server.
import type { EstateVm, WorkloadKey } from '../estate.js';
import { hash32, workloadValue } from '../workload.js';

/** Disks sit on paravirtual SCSI controllers 1000.. (bus 0..), 15 units each; unit 7 is the controller's own. */
export const SCSI_CONTROLLER_KEY = 1000;
const UNITS = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15];

export function diskSlot(i: number): { controllerKey: number; bus: number; unitNumber: number; instance: string } {
  const bus = Math.floor(i / UNITS.length);
  const unitNumber = UNITS[i % UNITS.length] ?? 0; // i % length is always an index
  return { controllerKey: SCSI_CONTROLLER_KEY + bus, bus, unitNumber, instance: `scsi${bus}:${unitNumber}` };
}

/** Number of SCSI controllers a VM with n disks has (at least one, as vCenter creates VMs). */
export function scsiControllerCount(disks: number): number {
  return Math.max(1, Math.ceil(disks / UNITS.length));
}

/**
 * The estate's rate for one series in the 20-s slot that ENDS at `endMs` (vCenter stamps samples
 * with the end of their interval). Units as in the estate: percent, bytes/s or ops/s.
 * Series key: hash32("<seed>|<vm name>|<series>|<instance>"), instance "" for cpu/memory and the
 * estate disk id ("2000") / NIC id ("4000") otherwise, so the same VM yields the same truth in
 * every simulator that uses this key.
 */
export function estateRate(seed: number, vm: EstateVm, series: WorkloadKey, instance: string, endMs: number, slotSec = 20): number {
  return seriesRate(seed, vm, series, instance, slotSec)(endMs);
}

/** estateRate for one series as a function of the slot end, with the series key hashed once. */
export function seriesRate(seed: number, vm: EstateVm, series: WorkloadKey, instance: string, slotSec = 20): (endMs: number) => number {
  const percent = series === 'cpu' || series === 'memory';
  const spec = vm.workload[series];
  const key = hash32(`${seed}|${vm.name}|${series}|${instance}`);
  return (endMs) => workloadValue(spec, key, endMs - slotSec * 1000, slotSec, percent);
}

/** vSphere units: hundredths of a percent, KBps (rounded, as vCenter stores integers), ops/s. */
export const toHundredths = (percent: number): number => Math.round(percent * 100);
export const toKBps = (bytesPerSec: number): number => Math.round(bytesPerSec / 1024);
export const toOps = (opsPerSec: number): number => Math.round(opsPerSec);

/** Nominal physical core speed of the lab hosts, for cpu.usagemhz. */
export const HOST_CPU_MHZ = 2400;
