// A Windows server's inventory classes -> one Machine (kind physical), pure. Field sources follow
// Azure Migrate (reference azure-migrate.md 1.5): FQDN from Win32_ComputerSystem Name/Domain/PartOfDomain,
// cores from Win32_Processor.NumberOfCores (summed over sockets), memory from TotalPhysicalMemory, serial
// and UUID from Win32_ComputerSystemProduct (Win32_BIOS.SerialNumber when the product has none), and the
// boot type from the partition table: a "GPT: System" partition (the EFI system partition) means UEFI.
import { canonicalBiosUuid, machineId, normalizeMac, type Disk, type Machine, type Nic } from '../../model/index.js';
import { propBoolean, propNumber, propString, propStrings, type CimInstance } from '../wsman/index.js';
import type { InventoryClassKey } from './queries.js';

export type ServerInventoryData = Record<InventoryClassKey, CimInstance[]>;

/** What the sampler needs to know of a server: its id, memory and how counter instances map to disks/NICs. */
export interface ServerMapping {
  machine: string;
  totalMemoryBytes: bigint;
  /** PhysicalDisk instance "<index> C: D:" -> disk id, by the leading disk index. */
  diskByIndex: Map<number, string>;
  /** Tcpip NetworkInterface instance name (the adapter description, perflib-escaped, lower case) -> NIC id. */
  nicByCounterName: Map<string, string>;
}

/** SMBIOS serials firmware writes when it has none. */
const PLACEHOLDER_SERIAL = /^(|0+|none|n\/a|default string|to be filled by o\.e\.m\.|system serial number|not specified)$/i;

/** Adapters that are not a server's own NICs: vSwitch ports, tunnels, miniports, loopback, VPN taps. */
const VIRTUAL_ADAPTER =
  /hyper-v virtual ethernet|vethernet|loopback|wan miniport|teredo|isatap|6to4|ip-https|kernel debug|virtualbox|vmware virtual ethernet|tap-windows|wintun|wi-fi direct virtual|bluetooth device \(personal area network\)/i;

/** How perflib names a Tcpip NetworkInterface instance after the adapter description: ( ) # / \ are replaced. */
export function counterNameOfAdapter(description: string): string {
  return description
    .replace(/\(/g, '[')
    .replace(/\)/g, ']')
    .replace(/[#/\\]/g, '_')
    .toLowerCase();
}

/** "\\.\PHYSICALDRIVE0" -> "PhysicalDrive0"; the id is stable while the disk stays on its port. */
export function diskId(index: number): string {
  return `PhysicalDrive${index}`;
}

function first(data: ServerInventoryData, key: InventoryClassKey): CimInstance {
  return data[key][0] ?? { className: '', properties: {} };
}

function architecture(osArch: string | null): 'x64' | 'x86' | null {
  if (!osArch) return null;
  if (/64/.test(osArch) && !/arm/i.test(osArch)) return 'x64';
  if (/32/.test(osArch)) return 'x86';
  return null;
}

export interface InventoryContext {
  source: string;
  /** The configured host name (or address) the server was reached at. */
  host: string;
  includeVirtualNics: boolean;
}

export interface ServerInventory {
  machine: Machine;
  mapping: ServerMapping;
}

export function toMachine(data: ServerInventoryData, ctx: InventoryContext): ServerInventory {
  const cs = first(data, 'computerSystem');
  const os = first(data, 'operatingSystem');
  const product = first(data, 'product');
  const bios = first(data, 'bios');
  const unavailable: Record<string, string> = {};

  const netbios = propString(cs, 'Name') ?? ctx.host;
  const hostName = propString(cs, 'DNSHostName') ?? netbios;
  const domain = propString(cs, 'Domain');
  const fqdn = (propBoolean(cs, 'PartOfDomain') && domain ? `${hostName}.${domain}` : hostName).toLowerCase();

  const cores = data.processors.reduce((s, p) => s + (propNumber(p, 'NumberOfCores') ?? 0), 0);
  const memoryBytes = BigInt(propString(cs, 'TotalPhysicalMemory')?.trim() || '0');

  const uuid = canonicalBiosUuid(propString(product, 'UUID'));
  if (!uuid)
    unavailable.biosUuid = `Win32_ComputerSystemProduct.UUID is "${propString(product, 'UUID') ?? ''}" (no usable SMBIOS UUID); the machine id falls back to the host name`;
  const serialRaw = [propString(product, 'IdentifyingNumber'), propString(bios, 'SerialNumber')].find(
    (s) => s !== null && !PLACEHOLDER_SERIAL.test(s.trim()),
  );
  const biosSerial = serialRaw?.trim() ?? null;
  if (!biosSerial)
    unavailable.biosSerial =
      'the firmware reports no serial number (Win32_ComputerSystemProduct.IdentifyingNumber and Win32_BIOS.SerialNumber are empty)';

  // Whole disks only: Win32_DiskDrive lists physical disks, never partitions or volumes.
  const disks: Disk[] = [];
  const diskByIndex = new Map<number, string>();
  for (const d of [...data.disks].sort((a, b) => (propNumber(a, 'Index') ?? 0) - (propNumber(b, 'Index') ?? 0))) {
    const index = propNumber(d, 'Index');
    if (index === null) continue;
    // USB sticks and card readers are not disks a migration moves (Azure Migrate lists fixed disks).
    if (/removable/i.test(propString(d, 'MediaType') ?? '') || /^usb$/i.test(propString(d, 'InterfaceType') ?? '')) continue;
    const id = diskId(index);
    diskByIndex.set(index, id);
    disks.push({
      id,
      capacityBytes: propNumber(d, 'Size') ?? 0,
      label: propString(d, 'DeviceID'),
      model: propString(d, 'Model'),
      type: propString(d, 'InterfaceType'),
    });
  }

  // Boot type and boot disk from the partition table, as Azure Migrate decides it.
  const esp = data.partitions.find((p) => /^gpt:\s*system$/i.test(propString(p, 'Type') ?? ''));
  const active = data.partitions.find((p) => propBoolean(p, 'BootPartition') === true);
  const bootPart = esp ?? active;
  const bootIndex = bootPart ? propNumber(bootPart, 'DiskIndex') : null;
  const bootDisk = bootIndex !== null ? (diskByIndex.get(bootIndex) ?? null) : null;
  if (!bootDisk) unavailable.bootDisk = 'no partition is marked as the system (EFI) or active boot partition';

  const configs = new Map(data.adapterConfigs.map((c) => [propNumber(c, 'Index'), c]));
  const nics: Nic[] = [];
  const nicByCounterName = new Map<string, string>();
  for (const a of [...data.adapters].sort((x, y) => (propNumber(x, 'Index') ?? 0) - (propNumber(y, 'Index') ?? 0))) {
    const index = propNumber(a, 'Index');
    const conf = configs.get(index);
    if (!conf) continue; // not bound to IP: not a NIC the server uses
    const description = propString(a, 'Description') ?? propString(conf, 'Description') ?? propString(a, 'Name') ?? '';
    const virtual = propBoolean(a, 'PhysicalAdapter') === false || VIRTUAL_ADAPTER.test(description);
    if (/loopback/i.test(description)) continue; // never reported
    if (virtual && !ctx.includeVirtualNics) continue;
    const guid = propString(a, 'GUID')?.replace(/[{}]/g, '').toLowerCase();
    const id = guid || `index-${index}`;
    nics.push({
      id,
      mac: normalizeMac(propString(conf, 'MACAddress') ?? propString(a, 'MACAddress')),
      label: propString(a, 'NetConnectionID') ?? description,
      network: null,
      ipAddresses: propStrings(conf, 'IPAddress'),
    });
    nicByCounterName.set(counterNameOfAdapter(description), id);
  }
  const ipAddresses = [...new Set(nics.flatMap((n) => n.ipAddresses ?? []))];

  // 'bios' as the Linux collector does: one server reads the same id whichever physical source reached it.
  const scope = uuid ? 'bios' : ctx.source;
  const id = machineId('physical', scope, uuid ?? fqdn);
  const machine: Machine = {
    id,
    source: ctx.source,
    kind: 'physical',
    name: hostName,
    moref: null,
    biosUuid: uuid,
    instanceId: uuid ?? fqdn,
    cpuCores: cores > 0 ? cores : (propNumber(cs, 'NumberOfLogicalProcessors') ?? 0),
    memoryMB: Number(memoryBytes / 1_048_576n),
    os: {
      name: propString(os, 'Caption')?.trim() ?? null,
      id: null,
      version: propString(os, 'Version'),
      architecture: architecture(propString(os, 'OSArchitecture')),
      family: 'windows',
    },
    firmware: esp ? 'uefi' : 'bios',
    powerState: 'poweredOn',
    host: null,
    address: ctx.host,
    cluster: null,
    datacenter: null,
    disks,
    nics,
    ipAddresses,
    fqdn,
    biosSerial,
    bootDisk,
    ...(Object.keys(unavailable).length ? { unavailable } : {}),
    seenBy: [ctx.source],
  };
  return { machine, mapping: { machine: id, totalMemoryBytes: memoryBytes, diskByIndex, nicByCounterName } };
}
