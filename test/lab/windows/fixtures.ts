// A small set of simulated Windows servers covering the shapes that matter: UEFI/GPT and BIOS/MBR,
// domain and workgroup, several disks and NICs, a virtual switch adapter, a 32-bit OS, one server down.
import { defaultWorkload, serverSpec, type SimServerSpec } from '../../../lab/windows/servers.js';

export const SEED = 11;
const workload = defaultWorkload();

export function fixtureServers(): SimServerSpec[] {
  return [
    serverSpec(SEED, 'fs01.lab.local', {
      workload: { ...workload, cpu: { baseline: 40, daily: 10, peakHourUtc: 14, noise: 8 } },
      cpuCores: 16,
      sockets: 2,
      memoryMB: 65536,
      disks: [
        { sizeGB: 256, model: 'DELL PERC H740P' },
        { sizeGB: 4096, model: 'DELL PERC H740P' },
      ],
      nics: [
        { mac: '00:15:5d:01:02:03', ipAddresses: ['10.20.0.11'], virtual: false },
        { mac: '00:15:5d:01:02:04', ipAddresses: ['10.30.0.11'], virtual: false },
        { mac: '00:15:5d:01:02:05', ipAddresses: ['172.16.0.1'], virtual: true },
      ],
    }),
    serverSpec(SEED, 'legacy02', {
      workload,
      domain: null,
      firmware: 'bios',
      cpuCores: 2,
      memoryMB: 4096,
      os: { name: 'Microsoft Windows Server 2008 R2 Standard', version: '6.1.7601', architecture: 'x86' },
      // A VMware VM read from inside: its SMBIOS UUID is config.uuid with the first three fields byte-swapped.
      biosUuid: 'A2F31742-2C1B-4E3D-8F90-0123456789AB',
    }),
    serverSpec(SEED, 'down03', { workload, down: true }),
  ];
}
