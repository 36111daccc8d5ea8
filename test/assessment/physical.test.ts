// Physical servers in the assessment as Azure Migrate treats them: the guest-OS table applied to the
// names the servers report themselves, boot type from the partition table (UEFI conditionally ready),
// the boot disk as the OS disk, one record per server across sources (seenBy), and the CSV's
// "Server type" = Physical with no Hypervisor.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildAssessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { toAzureMigrateCsv } from '../../assessment/csv.js';
import { classifyOs } from '../../assessment/os-table.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import { schemaErrors } from '../../assessment/schemas.js';
import type { Machine } from '../../model/index.js';

const catalog = loadCatalog('westus2');
const GIB = 1024 ** 3;

function physical(over: Partial<Machine> = {}): Machine {
  return {
    id: 'physical:bios:11111111-2222-4333-8444-555555555555',
    source: 'win',
    kind: 'physical',
    name: 'fs01',
    moref: null,
    biosUuid: '11111111-2222-4333-8444-555555555555',
    instanceId: '11111111-2222-4333-8444-555555555555',
    cpuCores: 8,
    memoryMB: 32768,
    os: { name: 'Microsoft Windows Server 2019 Datacenter', id: null, version: '10.0.17763', architecture: 'x64', family: 'windows' },
    firmware: 'bios',
    powerState: 'poweredOn',
    host: null,
    cluster: null,
    datacenter: null,
    disks: [
      { id: 'PhysicalDrive1', capacityBytes: 2048 * GIB, label: '\\\\.\\PHYSICALDRIVE1', model: 'PERC' },
      { id: 'PhysicalDrive0', capacityBytes: 256 * GIB, label: '\\\\.\\PHYSICALDRIVE0', model: 'PERC' },
    ],
    nics: [{ id: 'nic-a', mac: '00:15:5d:01:02:03', ipAddresses: ['10.20.0.11'] }],
    ipAddresses: ['10.20.0.11'],
    fqdn: 'fs01.corp.local',
    biosSerial: 'SRV-1',
    bootDisk: 'PhysicalDrive0',
    seenBy: ['win'],
    ...over,
  };
}

const build = (machines: Machine[]) =>
  buildAssessment({ machines, percentiles: null, properties: { ...DEFAULT_PROPERTIES }, catalog, asOf: 0, generatedAt: 0 });

describe('OS support for the names physical servers report', () => {
  it.each([
    ['Microsoft Windows Server 2022 Standard', 'windows', null, 'ready'],
    ['Microsoft Windows Server 2019 Datacenter', 'windows', null, 'ready'],
    ['Microsoft Windows Storage Server 2016 Standard', 'windows', null, 'ready'],
    ['Microsoft Hyper-V Server 2019', 'windows', null, 'ready'],
    ['Microsoft Windows Server 2012 R2 Standard', 'windows', null, 'ready'],
    ['Microsoft Windows Server 2008 R2 Enterprise', 'windows', null, 'ready'],
    ['Microsoft(R) Windows(R) Server 2003, Standard Edition', 'windows', null, 'conditional'],
    ['Microsoft Windows 10 Pro', 'windows', null, 'conditional'],
    ['Ubuntu 22.04.3 LTS', 'linux', '22.04', 'ready'],
    ['Red Hat Enterprise Linux 8.9 (Ootpa)', 'linux', '8.9', 'ready'],
    ['CentOS release 5.11 (Final)', 'linux', '5.11', 'conditional'],
    ['Debian GNU/Linux', 'linux', '12', 'ready'],
    ['Debian GNU/Linux', 'linux', '6', 'conditional'],
    ['Rocky Linux 9.3 (Blue Onyx)', 'linux', '9.3', 'ready'],
  ] as const)('%s (%s %s) is %s', (name, family, version, support) => {
    expect(classifyOs({ name, id: null, family, version }).support).toBe(support);
  });

  it('a server that reports no OS name is readiness unknown, without blaming VMware Tools', () => {
    const v = classifyOs({ name: null, id: null, family: 'windows' });
    expect(v).toMatchObject({ support: 'unknown', rule: 'os-not-reported' });
    expect(v.note).not.toMatch(/VMware/);
  });
});

describe('readiness, sizing and the CSV for physical servers', () => {
  it('a BIOS server on Windows Server 2019 is Ready; its boot disk is the OS disk; UEFI is conditionally ready', () => {
    const a = build([physical(), physical({ id: 'physical:bios:u', biosUuid: null, name: 'uefi01', firmware: 'uefi' })]);
    const bios = a.machines.find((r) => r.name === 'fs01');
    expect(bios).toMatchObject({ kind: 'physical', seenBy: ['win'], readiness: { category: 'Ready' }, os: { family: 'windows' } });
    expect(bios?.disks.map((d) => d.id)).toEqual(['PhysicalDrive0', 'PhysicalDrive1']);
    expect(bios?.sizing.status).toBe('sized');
    const uefi = a.machines.find((r) => r.name === 'uefi01');
    expect(uefi?.readiness.category).toBe('Conditionally ready');
    expect(uefi?.readiness.reasons.map((r) => r.code)).toEqual(['boot-uefi']);
  });

  it('a 32-bit Windows Server 2008 R2 server is conditionally ready (32-bit)', () => {
    const a = build([
      physical({
        os: { name: 'Microsoft Windows Server 2008 R2 Standard', id: null, version: '6.1.7601', architecture: 'x86', family: 'windows' },
      }),
    ]);
    expect(a.machines[0]?.readiness.reasons.map((r) => r.code)).toEqual(['os-32-bit']);
  });

  it('the CSV row says Server type Physical with no Hypervisor; a VM also read as physical stays one Virtual row', () => {
    const vmUuid = '4217f3a2-1b2c-3d4e-8f90-0123456789ab';
    const vm: Machine = {
      ...physical(),
      id: 'vmware:vc:1',
      source: 'vc01',
      kind: 'vmware',
      name: 'app02',
      moref: 'vm-1',
      biosUuid: vmUuid,
      bootDisk: null,
      seenBy: undefined,
      os: { name: 'Microsoft Windows Server 2016 (64-bit)', id: 'windows9Server64Guest' },
    };
    const inside = physical({
      id: 'physical:bios:a2f31742-2c1b-4e3d-8f90-0123456789ab',
      name: 'app02',
      biosUuid: 'a2f31742-2c1b-4e3d-8f90-0123456789ab',
    });
    const a = build([physical(), vm, inside]);
    expect(a.machines.map((r) => [r.name, r.kind, r.seenBy])).toEqual([
      ['app02', 'vmware', ['vc01', 'win']],
      ['fs01', 'physical', ['win']],
    ]);
    expect(schemaErrors('assessment', a)).toEqual([]);
    const { files } = toAzureMigrateCsv(a.machines);
    const rows = parse(files[0]?.text ?? '', { columns: true }) as Record<string, string>[];
    expect(
      rows.map((r) => [r['Server name'], r['Server type'], r.Hypervisor, r['Firmware type'], r['OS name'], r['OS architecture']]),
    ).toEqual([
      ['app02', 'Virtual', 'VMware', 'BIOS', 'Microsoft Windows Server 2016 (64-bit)', 'x64'],
      ['fs01', 'Physical', '', 'BIOS', 'Microsoft Windows Server 2019 Datacenter', 'x64'],
    ]);
    expect(rows[1]).toMatchObject({
      Cores: '8',
      Memory: '32768',
      'Number of disks': '2',
      'Disk 1 size': '256',
      'Disk 2 size': '2048',
      'MAC address': '00:15:5d:01:02:03',
    });
  });
});
