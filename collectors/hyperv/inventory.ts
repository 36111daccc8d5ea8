// Hyper-V inventory: the Msvm_* classes of one host, enumerated host-wide (WQL has no JOIN) and
// joined here on the VM GUID into the shared Machine model (docs/azure-migrate.md §2.1).
import { createHash } from 'node:crypto';
import { machineId, normalizeMac, type Machine, type PowerState } from '../../model/index.js';
import { decodeKvpItems, guestFacts } from './kvp.js';
import { propArray, propBoolean, propNumber, propString, propStrings, type CimInstance } from '../wsman/index.js';

export const NS_VIRTUALIZATION = 'root/virtualization/v2';

/** One WQL per class, sent to .../wmi/root/virtualization/v2/*. */
export const INVENTORY_QUERIES = {
  computerSystems: "SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'",
  settings: "SELECT * FROM Msvm_VirtualSystemSettingData WHERE VirtualSystemType = 'Microsoft:Hyper-V:System:Realized'",
  processors: 'SELECT InstanceID, VirtualQuantity FROM Msvm_ProcessorSettingData',
  memory: 'SELECT InstanceID, VirtualQuantity, Reservation, Limit, DynamicMemoryEnabled FROM Msvm_MemorySettingData',
  storage: 'SELECT InstanceID, ResourceSubType, HostResource, ElementName FROM Msvm_StorageAllocationSettingData WHERE ResourceType = 31',
  syntheticPorts: 'SELECT InstanceID, ElementName, Address FROM Msvm_SyntheticEthernetPortSettingData',
  emulatedPorts: 'SELECT InstanceID, ElementName, Address FROM Msvm_EmulatedEthernetPortSettingData',
  portAllocations:
    'SELECT InstanceID, Parent, HostResource, LastKnownSwitchName FROM Msvm_EthernetPortAllocationSettingData WHERE ResourceType = 33',
  switches: 'SELECT Name, ElementName FROM Msvm_VirtualEthernetSwitch',
  guestNetwork: 'SELECT InstanceID, IPAddresses FROM Msvm_GuestNetworkAdapterConfiguration',
  kvp: 'SELECT SystemName, GuestIntrinsicExchangeItems FROM Msvm_KvpExchangeComponent',
} as const;
export type InventoryClassKey = keyof typeof INVENTORY_QUERIES;

export type HostInventoryData = Record<InventoryClassKey, CimInstance[]> & {
  /** Msvm_VirtualHardDiskSettingData per VHD path (lower case); null when the host could not say. */
  vhds: Map<string, CimInstance | null>;
};

export interface InventoryContext {
  source: string;
  host: string;
  cluster: string | null;
}

/** The VM GUID an InstanceID belongs to: "Microsoft:<GUID>\..." (or "Microsoft:GuestNetwork\<GUID>\..."). */
export function vmGuidOf(instanceId: string | null): string | null {
  if (!instanceId) return null;
  const m = /^Microsoft:(?:GuestNetwork\\)?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})(?:\\|$)/.exec(
    instanceId,
  );
  return m?.[1] ? m[1].toUpperCase() : null;
}

/** "{A1B2...}" or "a1b2..." -> "a1b2..." (lower case, no braces): the form ids are compared in. */
export function normalizeGuid(raw: string | null): string | null {
  if (!raw) return null;
  const g = raw
    .trim()
    .replace(/^\{|\}$/g, '')
    .toLowerCase();
  return g || null;
}

/** Msvm_ComputerSystem.EnabledState (v2, and the v1 32768+ codes defensively) in the shared vocabulary. */
export function powerStateOf(enabledState: number | null): PowerState {
  switch (enabledState) {
    case 2: // running
    case 4: // shutting down: still running
    case 10: // starting
    case 32770: // starting (v1)
    case 32774: // stopping (v1)
    case 32777: // resuming (v1)
      return 'poweredOn';
    case 6: // saved
    case 9: // paused
    case 32768: // paused (v1)
    case 32769: // saved (v1)
    case 32773: // saving (v1)
    case 32776: // pausing (v1)
      return 'suspended';
    default:
      return 'poweredOff';
  }
}

const VHD_TYPES: Record<string, string> = { '2': 'fixed', '3': 'dynamic', '4': 'differencing' };

/** A disk id when the host gives no VirtualDiskId: stable, from the drive's place on its controller. */
export function driveId(instanceId: string): string {
  return `drive-${createHash('sha256').update(instanceId.toLowerCase()).digest('hex').slice(0, 16)}`;
}

/** The NIC GUID of a port setting InstanceID "Microsoft:<VMGUID>\<NICGUID>". */
export function nicGuidOf(instanceId: string | null): string | null {
  if (!instanceId) return null;
  const parts = instanceId.split('\\');
  const nic = parts[1];
  return nic !== undefined ? normalizeGuid(nic) : null;
}

function groupByVm(items: CimInstance[], key: (i: CimInstance) => string | null): Map<string, CimInstance[]> {
  const out = new Map<string, CimInstance[]>();
  for (const i of items) {
    const g = key(i);
    if (!g) continue;
    const list = out.get(g) ?? [];
    list.push(i);
    out.set(g, list);
  }
  return out;
}

const byInstanceId = (i: CimInstance): string | null => vmGuidOf(propString(i, 'InstanceID'));

/** Joins one host's classes into machines, one per VM GUID. */
export function joinInventory(data: HostInventoryData, ctx: InventoryContext): Machine[] {
  const settings = groupByVm(data.settings, (i) => propString(i, 'VirtualSystemIdentifier')?.toUpperCase() ?? byInstanceId(i));
  const processors = groupByVm(data.processors, byInstanceId);
  const memory = groupByVm(data.memory, byInstanceId);
  const storage = groupByVm(data.storage, byInstanceId);
  const ports = groupByVm([...data.syntheticPorts, ...data.emulatedPorts], byInstanceId);
  const allocations = groupByVm(data.portAllocations, byInstanceId);
  const guestNet = groupByVm(data.guestNetwork, byInstanceId);
  const kvp = groupByVm(data.kvp, (i) => propString(i, 'SystemName')?.toUpperCase() ?? null);
  const switchNames = new Map<string, string>();
  for (const s of data.switches) {
    const name = propString(s, 'Name');
    const label = propString(s, 'ElementName');
    if (name && label) switchNames.set(name.toUpperCase(), label);
  }

  const machines: Machine[] = [];
  for (const cs of data.computerSystems) {
    const guid = propString(cs, 'Name')?.toUpperCase();
    if (!guid) continue;
    const vssd = settings.get(guid)?.[0];
    const proc = processors.get(guid)?.[0];
    const mem = memory.get(guid)?.[0];
    const facts = guestFacts(decodeKvpItems(kvp.get(guid)?.flatMap((k) => propArray(k, 'GuestIntrinsicExchangeItems')) ?? []));
    const subType = vssd ? propString(vssd, 'VirtualSystemSubType') : null;
    const generation = subType ? Number(/SubType:(\d+)/.exec(subType)?.[1] ?? 1) : null;
    const dynamic = mem ? propBoolean(mem, 'DynamicMemoryEnabled') === true : false;
    const startupMB = mem ? (propNumber(mem, 'VirtualQuantity') ?? 0) : 0;

    const disks: Machine['disks'] = [];
    for (const sasd of storage.get(guid) ?? []) {
      if (!/Virtual Hard Disk/i.test(propString(sasd, 'ResourceSubType') ?? '')) continue; // skip ISO / floppy images
      const path = propStrings(sasd, 'HostResource')[0] ?? null;
      const vhd = path ? (data.vhds.get(path.toLowerCase()) ?? null) : null;
      const vdid = vhd ? normalizeGuid(propString(vhd, 'VirtualDiskId')) : null;
      disks.push({
        id: vdid ?? driveId(propString(sasd, 'InstanceID') ?? path ?? String(disks.length)),
        capacityBytes: vhd ? (propNumber(vhd, 'MaxInternalSize') ?? 0) : 0,
        label: path ? (path.split(/[\\/]/).pop() ?? null) : null,
        path,
        type: vhd ? (VHD_TYPES[propString(vhd, 'Type') ?? ''] ?? null) : null,
        controllerKey: null,
        unitNumber: null,
      });
    }

    const nics: Machine['nics'] = [];
    const ipsFromNics: string[] = [];
    for (const port of ports.get(guid) ?? []) {
      const portId = propString(port, 'InstanceID') ?? '';
      const nicGuid = nicGuidOf(portId);
      if (!nicGuid) continue;
      const alloc = (allocations.get(guid) ?? []).find((a) => {
        const id = propString(a, 'InstanceID') ?? '';
        return id.toLowerCase().startsWith(`${portId.toLowerCase()}\\`) || (propString(a, 'Parent') ?? '').toLowerCase().includes(nicGuid);
      });
      let network = alloc ? propString(alloc, 'LastKnownSwitchName') : null;
      if (!network && alloc) {
        const m = /Name="([^"]+)"/.exec(propStrings(alloc, 'HostResource')[0] ?? '');
        network = m?.[1] ? (switchNames.get(m[1].toUpperCase()) ?? null) : null;
      }
      const cfg = (guestNet.get(guid) ?? []).find(
        (g) => nicGuidOf((propString(g, 'InstanceID') ?? '').replace(/^Microsoft:GuestNetwork\\/i, 'Microsoft:')) === nicGuid,
      );
      const ips = cfg ? propStrings(cfg, 'IPAddresses') : [];
      ipsFromNics.push(...ips);
      nics.push({
        id: nicGuid,
        mac: normalizeMac(propString(port, 'Address')),
        label: propString(port, 'ElementName'),
        network,
        ipAddresses: ips,
      });
    }

    const notes = vssd ? propStrings(vssd, 'Notes').filter((n) => n.trim()) : [];
    machines.push({
      id: machineId('hyperv', 'vm', guid),
      source: ctx.source,
      kind: 'hyperv',
      name: (vssd ? propString(vssd, 'ElementName') : null) ?? propString(cs, 'ElementName') ?? guid,
      moref: null,
      biosUuid: vssd ? normalizeGuid(propString(vssd, 'BIOSGUID')) : null,
      instanceId: guid,
      cpuCores: proc ? (propNumber(proc, 'VirtualQuantity') ?? 0) : 0,
      memoryMB: startupMB,
      os: { name: facts.osName, id: null, version: facts.osVersion, architecture: facts.architecture },
      firmware: generation === 2 ? 'uefi' : 'bios',
      powerState: powerStateOf(propNumber(cs, 'EnabledState')),
      host: ctx.host,
      cluster: ctx.cluster,
      datacenter: null,
      disks,
      nics,
      ipAddresses: [...new Set(ipsFromNics.length ? ipsFromNics : facts.ipAddresses)],
      fqdn: facts.fqdn,
      annotation: notes.length ? notes.join('\n') : null,
      memory: mem ? { startupMB, dynamic, maximumMB: dynamic ? propNumber(mem, 'Limit') : null } : null,
      generation,
    });
  }
  return machines;
}

/**
 * A VM seen on two cluster nodes at once (mid-migration, or a stale record on the old node) is one
 * machine: keep the running copy, else the first seen.
 */
export function dedupeMachines(machines: Machine[]): Machine[] {
  const byId = new Map<string, Machine>();
  for (const m of machines) {
    const seen = byId.get(m.id);
    if (!seen || (seen.powerState !== 'poweredOn' && m.powerState === 'poweredOn')) byId.set(m.id, m);
  }
  return [...byId.values()];
}
