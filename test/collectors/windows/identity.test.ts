// BIOS UUID canonicalisation (VMware's byte-order quirk) and the merge of one server seen by several
// sources: a VMware VM read as a physical server is one machine, seenBy both.
import { describe, expect, it } from 'vitest';
import {
  biosIdentityKey,
  canonicalBiosUuid,
  mergeMachinesAcrossSources,
  sameBiosUuid,
  swapUuidByteOrder,
  type Machine,
} from '../../../model/index.js';

const VMWARE_CONFIG_UUID = '4217f3a2-1b2c-3d4e-8f90-0123456789ab';
const GUEST_SMBIOS_UUID = 'A2F31742-2C1B-4E3D-8F90-0123456789AB'; // what Windows shows inside that VM

function machine(over: Partial<Machine>): Machine {
  return {
    id: 'x',
    source: 's',
    kind: 'vmware',
    name: 'n',
    moref: null,
    biosUuid: null,
    instanceId: 'i',
    cpuCores: 2,
    memoryMB: 4096,
    os: { name: null, id: null },
    firmware: 'bios',
    powerState: 'poweredOn',
    host: null,
    cluster: null,
    datacenter: null,
    disks: [],
    nics: [],
    ipAddresses: [],
    ...over,
  };
}

describe('BIOS UUID canonicalisation', () => {
  it('accepts braces, upper case and bare hex; refuses placeholders', () => {
    expect(canonicalBiosUuid('{4217F3A2-1B2C-3D4E-8F90-0123456789AB}')).toBe(VMWARE_CONFIG_UUID);
    expect(canonicalBiosUuid('4217F3A21B2C3D4E8F900123456789AB')).toBe(VMWARE_CONFIG_UUID);
    expect(canonicalBiosUuid('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(canonicalBiosUuid('FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF')).toBeNull();
    expect(canonicalBiosUuid('Not Settable')).toBeNull();
    expect(canonicalBiosUuid(null)).toBeNull();
  });

  it("VMware's config.uuid and the guest's SMBIOS reading differ by the byte order of the first three fields", () => {
    expect(swapUuidByteOrder(VMWARE_CONFIG_UUID)).toBe(GUEST_SMBIOS_UUID.toLowerCase());
    expect(swapUuidByteOrder(swapUuidByteOrder(VMWARE_CONFIG_UUID))).toBe(VMWARE_CONFIG_UUID);
    expect(biosIdentityKey(VMWARE_CONFIG_UUID)).toBe(biosIdentityKey(GUEST_SMBIOS_UUID));
    expect(sameBiosUuid(VMWARE_CONFIG_UUID, GUEST_SMBIOS_UUID)).toBe(true);
    expect(sameBiosUuid(VMWARE_CONFIG_UUID, VMWARE_CONFIG_UUID.toUpperCase())).toBe(true);
    expect(sameBiosUuid(VMWARE_CONFIG_UUID, '4217f3a2-1b2c-3d4e-8f90-0123456789ac')).toBe(false);
    expect(sameBiosUuid(null, null)).toBe(false);
  });
});

describe('one machine across sources', () => {
  const vm = machine({
    id: 'vmware:vc:inst-1',
    source: 'vc01',
    kind: 'vmware',
    name: 'legacy02',
    biosUuid: VMWARE_CONFIG_UUID,
    moref: 'vm-42',
    ipAddresses: ['10.0.0.5'],
    os: { name: 'Microsoft Windows Server 2008 R2 (64-bit)', id: 'windows7Server64Guest' },
  });
  const phys = machine({
    id: `physical:bios:${GUEST_SMBIOS_UUID.toLowerCase()}`,
    source: 'win',
    kind: 'physical',
    name: 'legacy02',
    biosUuid: GUEST_SMBIOS_UUID.toLowerCase(),
    fqdn: 'legacy02.corp.local',
    biosSerial: 'VMware-42 17 f3 a2 1b 2c 3d 4e-8f 90 01 23 45 67 89 ab',
    ipAddresses: ['10.0.0.5', 'fe80::1'],
    os: { name: 'Microsoft Windows Server 2008 R2 Standard', id: null, version: '6.1.7601', architecture: 'x64', family: 'windows' },
    seenBy: ['win'],
  });
  const other = machine({ id: 'physical:bios:other', source: 'win', kind: 'physical', biosUuid: '11111111-2222-4333-8444-555555555555' });

  it('a VMware VM and the same server read as physical become one machine, seenBy both, the VM record primary', () => {
    const out = mergeMachinesAcrossSources([phys, other, vm]);
    expect(out).toHaveLength(2);
    const m = out.find((x) => x.kind === 'vmware');
    expect(m).toMatchObject({
      id: 'vmware:vc:inst-1',
      moref: 'vm-42',
      seenBy: ['vc01', 'win'],
      fqdn: 'legacy02.corp.local',
      biosSerial: phys.biosSerial,
      ipAddresses: ['10.0.0.5', 'fe80::1'],
    });
    expect(m?.os).toMatchObject({ name: vm.os.name, version: '6.1.7601', architecture: 'x64', family: 'windows' });
    // Idempotent: merging again changes nothing.
    expect(mergeMachinesAcrossSources(out)).toEqual(out);
  });

  it('two physical sources reading one server merge; VM clones sharing a UUID are left alone', () => {
    const again = { ...phys, source: 'win-2', seenBy: ['win-2'] };
    expect(mergeMachinesAcrossSources([phys, again])).toMatchObject([{ seenBy: ['win', 'win-2'] }]);
    const clone = { ...vm, id: 'vmware:vc:inst-2' };
    expect(mergeMachinesAcrossSources([vm, clone, phys])).toHaveLength(3);
  });
});

describe('the inventory store merges on read (Redis)', () => {
  it('each source keeps its own machines; the all-sources read gives one machine seenBy both', async () => {
    const { createRedis } = await import('../../../queue/redis.js');
    const { InventoryStore } = await import('../../../queue/inventory-store.js');
    const prefix = `win-identity-${process.pid}`;
    const redis = createRedis({ url: 'redis://127.0.0.1:6379/13', prefix, sentinelMasterName: 'mymaster' });
    try {
      const store = new InventoryStore(redis, prefix);
      const summary = (name: string, kind: 'vcenter' | 'windows') => ({
        name,
        kind,
        endpoint: 'x',
        about: {},
        machines: 1,
        templatesSkipped: 0,
        discoveredAt: new Date(0).toISOString(),
        errors: [],
      });
      const vm = machine({ id: 'vmware:vc:inst-1', source: 'vc01', kind: 'vmware', name: 'legacy02', biosUuid: VMWARE_CONFIG_UUID });
      const phys = machine({
        id: 'physical:bios:a2f31742-2c1b-4e3d-8f90-0123456789ab',
        source: 'win',
        kind: 'physical',
        name: 'legacy02',
        biosUuid: GUEST_SMBIOS_UUID.toLowerCase(),
        fqdn: 'legacy02.corp.local',
        seenBy: ['win'],
      });
      await store.save(summary('vc01', 'vcenter'), [vm]);
      await store.save(summary('win', 'windows'), [phys]);
      expect((await store.machines('win')).map((m) => m.id)).toEqual([phys.id]);
      const all = await store.machines();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ id: vm.id, seenBy: ['vc01', 'win'], fqdn: 'legacy02.corp.local' });
    } finally {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });
});
