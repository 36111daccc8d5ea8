import { describe, expect, it } from 'vitest';
import { canonicalUuid, parseInventory, parseOsRelease } from '../../../collectors/linux/inventory.js';

const sections = (over: Record<string, string> = {}) => {
  const s: Record<string, string> = {
    'os-release':
      'NAME="Red Hat Enterprise Linux"\nVERSION="8.9 (Ootpa)"\nID="rhel"\nVERSION_ID="8.9"\nPRETTY_NAME="Red Hat Enterprise Linux 8.9 (Ootpa)"',
    uname: 'x86_64',
    nproc: '8',
    meminfo: 'MemTotal:       32780000 kB',
    firmware: 'bios',
    product_uuid: '4C4C4544-0042-3510-8052-B4C04F4B4C32',
    product_serial: 'cat: /sys/class/dmi/id/product_serial: Permission denied',
    'machine-id': '3d1219c7c4c5404aaa1f6d2a48adfda4',
    hostname: 'db01.corp.local',
    lsblk: JSON.stringify({
      blockdevices: [
        { name: 'sda', size: 214748364800, model: 'PERC H740P   ', type: 'disk', rota: true },
        { name: 'sr0', size: 1073741312, model: 'DVD', type: 'rom', rota: true },
        { name: 'loop0', size: 1000, model: null, type: 'loop', rota: false },
        { name: 'zram0', size: 0, model: null, type: 'disk', rota: false },
        { name: 'nvme0n1', size: 1000204886016, model: 'Samsung SSD 980', type: 'disk', rota: false },
      ],
    }),
    ip: JSON.stringify([
      { ifname: 'lo', link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [{ local: '127.0.0.1' }] },
      {
        ifname: 'eno1',
        link_type: 'ether',
        address: 'B4:96:91:AA:BB:CC',
        addr_info: [
          { family: 'inet', local: '10.1.2.3' },
          { family: 'inet6', local: 'fe80::1' },
        ],
      },
      { ifname: 'docker0', link_type: 'ether', address: '02:42:11:22:33:44', addr_info: [{ local: '172.17.0.1' }] },
    ]),
    'virtual-net': 'docker0\nlo',
    'root-disk': JSON.stringify({
      blockdevices: [
        { name: 'rhel-root', type: 'lvm', children: [{ name: 'nvme0n1p3', type: 'part', children: [{ name: 'nvme0n1', type: 'disk' }] }] },
      ],
    }),
    end: '',
    ...over,
  };
  return Object.entries(s)
    .map(([k, v]) => `@@ac:${k}\n${v}`)
    .join('\n');
};
const ctx = { source: 'lnx', label: '10.1.2.3', includeVirtualNics: false, includeNics: [] as string[] };

describe('Linux inventory parsing', () => {
  it('builds a physical Machine: id from the SMBIOS UUID, root-only serial reported as unavailable, boot disk through LVM', () => {
    const { machine: m, diskNames, nicNames } = parseInventory(sections(), ctx);
    expect(m).toMatchObject({
      id: 'physical:bios:4c4c4544-0042-3510-8052-b4c04f4b4c32',
      kind: 'physical',
      name: 'db01',
      fqdn: 'db01.corp.local',
      biosUuid: '4c4c4544-0042-3510-8052-b4c04f4b4c32',
      biosSerial: null,
      cpuCores: 8,
      memoryMB: 32012,
      firmware: 'bios',
      os: { name: 'Red Hat Enterprise Linux 8.9 (Ootpa)', id: 'rhel', version: '8.9', architecture: 'x64', family: 'linux' },
      bootDisk: 'nvme0n1',
      ipAddresses: ['10.1.2.3', 'fe80::1'],
      seenBy: ['lnx'],
    });
    expect(m.unavailable).toEqual({ biosSerial: 'needs root: /sys/class/dmi/id/product_serial is readable by root only' });
    expect(diskNames).toEqual(['sda', 'nvme0n1']);
    expect(m.disks[0]).toEqual({ id: 'sda', label: 'sda', capacityBytes: 214748364800, model: 'PERC H740P' });
    expect(nicNames).toEqual(['eno1']);
    expect(m.nics[0]).toEqual({ id: 'eno1', label: 'eno1', mac: 'b4:96:91:aa:bb:cc', ipAddresses: ['10.1.2.3', 'fe80::1'] });
  });

  it('virtual NICs with includeVirtualNics, loopback only when named; serial when readable', () => {
    expect(parseInventory(sections(), { ...ctx, includeVirtualNics: true }).nicNames).toEqual(['eno1', 'docker0']);
    expect(parseInventory(sections(), { ...ctx, includeNics: ['lo'] }).nicNames).toEqual(['lo', 'eno1']);
    expect(parseInventory(sections({ product_serial: 'CZJ1234567' }), ctx).machine.biosSerial).toBe('CZJ1234567');
  });

  it('falls back to /etc/machine-id (and says so) when the UUID is unreadable, absent or unset', () => {
    for (const uuidText of [
      'cat: /sys/class/dmi/id/product_uuid: Permission denied',
      'cat: /sys/class/dmi/id/product_uuid: No such file or directory',
      '00000000-0000-0000-0000-000000000000',
    ]) {
      const { machine } = parseInventory(sections({ product_uuid: uuidText }), ctx);
      expect(machine.id).toBe('physical:machine-id:3d1219c7c4c5404aaa1f6d2a48adfda4');
      expect(machine.unavailable?.biosUuid).toMatch(/machine id uses \/etc\/machine-id/);
    }
    expect(canonicalUuid('cat: x: Permission denied')).toEqual({
      reason: 'needs root: /sys/class/dmi/id/product_uuid is readable by root only',
    });
  });

  it('root on overlay/tmpfs: boot disk unavailable with the reason; no domain: fqdn unavailable; truncated output refused', () => {
    const { machine } = parseInventory(sections({ 'root-disk': 'lsblk: overlay: not a block device', hostname: 'db01' }), ctx);
    expect(machine.bootDisk).toBeNull();
    expect(machine.unavailable?.bootDisk).toMatch(/not a block device/);
    expect(machine.fqdn).toBeNull();
    expect(machine.name).toBe('db01');
    expect(() => parseInventory(sections().replace('@@ac:end\n', ''), ctx)).toThrow(/incomplete/);
  });

  it('reads os-release quoting', () => {
    expect(parseOsRelease('A="x \\"y\\""\nB=\'z\'\nC=plain\n#D=no')).toEqual({ A: 'x "y"', B: 'z', C: 'plain' });
  });
});
