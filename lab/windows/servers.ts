// The simulated Windows servers' description: what lab/windows serves. Built from the estate's
// `servers:` list (family windows) by fromEstate(); tests and the benchmark may also build it directly.
import { createHash } from 'node:crypto';
import { buildEstate, stableUuid, type Workload } from '../estate.js';

export interface SimServerSpec {
  name: string;
  /** AD domain; null for a workgroup server. */
  domain: string | null;
  cpuCores: number;
  sockets: number;
  memoryMB: number;
  firmware: 'bios' | 'uefi';
  os: { name: string; version: string; architecture: 'x64' | 'x86' };
  /** As the server's own SMBIOS reports it (Win32_ComputerSystemProduct.UUID), upper case. */
  biosUuid: string;
  biosSerial: string;
  disks: Array<{ sizeGB: number; model: string }>;
  nics: Array<{ mac: string; ipAddresses: string[]; virtual: boolean }>;
  workload: Workload;
  /** A server that is down: its listener refuses connections. */
  down: boolean;
}

function stableMac(seed: number, name: string, i: number): string {
  const h = createHash('sha256').update(`${seed}|mac|${name}|${i}`).digest('hex');
  return `00:15:5d:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

let defaults: Workload | null = null;

/** The estate's default workload (the one a VM without a workload: key gets). */
export function defaultWorkload(): Workload {
  defaults ??= buildEstate({ hosts: [{ name: 'h', platform: 'hyperv' }], vms: [{ name: 'w', host: 'h' }] }).vms[0]?.workload ?? null;
  if (!defaults) throw new Error('the estate schema gives no default workload');
  return defaults;
}

/** Defaults for everything but the name, so tests and the benchmark can describe servers tersely. */
export function serverSpec(seed: number, name: string, over: Partial<SimServerSpec> = {}, index = 0): SimServerSpec {
  return {
    workload: defaultWorkload(),
    name,
    domain: 'lab.local',
    cpuCores: 4,
    sockets: 1,
    memoryMB: 8192,
    firmware: 'uefi',
    os: { name: 'Microsoft Windows Server 2019 Datacenter', version: '10.0.17763', architecture: 'x64' },
    biosUuid: stableUuid(seed, 'server-bios', name).toUpperCase(),
    biosSerial: `SRV-${createHash('sha256').update(`${seed}|serial|${name}`).digest('hex').slice(0, 10).toUpperCase()}`,
    disks: [{ sizeGB: 127, model: 'Msft Virtual Disk' }],
    nics: [{ mac: stableMac(seed, name, 0), ipAddresses: [`10.20.${(index >> 8) & 255}.${(index & 255) + 1}`], virtual: false }],
    down: false,
    ...over,
  };
}
