import { describe, expect, it } from 'vitest';
import { readInventory } from '../../../collectors/hyperv/host-reader.js';
import { dedupeMachines, joinInventory, powerStateOf, vmGuidOf } from '../../../collectors/hyperv/inventory.js';
import { decodeKvpItems, guestFacts } from '../../../collectors/hyperv/kvp.js';
import { loadEstate } from '../../../lab/estate.js';
import { HypervWorld } from '../../../lab/hyperv/world.js';
import { directReader, expectedMachine } from '../../lab/hyperv/direct.js';

const estate = loadEstate('lab/estates/sample.yaml');

describe('Hyper-V inventory join (simulator data, no wire)', () => {
  it('equals the estate field by field on every host, including a VM name with ":" and spaces and a powered-off VM', async () => {
    const world = new HypervWorld(estate);
    let total = 0;
    for (const host of ['hv01', 'hv02', 'hv03']) {
      const counter = { n: 0 };
      const data = await readInventory(directReader(world, host, counter), new Map());
      const cluster = world.host(host)!.cluster;
      const machines = joinInventory(data, { source: 'hv', host, cluster });
      const expected = world.vmsOn(host).map((v) => expectedMachine(v, 'hv', cluster));
      expect(machines).toEqual(expected);
      total += machines.length;
    }
    expect(total).toBe(13);
  });

  it('uses the VHD cache on the next inventory (one invoke per new disk only)', async () => {
    const world = new HypervWorld(estate);
    const cache = new Map();
    const first = { n: 0 };
    await readInventory(directReader(world, 'hv02', first), cache);
    const second = { n: 0 };
    await readInventory(directReader(world, 'hv02', second), cache);
    const disks = world.vmsOn('hv02').reduce((s, v) => s + v.disks.length, 0);
    expect(first.n - second.n).toBe(disks);
  });

  it('maps power states, InstanceIDs and KVP items defensively', () => {
    expect([2, 3, 6, 9, 10, 32768, 32769, 32770, null].map(powerStateOf)).toEqual([
      'poweredOn',
      'poweredOff',
      'suspended',
      'suspended',
      'poweredOn',
      'suspended',
      'suspended',
      'poweredOn',
      'poweredOff',
    ]);
    expect(vmGuidOf('Microsoft:a1b2c3d4-1111-2222-3333-444455556666\\83F8638B\\0\\0\\L')).toBe('A1B2C3D4-1111-2222-3333-444455556666');
    expect(vmGuidOf('Microsoft:GuestNetwork\\A1B2C3D4-1111-2222-3333-444455556666\\X')).toBe('A1B2C3D4-1111-2222-3333-444455556666');
    expect(vmGuidOf('Microsoft:Definition\\x')).toBeNull();
    const kvp = decodeKvpItems([
      '<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Data" TYPE="string"><VALUE>Ubuntu &amp; friends</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>OSName</VALUE></PROPERTY></INSTANCE>',
      '<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Data" TYPE="string"><VALUE>10.0.0.1;fe80::1</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>NetworkAddressIPv4</VALUE></PROPERTY></INSTANCE>',
      '<not xml',
    ]);
    expect(guestFacts(kvp)).toEqual({
      osName: 'Ubuntu & friends',
      osVersion: null,
      fqdn: null,
      architecture: null,
      ipAddresses: ['10.0.0.1', 'fe80::1'],
    });
  });

  it('keeps one machine per VM GUID when a VM shows on two nodes, preferring the running copy', async () => {
    const world = new HypervWorld(estate);
    const a = joinInventory(await readInventory(directReader(world, 'hv01'), new Map()), { source: 'c', host: 'hv01', cluster: 'HVCLU01' });
    const off = a.map((m) => ({ ...m, powerState: 'poweredOff' as const, host: 'hv02' }));
    const merged = dedupeMachines([...off, ...a]);
    expect(merged).toHaveLength(a.length);
    expect(merged.every((m) => m.host === 'hv01')).toBe(true);
  });
});
