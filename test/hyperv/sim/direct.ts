// Test helpers: the simulator's backend read directly (no wire), and what the collector must find
// for an estate VM, derived from the estate and the lab's id rules.
import type { CimReader } from '../../../collectors/hyperv/host-reader.js';
import type { CimInstance } from '../../../collectors/hyperv/wsman/index.js';
import { machineId, type Machine } from '../../../collectors/model.js';
import { HypervHostBackend } from '../../../lab/hyperv/backend.js';
import { SeriesIntegrator } from '../../../lab/hyperv/cim-perf.js';
import type { HypervWorld, SimVm } from '../../../lab/hyperv/world.js';

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
      const items = backend.enumerate({ ...parse(uri), filter: opts?.wql ? { dialect: 'http://schemas.microsoft.com/wbem/wsman/1/WQL', text: opts.wql } : undefined, user: 'test' });
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
    os: on ? { name: vm.os.name, id: null, version: vm.os.version, architecture: 'x64' } : { name: null, id: null, version: null, architecture: null },
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
