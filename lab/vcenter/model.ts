// The lab vCenter's managed-object world, laid out from the estate the way vCenter lays out its
// inventory: rootFolder (group-d1) > Datacenter > vmFolder (VMs) / hostFolder (clusters and
// standalone ComputeResources) > HostSystem, with one root ResourcePool per compute resource.
// VMs are not copied: a VM's moref is derived from its estate index ("vm-<index+1000>") and its
// properties are produced on demand, so a 50,000-VM estate costs little beyond the estate itself.
import type { Estate, EstateHost, EstateVm } from '../estate.js';

export interface MoRef {
  type: string;
  value: string;
}

/** vim25 type inheritance, for PropertySpec.type, TraversalSpec.type and ContainerView type filters. */
const PARENT_TYPE: Record<string, string> = {
  Folder: 'ManagedEntity',
  Datacenter: 'ManagedEntity',
  ComputeResource: 'ManagedEntity',
  ClusterComputeResource: 'ComputeResource',
  HostSystem: 'ManagedEntity',
  VirtualMachine: 'ManagedEntity',
  ResourcePool: 'ManagedEntity',
  ContainerView: 'ManagedObjectView',
  ManagedObjectView: 'View',
};

export function isA(type: string, wanted: string): boolean {
  for (let t: string | undefined = type; t; t = PARENT_TYPE[t]) if (t === wanted) return true;
  return false;
}

export const KNOWN_TYPES = new Set([
  ...Object.keys(PARENT_TYPE),
  'ManagedEntity',
  'View',
  'ServiceInstance',
  'PropertyCollector',
  'ViewManager',
  'SessionManager',
  'PerformanceManager',
]);

export interface FolderMo {
  type: 'Folder';
  id: string;
  name: string;
  parent: MoRef | null;
  childType: string[];
  children: () => MoRef[];
}
export interface DatacenterMo {
  type: 'Datacenter';
  id: string;
  name: string;
  parent: MoRef;
  vmFolder: FolderMo;
  hostFolder: FolderMo;
  datastoreFolder: FolderMo;
  networkFolder: FolderMo;
  /** Estate indexes of the datacenter's VMs (all sit directly in its vmFolder). */
  vmIndexes: number[];
  computes: ComputeMo[];
}
export interface ComputeMo {
  type: 'ClusterComputeResource' | 'ComputeResource';
  id: string;
  name: string;
  parent: MoRef;
  datacenter: DatacenterMo;
  hosts: HostMo[];
  pool: PoolMo;
}
export interface HostMo {
  type: 'HostSystem';
  id: string;
  name: string;
  parent: MoRef;
  host: EstateHost;
  compute: ComputeMo;
  vmIndexes: number[];
}
export interface PoolMo {
  type: 'ResourcePool';
  id: string;
  name: string;
  parent: MoRef;
  compute: ComputeMo;
}
export type EntityMo = FolderMo | DatacenterMo | ComputeMo | HostMo | PoolMo;

export const ref = (type: string, value: string): MoRef => ({ type, value });
export const refOf = (mo: { type: string; id: string }): MoRef => ({ type: mo.type, value: mo.id });
export const vmRef = (vm: EstateVm): MoRef => ({ type: 'VirtualMachine', value: `vm-${vm.index + 1000}` });

/** The MoRef of the estate's VM at index i (indexes come from the estate's own lists). */
export function vmRefAt(vms: readonly EstateVm[], i: number): MoRef {
  const vm = vms[i];
  if (!vm) throw new Error(`the lab estate has no VM #${i}`);
  return vmRef(vm);
}

/** The singletons of a vCenter's ServiceContent, with vCenter's own moref values. */
export const SERVICE = {
  instance: ref('ServiceInstance', 'ServiceInstance'),
  propertyCollector: ref('PropertyCollector', 'propertyCollector'),
  viewManager: ref('ViewManager', 'ViewManager'),
  sessionManager: ref('SessionManager', 'SessionManager'),
  perfManager: ref('PerformanceManager', 'PerfMgr'),
};

export class LabInventory {
  readonly rootFolder: FolderMo;
  readonly datacenters: DatacenterMo[] = [];
  readonly hosts: HostMo[] = [];
  /** Estate indexes of this vCenter's VMs, in estate order. */
  readonly vmIndexes: number[] = [];
  readonly #byId = new Map<string, EntityMo>();
  readonly #hostOfVm = new Map<number, HostMo>();

  constructor(
    readonly estate: Estate,
    readonly vcenter: string,
  ) {
    let seq = 1;
    const next = () => ++seq;
    const datacenters = this.datacenters;
    this.rootFolder = this.#add<FolderMo>({
      type: 'Folder',
      id: 'group-d1',
      name: 'Datacenters',
      parent: null,
      childType: ['Folder', 'Datacenter'],
      children: () => datacenters.map(refOf),
    });
    const dcByName = new Map<string, DatacenterMo>();
    const computeByName = new Map<string, ComputeMo>();
    const folder = (prefix: string, name: string, parent: MoRef, childType: string[], kids: () => MoRef[]): FolderMo =>
      this.#add<FolderMo>({ type: 'Folder', id: `group-${prefix}${next()}`, name, parent, childType, children: kids });

    for (const h of estate.hosts) {
      if (h.platform !== 'vmware' || h.vcenter !== vcenter) continue;
      let dc = dcByName.get(h.datacenter);
      if (!dc) {
        const id = `datacenter-${next()}`;
        const dcRef = ref('Datacenter', id);
        const partial = {
          type: 'Datacenter',
          id,
          name: h.datacenter,
          parent: refOf(this.rootFolder),
          vmIndexes: [] as number[],
          computes: [] as ComputeMo[],
        } as DatacenterMo;
        partial.vmFolder = folder('v', 'vm', dcRef, ['Folder', 'VirtualMachine', 'VirtualApp'], () =>
          partial.vmIndexes.map((i) => vmRefAt(estate.vms, i)),
        );
        partial.hostFolder = folder('h', 'host', dcRef, ['Folder', 'ComputeResource'], () => partial.computes.map(refOf));
        partial.datastoreFolder = folder('s', 'datastore', dcRef, ['Folder', 'Datastore', 'StoragePod'], () => []);
        partial.networkFolder = folder('n', 'network', dcRef, ['Folder', 'Network', 'DistributedVirtualSwitch'], () => []);
        dc = this.#add(partial);
        dcByName.set(h.datacenter, dc);
        datacenters.push(dc);
      }
      const computeKey = h.cluster ? `${dc.name}|cluster|${h.cluster}` : `${dc.name}|host|${h.name}`;
      let compute = computeByName.get(computeKey);
      if (!compute) {
        const id = h.cluster ? `domain-c${next()}` : `domain-s${next()}`;
        const c = {
          type: h.cluster ? 'ClusterComputeResource' : 'ComputeResource',
          id,
          name: h.cluster ?? h.name,
          parent: refOf(dc.hostFolder),
          datacenter: dc,
          hosts: [],
        } as unknown as ComputeMo;
        c.pool = this.#add<PoolMo>({ type: 'ResourcePool', id: `resgroup-${next()}`, name: 'Resources', parent: refOf(c), compute: c });
        compute = this.#add(c);
        computeByName.set(computeKey, compute);
        dc.computes.push(compute);
      }
      const host = this.#add<HostMo>({
        type: 'HostSystem',
        id: `host-${next()}`,
        name: h.name,
        parent: refOf(compute),
        host: h,
        compute,
        vmIndexes: [],
      });
      compute.hosts.push(host);
      this.hosts.push(host);
    }
    const hostByName = new Map(this.hosts.map((h) => [h.name, h]));
    for (const vm of estate.vms) {
      const host = vm.host.platform === 'vmware' ? hostByName.get(vm.host.name) : undefined;
      if (!host) continue;
      host.vmIndexes.push(vm.index);
      host.compute.datacenter.vmIndexes.push(vm.index);
      this.vmIndexes.push(vm.index);
      this.#hostOfVm.set(vm.index, host);
    }
  }

  #add<T extends EntityMo>(mo: T): T {
    this.#byId.set(mo.id, mo);
    return mo;
  }

  /** The VM behind a moref, if it belongs to this vCenter. */
  vm(value: string): EstateVm | undefined {
    if (!value.startsWith('vm-')) return undefined;
    const i = Number(value.slice(3)) - 1000;
    if (!Number.isInteger(i)) return undefined;
    return this.#hostOfVm.has(i) ? this.estate.vms[i] : undefined;
  }

  hostOf(vm: EstateVm): HostMo {
    const host = this.#hostOfVm.get(vm.index);
    if (!host) throw new Error(`the lab vCenter has no host for VM #${vm.index}`);
    return host;
  }

  entity(value: string): EntityMo | undefined {
    return this.#byId.get(value);
  }

  /** True when the moref names an object of this vCenter (a managed entity or a VM). */
  exists(r: MoRef): boolean {
    if (r.type === 'VirtualMachine') return this.vm(r.value) !== undefined;
    const e = this.#byId.get(r.value);
    return e !== undefined && e.type === r.type;
  }

  /** Objects directly inside a container, as a ContainerView walks them. */
  contents(r: MoRef): MoRef[] {
    const e = this.#byId.get(r.value);
    if (!e || e.type !== r.type) return [];
    switch (e.type) {
      case 'Folder':
        return e.children();
      case 'Datacenter':
        return [e.vmFolder, e.hostFolder, e.datastoreFolder, e.networkFolder].map(refOf);
      case 'ClusterComputeResource':
      case 'ComputeResource':
        return [...e.hosts.map(refOf), refOf(e.pool)];
      case 'ResourcePool':
        return e.compute.hosts.flatMap((h) => h.vmIndexes.map((i) => vmRefAt(this.estate.vms, i)));
      default:
        return [];
    }
  }

  /**
   * Every object of the wanted types inside a container (recursively or one level), each once,
   * in a stable depth-first order; VMs reached through both vmFolder and resource pools count once.
   */
  view(container: MoRef, types: string[], recursive: boolean): MoRef[] {
    const out: MoRef[] = [];
    const seen = new Set<string>();
    const wanted = (t: string) => types.length === 0 || types.some((w) => isA(t, w));
    const walk = (r: MoRef) => {
      for (const c of this.contents(r)) {
        if (seen.has(c.value)) continue;
        seen.add(c.value);
        if (wanted(c.type)) out.push(c);
        if (recursive && c.type !== 'VirtualMachine') walk(c);
      }
    };
    walk(container);
    return out;
  }
}
