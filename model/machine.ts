// The inventory side of the contract: one Machine per discovered VM or physical server, whatever the source.

/** vmware and hyperv: VMs found through their hypervisor; physical: a server read directly (SSH or WinRM). */
export type MachineKind = 'vmware' | 'hyperv' | 'physical';
export type OsFamily = 'windows' | 'linux';
export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';
export type Firmware = 'bios' | 'uefi';

export interface Disk {
  /** vCenter: the device key; Hyper-V: the virtual disk id (or a stable id derived from the drive). */
  id: string;
  capacityBytes: number;
  label?: string | null;
  /** Backing file (VMDK / VHDX path) where known. */
  path?: string | null;
  /** Provisioning type where known: thin, thick, eagerZeroedThick, fixed, dynamic, differencing. */
  type?: string | null;
  controllerKey?: number | null;
  unitNumber?: number | null;
  /** Physical servers: the disk's model string where the OS reports it. */
  model?: string | null;
}

export interface Nic {
  /** vCenter: the device key; Hyper-V: the NIC GUID from the port setting InstanceID. */
  id: string;
  /** Lower-case, colon separated: "00:50:56:aa:bb:cc". */
  mac: string | null;
  label?: string | null;
  /** Port group / virtual switch name where known. */
  network?: string | null;
  ipAddresses?: string[];
}

export interface Machine {
  /** Stable and unique across sources: see machineId(). */
  id: string;
  /** The configured source name that discovered it. */
  source: string;
  kind: MachineKind;
  name: string;
  /** vCenter managed object id ("vm-42"); null for Hyper-V. */
  moref: string | null;
  /** vCenter config.uuid; Hyper-V BIOSGUID. */
  biosUuid: string | null;
  /** vCenter config.instanceUuid; Hyper-V VM GUID. */
  instanceId: string;
  cpuCores: number;
  memoryMB: number;
  os: { name: string | null; id: string | null; version?: string | null; architecture?: 'x64' | 'x86' | null; family?: OsFamily | null };
  firmware: Firmware;
  powerState: PowerState;
  host: string | null;
  cluster: string | null;
  datacenter: string | null;
  disks: Disk[];
  nics: Nic[];
  ipAddresses: string[];
  fqdn?: string | null;
  annotation?: string | null;
  /** Hyper-V dynamic memory facts (null when unknown or not applicable). */
  memory?: { startupMB: number; dynamic: boolean; maximumMB: number | null } | null;
  generation?: number | null;
  /** Physical servers: the BIOS serial number (null when it needs rights the account lacks; see unavailable). */
  biosSerial?: string | null;
  /** Physical servers: the source's host entry it was read through ("host" or "host:port"), where guests are reached. */
  address?: string | null;
  /** Physical servers: the id of the disk the OS boots from (one of disks[].id). */
  bootDisk?: string | null;
  /** Fields a source could not read, with the reason (e.g. { biosSerial: "needs root: /sys/class/dmi/id/product_serial is 0400" }). */
  unavailable?: Record<string, string>;
  /** Every configured source that saw this machine (a VM also read as a physical server is one machine). */
  seenBy?: string[];
}

/** Builds the stable machine id: `<kind>:<scope>:<local id>`, lower-cased. */
export function machineId(kind: MachineKind, scope: string, localId: string): string {
  return `${kind}:${scope}:${localId}`.toLowerCase();
}

/** Normalises a MAC to lower-case colon form; accepts "00-50-56-AA-BB-CC" and "005056AABBCC". */
export function normalizeMac(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const hex = raw.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  if (hex.length !== 12) return raw.toLowerCase();
  return (hex.match(/.{2}/g) ?? []).join(':');
}
