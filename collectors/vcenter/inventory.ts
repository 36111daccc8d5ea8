import { machineId, normalizeMac, type Disk, type Machine, type Nic, type PowerState } from '../../model/index.js';
import { child, childrenNamed, path, textOf, type XmlNode } from '../../common/xml/reader.js';
import type { VimSession } from './session.js';
import type { MoRef } from './vim/caller.js';
import { retrieveProperties, type ObjectContent, type PropertyFilterSpec } from './vim/property.js';
import { containerViewObjects, withContainerView } from './vim/view.js';

/** What perf polling needs about a VM, kept beside the inventory (not part of the Machine format). */
export interface PerfTarget {
  moref: string;
  machine: string;
  poweredOn: boolean;
  /** perf instance ("scsi0:1") -> disk id (device key). */
  diskByInstance: Map<string, string>;
  /** NIC ids (device keys), which are also the perf instances: perf instance -> NIC id. */
  nicIds: Map<string, string>;
}

export interface InventoryResult {
  machines: Machine[];
  targets: PerfTarget[];
  templatesSkipped: number;
  /** Objects that could not be turned into machines (e.g. inaccessible VMs), in words. */
  problems: string[];
  /** RetrievePropertiesEx + ContinueRetrievePropertiesEx pages read. */
  pages: number;
}

/** The VM properties the inventory reads (the lab benchmark asks for the same list). */
export const VM_PATHS = [
  'name',
  'config.uuid',
  'config.instanceUuid',
  'config.template',
  'config.guestFullName',
  'config.guestId',
  'config.firmware',
  'config.hardware.numCPU',
  'config.hardware.memoryMB',
  'config.hardware.device',
  'config.annotation',
  'runtime.powerState',
  'runtime.host',
  'guest.net',
  'guest.ipAddress',
  'guest.hostName',
];
// The tree above the VMs, read through the same view so host/cluster/datacenter need no extra calls.
const TREE_TYPES = ['HostSystem', 'ComputeResource', 'ClusterComputeResource', 'Datacenter', 'Folder'];

interface TreeNode {
  type: string;
  name: string;
  parent: string | null;
}

/** Every VM with VM_PATHS, and name and parent of the tree above, through one container view. */
function filterSpec(view: MoRef): PropertyFilterSpec {
  return {
    propSet: [{ type: 'VirtualMachine', pathSet: VM_PATHS }, ...TREE_TYPES.map((type) => ({ type, pathSet: ['name', 'parent'] }))],
    objectSet: [containerViewObjects(view)],
  };
}

/**
 * Reads every VM with the PropertyCollector over one ContainerView, page by page, and resolves
 * host, cluster and datacenter from the parents read in the same pages.
 */
export async function readInventory(
  session: VimSession,
  opts: { source: string; pageSize: number; onPage?: (objects: number) => void },
): Promise<InventoryResult> {
  const content = await session.serviceContent();
  const scope = content.about.instanceUuid || session.client.endpoint;
  const tree = new Map<string, TreeNode>();
  const result: InventoryResult = { machines: [], targets: [], templatesSkipped: 0, problems: [], pages: 0 };
  // Each VM becomes a machine as soon as it is parsed (its XML tree is dropped); placement is filled in at the end.
  const hostOf: Array<string | null> = [];
  const takeVm = (vm: ObjectContent) => {
    if (vm.props.get('config.template')?.text === 'true') {
      result.templatesSkipped++;
      return;
    }
    const built = buildMachine(vm, opts.source, scope);
    if (typeof built === 'string') {
      result.problems.push(built);
      return;
    }
    result.machines.push(built.machine);
    result.targets.push(built.target);
    hostOf.push(vm.props.get('runtime.host')?.text ?? null);
  };
  const onObject = (obj: ObjectContent) => {
    if (obj.obj.type === 'VirtualMachine') return takeVm(obj);
    const parent = obj.props.get('parent');
    tree.set(obj.obj.value, {
      type: obj.obj.type,
      name: obj.props.get('name')?.text ?? obj.obj.value,
      parent: parent ? parent.text : null,
    });
  };
  const onPage = (objects: number) => void opts.onPage?.(objects);
  const read = await withContainerView(session, content.viewManager, content.rootFolder, ['VirtualMachine', ...TREE_TYPES], (view) =>
    retrieveProperties(session, content.propertyCollector, filterSpec(view), onObject, { maxObjects: opts.pageSize, onPage }),
  );
  result.pages = read.pages;
  for (const [i, m] of result.machines.entries()) Object.assign(m, placement(hostOf[i] ?? null, tree));
  return result;
}

function num(node: XmlNode | null | undefined): number | null {
  if (!node) return null;
  const n = Number(node.text);
  return Number.isFinite(n) ? n : null;
}

const CONTROLLER_PREFIX: Array<[RegExp, string]> = [
  [/IDEController$/, 'ide'],
  [/NVMEController$/, 'nvme'],
  [/(AHCI|SATA)Controller$/, 'sata'],
  [/(SCSI|LsiLogic|LsiLogicSAS|BusLogic)Controller$/i, 'scsi'],
];

function controllerPrefix(type: string): string | null {
  for (const [re, prefix] of CONTROLLER_PREFIX) if (re.test(type)) return prefix;
  return null;
}

function devices(vm: ObjectContent): { disks: Disk[]; nics: Nic[]; diskByInstance: Map<string, string> } {
  const list = vm.props.get('config.hardware.device')?.children ?? [];
  const controllers = new Map<string, string>();
  for (const d of list) {
    const prefix = controllerPrefix(d.type ?? '');
    const bus = textOf(d, 'busNumber');
    if (prefix && bus !== null) controllers.set(textOf(d, 'key') ?? '', `${prefix}${bus}`);
  }
  const disks: Disk[] = [];
  const nics: Nic[] = [];
  const diskByInstance = new Map<string, string>();
  for (const d of list) {
    const key = textOf(d, 'key') ?? '';
    if (d.type === 'VirtualDisk') {
      const bytes = num(child(d, 'capacityInBytes')) ?? (num(child(d, 'capacityInKB')) ?? 0) * 1024;
      const backing = child(d, 'backing');
      const controllerKey = num(child(d, 'controllerKey'));
      const unitNumber = num(child(d, 'unitNumber'));
      disks.push({
        id: key,
        capacityBytes: bytes,
        label: path(d, 'deviceInfo.label')?.text ?? null,
        path: textOf(backing, 'fileName'),
        type: provisioning(backing),
        controllerKey,
        unitNumber,
      });
      const ctrl = controllers.get(String(controllerKey));
      if (ctrl && unitNumber !== null) diskByInstance.set(`${ctrl}:${unitNumber}`, key);
    } else if (child(d, 'macAddress') || /Ethernet|Vmxnet|E1000|PCNet32/i.test(d.type ?? '')) {
      nics.push({
        id: key,
        mac: normalizeMac(textOf(d, 'macAddress')),
        label: path(d, 'deviceInfo.label')?.text ?? null,
        network: path(d, 'deviceInfo.summary')?.text ?? null,
        ipAddresses: [],
      });
    }
  }
  return { disks, nics, diskByInstance };
}

function provisioning(backing: XmlNode | null): string | null {
  if (!backing) return null;
  if (textOf(backing, 'thinProvisioned') === 'true') return 'thin';
  if (textOf(backing, 'eagerlyScrub') === 'true') return 'eagerZeroedThick';
  if (textOf(backing, 'thinProvisioned') === 'false') return 'thick';
  return null;
}

function placement(
  hostRef: string | null,
  tree: Map<string, TreeNode>,
): { host: string | null; cluster: string | null; datacenter: string | null } {
  const host = hostRef ? tree.get(hostRef) : undefined;
  if (!host) return { host: null, cluster: null, datacenter: null };
  let cluster: string | null = null;
  let datacenter: string | null = null;
  let cur = host.parent ? tree.get(host.parent) : undefined;
  if (cur?.type === 'ClusterComputeResource') cluster = cur.name;
  for (let hops = 0; cur && hops < 64; hops++) {
    if (cur.type === 'Datacenter') {
      datacenter = cur.name;
      break;
    }
    cur = cur.parent ? tree.get(cur.parent) : undefined;
  }
  return { host: host.name, cluster, datacenter };
}

const POWER: Record<string, PowerState> = { poweredOn: 'poweredOn', poweredOff: 'poweredOff', suspended: 'suspended' };

function buildMachine(vm: ObjectContent, source: string, scope: string): { machine: Machine; target: PerfTarget } | string {
  const p = vm.props;
  const moref = vm.obj.value;
  const name = p.get('name')?.text ?? moref;
  const instanceId = p.get('config.instanceUuid')?.text;
  if (!instanceId) return `${moref} (${name}) has no config.instanceUuid (inaccessible or orphaned VM); skipped`;
  const { disks, nics, diskByInstance } = devices(vm);
  const ipAddresses: string[] = [];
  const addIp = (ip: string | null | undefined) => {
    if (ip && !ipAddresses.includes(ip)) ipAddresses.push(ip);
  };
  for (const gnic of p.get('guest.net')?.children ?? []) {
    const ips = childrenNamed(gnic, 'ipAddress').map((n) => n.text);
    ips.forEach(addIp);
    const nic =
      nics.find((n) => n.id === textOf(gnic, 'deviceConfigId')) ??
      nics.find((n) => n.mac && n.mac === normalizeMac(textOf(gnic, 'macAddress')));
    if (nic) nic.ipAddresses = ips;
  }
  addIp(p.get('guest.ipAddress')?.text);
  const powerState = POWER[p.get('runtime.powerState')?.text ?? ''] ?? 'poweredOff';
  const id = machineId('vmware', scope, instanceId);
  const machine: Machine = {
    id,
    source,
    kind: 'vmware',
    name,
    moref,
    biosUuid: p.get('config.uuid')?.text ?? null,
    instanceId,
    cpuCores: num(p.get('config.hardware.numCPU')) ?? 0,
    memoryMB: num(p.get('config.hardware.memoryMB')) ?? 0,
    os: { name: p.get('config.guestFullName')?.text ?? null, id: p.get('config.guestId')?.text ?? null },
    firmware: p.get('config.firmware')?.text === 'efi' ? 'uefi' : 'bios',
    powerState,
    host: null, // filled in by placement() once every page is read
    cluster: null,
    datacenter: null,
    disks,
    nics,
    ipAddresses,
    fqdn: p.get('guest.hostName')?.text || null,
    annotation: p.get('config.annotation')?.text || null,
  };
  return {
    machine,
    target: { moref, machine: id, poweredOn: powerState === 'poweredOn', diskByInstance, nicIds: new Map(nics.map((n) => [n.id, n.id])) },
  };
}
