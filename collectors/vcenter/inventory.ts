import { machineId, normalizeMac, type Disk, type Machine, type Nic, type PowerState } from '../../model/index.js';
import type { VimSession } from './session.js';
import { toMoRef } from './session.js';
import { TreeBuilder, child, childrenNamed, path, textOf, type XmlEvents, type XmlNode } from '../../common/xml/reader.js';
import { el, moRef, typed, type MoRef } from './soap/xml.js';

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

const VM_PATHS = [
  'name', 'config.uuid', 'config.instanceUuid', 'config.template', 'config.guestFullName', 'config.guestId',
  'config.firmware', 'config.hardware.numCPU', 'config.hardware.memoryMB', 'config.hardware.device', 'config.annotation',
  'runtime.powerState', 'runtime.host', 'guest.net', 'guest.ipAddress', 'guest.hostName',
];
// The tree above the VMs, read through the same view so host/cluster/datacenter need no extra calls.
const TREE_TYPES = ['HostSystem', 'ComputeResource', 'ClusterComputeResource', 'Datacenter', 'Folder'];

interface TreeNode {
  type: string;
  name: string;
  parent: string | null;
}

interface RawVm {
  moref: string;
  props: Map<string, XmlNode>;
}

function filterSpec(view: MoRef): string {
  const propSets =
    `<propSet>${el('type', 'VirtualMachine')}${VM_PATHS.map((p) => el('pathSet', p)).join('')}</propSet>` +
    TREE_TYPES.map((t) => `<propSet>${el('type', t)}${el('pathSet', 'name')}${el('pathSet', 'parent')}</propSet>`).join('');
  const traverse = typed('selectSet', 'TraversalSpec', el('name', 'view') + el('type', 'ContainerView') + el('path', 'view') + el('skip', false));
  return `<specSet>${propSets}<objectSet>${moRef('obj', view)}${el('skip', true)}${traverse}</objectSet></specSet>`;
}

/**
 * Reads every VM with the PropertyCollector over one ContainerView, page by page
 * (RetrievePropertiesEx, then ContinueRetrievePropertiesEx while a token comes back), and
 * resolves host, cluster and datacenter from the parents read in the same pages.
 */
export async function readInventory(session: VimSession, opts: { source: string; pageSize: number; onPage?: (objects: number) => void }): Promise<InventoryResult> {
  const content = await session.serviceContent();
  const scope = content.about.instanceUuid || session.client.endpoint;
  const viewRes = await session.call(
    'CreateContainerView',
    content.viewManager,
    moRef('container', content.rootFolder) + ['VirtualMachine', ...TREE_TYPES].map((t) => el('type', t)).join('') + el('recursive', true),
  );
  const view = toMoRef(child(viewRes, 'returnval'))!;
  const tree = new Map<string, TreeNode>();
  const result: InventoryResult = { machines: [], targets: [], templatesSkipped: 0, problems: [], pages: 0 };
  // Each page becomes machines at once (its XML tree is dropped); placement is filled in at the end.
  const hostOf: Array<string | null> = [];
  const takeVm = (vm: RawVm) => {
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
  // Pages are streamed one ObjectContent at a time: only one VM's XML is ever held as a tree.
  const page = async (method: string, body: string): Promise<string | null> => {
    const stream = new ObjectContentStream((obj) => collectObject(obj, tree, takeVm));
    await session.withSession((client) => client.callStream(method, content.propertyCollector, body, stream));
    result.pages++;
    opts.onPage?.(stream.objects);
    return stream.token;
  };
  try {
    let token = await page('RetrievePropertiesEx', filterSpec(view) + `<options>${el('maxObjects', opts.pageSize)}</options>`);
    while (token) token = await page('ContinueRetrievePropertiesEx', el('token', token));
  } finally {
    await session.call('DestroyView', view).catch(() => undefined);
  }

  result.machines.forEach((m, i) => Object.assign(m, placement(hostOf[i] ?? null, tree)));
  return result;
}

/**
 * Events of a RetrievePropertiesExResponse / ContinueRetrievePropertiesExResponse: returnval >
 * objects* (each built as a small tree and handed on, then dropped) and token.
 */
class ObjectContentStream implements XmlEvents {
  token: string | null = null;
  objects = 0;
  #depth = 0;
  #builder: TreeBuilder | null = null;
  #text = '';
  constructor(private readonly onObject: (obj: XmlNode) => void) {}

  open(name: string, type: string | null, refType: string | null): void {
    this.#depth++;
    if (this.#depth === 3 && name === 'objects') this.#builder = new TreeBuilder();
    this.#text = '';
    this.#builder?.open(name, type, refType);
  }
  text(text: string): void {
    if (this.#builder) this.#builder.text(text);
    else this.#text += text;
  }
  close(): void {
    if (this.#builder) {
      this.#builder.close();
      if (this.#depth === 3) {
        this.objects++;
        this.onObject(this.#builder.root!);
        this.#builder = null;
      }
    } else if (this.#depth === 3) {
      this.token = this.#text.trim() || null;
    }
    this.#depth--;
  }
}

function collectObject(obj: XmlNode, tree: Map<string, TreeNode>, takeVm: (vm: RawVm) => void): void {
  const ref = toMoRef(child(obj, 'obj'));
  if (!ref) return;
  const props = new Map<string, XmlNode>();
  for (const p of childrenNamed(obj, 'propSet')) {
    const name = textOf(p, 'name');
    const val = child(p, 'val');
    if (name && val) props.set(name, val);
  }
  if (ref.type === 'VirtualMachine') {
    takeVm({ moref: ref.value, props });
    return;
  }
  const parent = props.get('parent');
  tree.set(ref.value, { type: ref.type, name: props.get('name')?.text ?? ref.value, parent: parent ? parent.text : null });
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

function devices(vm: RawVm): { disks: Disk[]; nics: Nic[]; diskByInstance: Map<string, string> } {
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

function placement(hostRef: string | null, tree: Map<string, TreeNode>): { host: string | null; cluster: string | null; datacenter: string | null } {
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

function buildMachine(vm: RawVm, source: string, scope: string): { machine: Machine; target: PerfTarget } | string {
  const p = vm.props;
  const name = p.get('name')?.text ?? vm.moref;
  const instanceId = p.get('config.instanceUuid')?.text;
  if (!instanceId) return `${vm.moref} (${name}) has no config.instanceUuid (inaccessible or orphaned VM); skipped`;
  const { disks, nics, diskByInstance } = devices(vm);
  const ipAddresses: string[] = [];
  const addIp = (ip: string | null | undefined) => {
    if (ip && !ipAddresses.includes(ip)) ipAddresses.push(ip);
  };
  for (const gnic of p.get('guest.net')?.children ?? []) {
    const ips = childrenNamed(gnic, 'ipAddress').map((n) => n.text);
    ips.forEach(addIp);
    const nic = nics.find((n) => n.id === textOf(gnic, 'deviceConfigId')) ?? nics.find((n) => n.mac && n.mac === normalizeMac(textOf(gnic, 'macAddress')));
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
    moref: vm.moref,
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
    target: { moref: vm.moref, machine: id, poweredOn: powerState === 'poweredOn', diskByInstance, nicIds: new Map(nics.map((n) => [n.id, n.id])) },
  };
}
