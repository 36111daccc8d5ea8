// Test helpers: the simulator's backend read directly (no wire), and what the collector must find
// for an estate VM, derived from the estate and the lab's id rules.
import type { CimReader } from '../../../collectors/hyperv/host-reader.js';
import type { CimInstance } from '../../../collectors/wsman/index.js';
import { machineId, type Machine } from '../../../model/index.js';
import { HypervHostBackend } from '../../../lab/hyperv/backend.js';
import { SLOT_SEC, type HypervWorld, type SimVm } from '../../../lab/hyperv/world.js';
import { workloadValue } from '../../../lab/workload.js';
import { guestVisibleMemoryMB, SeriesIntegrator, seriesKey } from '../../../lab/hyperv/cim-perf.js';

const SLOT = SLOT_SEC * 1000;

export function directReader(world: HypervWorld, hostName: string, counter?: { n: number }): CimReader {
  const backend = new HypervHostBackend({
    world,
    host: world.host(hostName)!,
    integrator: new SeriesIntegrator(),
  });
  const parse = (uri: string): { resourceUri: string; selectors: Record<string, string> } => ({ resourceUri: uri, selectors: {} });
  return {
    async enumerateAll(uri, opts) {
      if (counter) counter.n++;
      const items = backend.enumerate({
        ...parse(uri),
        filter: opts?.wql ? { dialect: 'http://schemas.microsoft.com/wbem/wsman/1/WQL', text: opts.wql } : undefined,
        user: 'test',
      });
      return items.map((i) => ({ className: i.className, properties: i.properties as CimInstance['properties'] }));
    },
    async invoke(uri, method, selectors, params) {
      if (counter) counter.n++;
      const r = backend.invoke({ resourceUri: uri, method, selectors, params, user: 'test' });
      return { className: r.className, properties: r.properties as CimInstance['properties'] };
    },
  };
}

const TYPES: Record<number, string> = { 2: 'fixed', 3: 'dynamic', 4: 'differencing' };

/** The machine the collector must report for a simulated VM (powered-off VMs have no guest facts, as on Windows). */
export function expectedMachine(v: SimVm, source: string, cluster: string | null): Machine {
  const vm = v.vm;
  const on = v.powerState === 'poweredOn';
  const dyn = vm.dynamicMemory?.enabled ?? false;
  return {
    id: machineId('hyperv', 'vm', vm.instanceUuid),
    source,
    kind: 'hyperv',
    name: vm.name,
    moref: null,
    biosUuid: vm.biosUuid.toLowerCase(),
    instanceId: vm.instanceUuid.toUpperCase(),
    cpuCores: vm.cpus,
    memoryMB: vm.memoryMB,
    os: on
      ? { name: vm.os.name, id: null, version: vm.os.version, architecture: 'x64' }
      : { name: null, id: null, version: null, architecture: null },
    firmware: vm.generation === 2 ? 'uefi' : 'bios',
    powerState: v.powerState,
    host: v.host,
    cluster,
    datacenter: null,
    disks: v.disks.map((d) => ({
      id: d.virtualDiskId.toLowerCase(),
      capacityBytes: d.capacityBytes,
      label: d.path.split('\\').pop()!,
      path: d.path,
      type: TYPES[d.vhdType]!,
      controllerKey: null,
      unitNumber: null,
    })),
    nics: v.nics.map((n) => ({
      id: n.guid.toLowerCase(),
      mac: n.mac,
      label: 'Network Adapter',
      network: n.switchName,
      ipAddresses: on && n.index === 0 ? vm.ipAddresses : [],
    })),
    ipAddresses: on ? vm.ipAddresses : [],
    fqdn: on ? vm.fqdn : null,
    annotation: vm.annotation,
    memory: { startupMB: vm.memoryMB, dynamic: dyn, maximumMB: dyn ? vm.dynamicMemory!.maximumMB : null },
    generation: vm.generation,
  };
}

/** The samples the estate prescribes for a VM over the slot starting at t0 (memory: the slot holding t1). */
export function truth(world: HypervWorld, vmName: string, t0: number): Map<string, number> {
  const v = world.vmByName(vmName);
  const vm = v.vm;
  const w = vm.workload;
  const k = (s: Parameters<typeof seriesKey>[2], inst = ''): number => seriesKey(world.estate.seed, vm.name, s, inst);
  const out = new Map<string, number>();
  out.set('cpu.usage.percent|', workloadValue(w.cpu, k('cpu'), t0, SLOT_SEC, true));
  const gv = guestVisibleMemoryMB(vm);
  const pressure = Math.round((workloadValue(w.memory, k('memory'), t0 + SLOT, SLOT_SEC, true) * vm.memoryMB) / gv);
  out.set('memory.usage.percent|', (pressure * gv) / vm.memoryMB);
  v.disks.forEach((d) => {
    const id = d.virtualDiskId.toLowerCase();
    const inst = String(2000 + d.index);
    out.set(`disk.read.bytesPerSec|${id}`, workloadValue(w.diskReadBytesPerSec, k('diskReadBytesPerSec', inst), t0, SLOT_SEC, false));
    out.set(`disk.write.bytesPerSec|${id}`, workloadValue(w.diskWriteBytesPerSec, k('diskWriteBytesPerSec', inst), t0, SLOT_SEC, false));
    out.set(`disk.read.opsPerSec|${id}`, workloadValue(w.diskReadOpsPerSec, k('diskReadOpsPerSec', inst), t0, SLOT_SEC, false));
    out.set(`disk.write.opsPerSec|${id}`, workloadValue(w.diskWriteOpsPerSec, k('diskWriteOpsPerSec', inst), t0, SLOT_SEC, false));
  });
  v.nics.forEach((n) => {
    const id = n.guid.toLowerCase();
    const inst = String(4000 + n.index);
    out.set(
      `net.received.bytesPerSec|${id}`,
      workloadValue(w.netReceivedBytesPerSec, k('netReceivedBytesPerSec', inst), t0, SLOT_SEC, false),
    );
    out.set(
      `net.transmitted.bytesPerSec|${id}`,
      workloadValue(w.netTransmittedBytesPerSec, k('netTransmittedBytesPerSec', inst), t0, SLOT_SEC, false),
    );
  });
  return out;
}
