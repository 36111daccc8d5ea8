// The simulated Windows servers' description: what lab/windows serves. Built from the estate's
// `servers:` list (family windows) by fromEstate(); tests and the benchmark may also build it directly.
import { createHash } from 'node:crypto';
import { buildEstate, stableUuid, type Estate, type Workload } from '../estate.js';

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
  /** name: the connection name Windows shows (NetConnectionID), "Ethernet0".. when absent. */
  nics: Array<{ mac: string; ipAddresses: string[]; virtual: boolean; name?: string }>;
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

/** SMBIOS 2.6 byte order of the first three fields: how a VMware guest reads its own config.uuid. */
function guestViewOfVmwareUuid(uuid: string): string {
  const [a = '', b = '', c = '', d = '', e = ''] = uuid.toLowerCase().split('-');
  const rev = (h: string) => (h.match(/../g) ?? []).reverse().join('');
  return [rev(a), rev(b), rev(c), d, e].join('-');
}

/**
 * The estate's Windows servers (servers: with family windows). A server that is also a VMware VM of the
 * estate (sameAs) reports its SMBIOS UUID as a Windows guest of VMware does: config.uuid with the first
 * three fields byte-swapped, so the lab exercises the quirk the assessment's merge must handle.
 */
export function windowsServersOfEstate(estate: Estate): SimServerSpec[] {
  const vmware = new Set(estate.vms.filter((v) => v.host.platform === 'vmware').map((v) => v.name));
  return estate.servers
    .filter((s) => s.family === 'windows')
    .map((s) => {
      const dot = s.fqdn.indexOf('.');
      const uuid = s.sameAs && vmware.has(s.sameAs) ? guestViewOfVmwareUuid(s.biosUuid) : s.biosUuid;
      return {
        name: s.name,
        domain: dot > 0 ? s.fqdn.slice(dot + 1) : null,
        cpuCores: s.cpus,
        sockets: s.cpus >= 16 && s.cpus % 2 === 0 ? 2 : 1,
        memoryMB: s.memoryMB,
        firmware: s.firmware,
        os: { name: s.os.name, version: s.os.version, architecture: s.architecture === 'i686' ? 'x86' : 'x64' },
        biosUuid: uuid.toUpperCase(),
        biosSerial: s.biosSerial,
        disks: s.disks.map((d) => ({ sizeGB: d.sizeGB, model: d.model })),
        nics: s.nics.map((n) => ({ mac: n.mac, ipAddresses: n.ipAddresses, virtual: false, name: n.name })),
        workload: s.workload,
        down: s.down,
      };
    });
}

/**
 * The estate's powered-on Windows VMs that no server of the estate already is (sameAs), as Windows guests the
 * lab serves over WS-Man (issue 12): same name, the VM's inventory IP addresses, so guest readers that connect
 * to an inventory IP (through the lab's guestHostMap) reach the right machine.
 */
export function windowsGuestsOfEstate(estate: Estate): SimServerSpec[] {
  const twins = new Set(estate.servers.map((s) => s.sameAs).filter((n): n is string => n !== null));
  return estate.vms
    .filter((v) => v.powerState === 'poweredOn' && !v.template && /windows/i.test(v.os.name) && !twins.has(v.name))
    .map((v, i) =>
      serverSpec(
        estate.seed,
        v.name,
        {
          cpuCores: v.cpus,
          memoryMB: v.memoryMB,
          firmware: v.firmware,
          os: { name: v.os.name, version: v.os.version ?? '10.0.17763', architecture: 'x64' },
          biosUuid: v.biosUuid.toUpperCase(),
          disks: v.disks.map((d) => ({
            sizeGB: d.sizeGB,
            model: v.host.platform === 'hyperv' ? 'Msft Virtual Disk' : 'VMware Virtual disk SCSI Disk Device',
          })),
          nics: v.nics.map((n, j) => ({ mac: n.mac, ipAddresses: j === 0 ? v.ipAddresses : [], virtual: false })),
          workload: v.workload,
        },
        i,
      ),
    );
}
