// The simulated Hyper-V world built from an estate: which host each VM runs on, its power state and
// when its counters started. Tests and the lab change it at run time (move a VM to another cluster
// node, restart it, take a host down); the CIM layers read it on every request.
import { stableUuid, type Estate, type EstateHost, type EstateVm } from '../estate.js';
import { hash32 } from '../workload.js';

/** The raw counters' slot: the workload is constant over 30-second slots, as Azure Migrate samples. */
export const SLOT_SEC = 30;

export interface SimVm {
  vm: EstateVm;
  /** Upper-case VM GUID, as Msvm_ComputerSystem.Name shows it. */
  guid: string;
  host: string;
  powerState: EstateVm['powerState'];
  /** Epoch ms when the VM's counters started (its last start); counters integrate from here. */
  startedMs: number;
  disks: Array<{
    index: number;
    virtualDiskId: string;
    driveGuid: string;
    path: string;
    vhdType: 2 | 3 | 4;
    capacityBytes: number;
    sizeGB: number;
  }>;
  nics: Array<{ index: number; guid: string; mac: string; switchName: string }>;
  /** Large per-VM offsets so raw counters exceed 2^53, as on long-running hosts. */
  counterOffset: bigint;
}

export interface SimHost {
  host: EstateHost;
  name: string;
  cluster: string | null;
  down: boolean;
  /** Epoch ms of the host's boot: Timestamp_PerfTime counts 100 ns ticks from here. */
  bootMs: number;
}

const VHD_TYPES: Record<string, 2 | 3 | 4> = { fixed: 2, thick: 2, eagerzeroedthick: 2, dynamic: 3, thin: 3, differencing: 4 };

/** Hyper-V's VHD type code (2 fixed, 3 dynamic, 4 differencing) for an estate disk type. */
export function vhdTypeCode(type: string): 2 | 3 | 4 {
  return VHD_TYPES[type.toLowerCase()] ?? 3;
}

export class HypervWorld {
  readonly hosts = new Map<string, SimHost>();
  readonly vms = new Map<string, SimVm>();
  /** Bumped on every change so cached renderings can be dropped. */
  generation = 0;

  constructor(
    readonly estate: Estate,
    readonly clock: () => number = Date.now,
    onlyHosts?: string[],
  ) {
    const now = clock();
    const slotMs = SLOT_SEC * 1000;
    const wanted = onlyHosts ? new Set(onlyHosts.map((h) => h.toLowerCase())) : null;
    for (const h of estate.hosts) {
      if (h.platform !== 'hyperv') continue;
      if (wanted && !wanted.has(h.name.toLowerCase())) continue;
      // Booted a few hours before the lab started, on a whole second.
      const bootMs = Math.floor(now / 1000) * 1000 - (3 + (hash32(`boot|${h.name}`) % 48)) * 3_600_000;
      this.hosts.set(h.name.toLowerCase(), { host: h, name: h.name, cluster: h.cluster, down: h.down, bootMs });
    }
    for (const vm of estate.vms) {
      if (!this.hosts.has(vm.host.name.toLowerCase())) continue;
      const seed = estate.seed;
      // Started some whole slots before the lab, so the first readings already have history.
      const startedMs = Math.floor(now / slotMs) * slotMs - (2 + (hash32(`start|${vm.name}`) % 20)) * slotMs;
      this.vms.set(vm.instanceUuid.toUpperCase(), {
        vm,
        guid: vm.instanceUuid.toUpperCase(),
        host: vm.host.name,
        powerState: vm.powerState,
        startedMs,
        disks: vm.disks.map((d, i) => ({
          index: i,
          virtualDiskId: stableUuid(seed, 'vdisk', vm.name, String(i)).toUpperCase(),
          driveGuid: stableUuid(seed, 'drive', vm.name, String(i)).toUpperCase(),
          path: d.path,
          vhdType: vhdTypeCode(d.type),
          capacityBytes: d.capacityBytes,
          sizeGB: d.sizeGB,
        })),
        nics: vm.nics.map((n, i) => ({
          index: i,
          guid: stableUuid(seed, 'nic', vm.name, String(i)).toUpperCase(),
          mac: n.mac,
          switchName: n.network,
        })),
        counterOffset: (BigInt(hash32(`offset|${seed}|${vm.name}`)) << 30n) + 9_007_199_254_740_993n,
      });
    }
  }

  host(name: string): SimHost | undefined {
    return this.hosts.get(name.toLowerCase());
  }

  /** VMs currently placed on a host, in estate order. */
  vmsOn(hostName: string): SimVm[] {
    const key = hostName.toLowerCase();
    return [...this.vms.values()].filter((v) => v.host.toLowerCase() === key);
  }

  /** Cluster node names (estate order) of a cluster. */
  clusterNodes(cluster: string): SimHost[] {
    return [...this.hosts.values()].filter((h) => h.cluster?.toLowerCase() === cluster.toLowerCase());
  }

  vmByName(name: string): SimVm {
    const v = [...this.vms.values()].find((x) => x.vm.name === name);
    if (!v) throw new Error(`no VM named ${name} in the lab`);
    return v;
  }

  /** Live migration: the VM keeps its GUID, disks and NICs; only its host changes. */
  moveVm(name: string, toHost: string): void {
    const h = this.host(toHost);
    if (!h) throw new Error(`no Hyper-V host ${toHost} in the lab`);
    this.vmByName(name).host = h.name;
    this.generation++;
  }

  /** A restart re-creates the VM's counter instances from zero (as Windows does). */
  restartVm(name: string): void {
    const v = this.vmByName(name);
    v.startedMs = this.clock();
    v.counterOffset = 0n;
    v.powerState = 'poweredOn';
    this.generation++;
  }

  setPowerState(name: string, state: SimVm['powerState']): void {
    const v = this.vmByName(name);
    if (state === 'poweredOn' && v.powerState !== 'poweredOn') {
      v.startedMs = this.clock();
      v.counterOffset = 0n;
    }
    v.powerState = state;
    this.generation++;
  }
}
