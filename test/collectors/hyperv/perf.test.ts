import { describe, expect, it } from 'vitest';
import { readInventory, readPerf } from '../../../collectors/hyperv/host-reader.js';
import { joinInventory } from '../../../collectors/hyperv/inventory.js';
import { InventoryMapping } from '../../../collectors/hyperv/perf-mapping.js';
import { nicGuidOfInstance, PerfSampler, vmNameOfVp } from '../../../collectors/hyperv/perf.js';
import type { Machine, Sample } from '../../../model/index.js';
import type { CimInstance } from '../../../collectors/wsman/index.js';
import { loadEstate } from '../../../lab/estate.js';
import { HypervWorld, SLOT_SEC } from '../../../lab/hyperv/world.js';
import { directReader, truth } from '../../lab/hyperv/direct.js';

const estate = loadEstate('lab/estates/sample.yaml');
const SLOT = SLOT_SEC * 1000;
const T0 = Math.floor(Date.UTC(2026, 10, 2, 9, 0, 0) / SLOT) * SLOT;

describe('Hyper-V perf sampler (simulator data, no wire)', () => {
  it('primes on the first reading, then yields the workload of each slot for every VM, disk and NIC', async () => {
    let now = T0;
    const world = new HypervWorld(estate, () => now);
    const reader = directReader(world, 'hv02');
    const machines = joinInventory(await readInventory(reader, new Map()), { source: 's', host: 'hv02', cluster: 'HVCLU01' });
    const mapping = new InventoryMapping(machines);
    const sampler = new PerfSampler();
    const first = sampler.sample(await readPerf(reader), mapping, now);
    expect(first.samples).toEqual([]);
    expect(first.unmapped).toEqual([]);
    for (let k = 0; k < 4; k++) {
      const t0 = now;
      now += SLOT;
      const { samples, unmapped, resets } = sampler.sample(await readPerf(reader), mapping, now);
      expect(unmapped).toEqual([]);
      expect(resets).toBe(0);
      for (const v of world.vmsOn('hv02').filter((x) => x.powerState === 'poweredOn')) {
        const want = truth(world, v.vm.name, t0);
        const got = new Map(
          samples.filter((s) => s.machine === machines.find((m) => m.name === v.vm.name)!.id).map((s) => [`${s.metric}|${s.instance}`, s]),
        );
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [key, value] of want) {
          const s = got.get(key)!;
          expect(Math.abs(s.value - value), `${v.vm.name} ${key}`).toBeLessThan(key.startsWith('cpu') ? 1e-6 : 0.05);
          expect(s.ts).toBe(now);
          expect(s.intervalSec).toBe(30);
        }
      }
    }
  });

  it('drops the pair when a VM restarts instead of producing a spike, and resumes after', async () => {
    let now = T0;
    const world = new HypervWorld(estate, () => now);
    const reader = directReader(world, 'hv01');
    const machines = joinInventory(await readInventory(reader, new Map()), { source: 's', host: 'hv01', cluster: null });
    const mapping = new InventoryMapping(machines);
    const sampler = new PerfSampler();
    sampler.sample(await readPerf(reader), mapping, now);
    now += SLOT;
    world.restartVm('hv-web01');
    now += SLOT;
    const after: Sample[] = sampler.sample(await readPerf(reader), mapping, now).samples;
    const web = machines.find((m) => m.name === 'hv-web01')!.id;
    expect(after.filter((s) => s.machine === web && s.metric !== 'memory.usage.percent')).toEqual([]);
    expect(after.some((s) => s.machine !== web && s.metric === 'cpu.usage.percent')).toBe(true);
    now += SLOT;
    const resumed = sampler.sample(await readPerf(reader), mapping, now).samples.filter((s) => s.machine === web);
    expect(resumed.find((s) => s.metric === 'cpu.usage.percent')!.value).toBeCloseTo(
      truth(world, 'hv-web01', now - SLOT).get('cpu.usage.percent|')!,
      6,
    );
  });

  it('does not map counters of two VMs sharing a name on one host, and does not call them unknown', () => {
    const m = (id: string): Machine => ({ id, name: 'twin', memoryMB: 1024, disks: [], nics: [] }) as unknown as Machine;
    const mapping = new InventoryMapping([m('a'), m('b')]);
    const vp = (n: string, base: string): CimInstance => ({
      className: 'x',
      properties: {
        Name: 'twin:Hv VP 0',
        PercentGuestRunTime: n,
        PercentGuestRunTime_Base: base,
        Timestamp_PerfTime: base,
        Frequency_PerfTime: '10000000',
        Timestamp_Sys100NS: null,
      },
    });
    const sampler = new PerfSampler();
    const empty = { memory: [], storage: [], network: [] };
    sampler.sample({ vp: [vp('100', '1000')], ...empty }, mapping, 0);
    const out = sampler.sample({ vp: [vp('200', '300001000')], ...empty }, mapping, 0);
    expect(out.samples).toEqual([]);
    expect(out.unmapped).toEqual([]);
    expect(mapping.ambiguous('twin')).toBe(true);
  });

  it('emits no memory sample (rather than 0 %) for a VM whose integration services report no pressure', () => {
    const mapping = new InventoryMapping([{ id: 'm', name: 'vm', memoryMB: 4096, disks: [], nics: [] } as unknown as Machine]);
    const mem = (pressure: string, perf: string): CimInstance => ({
      className: 'x',
      properties: {
        Name: 'vm',
        CurrentPressure: pressure,
        GuestVisiblePhysicalMemory: pressure === '0' ? '0' : '4096',
        Timestamp_PerfTime: perf,
        Frequency_PerfTime: '10000000',
        Timestamp_Sys100NS: null,
      },
    });
    const sampler = new PerfSampler();
    const none = { vp: [], storage: [], network: [] };
    sampler.sample({ memory: [mem('0', '1000')], ...none }, mapping, 0);
    expect(sampler.sample({ memory: [mem('0', '300001000')], ...none }, mapping, 0).samples).toEqual([]);
    const s = sampler.sample({ memory: [mem('50', '600001000')], ...none }, mapping, 123).samples;
    expect(s).toEqual([{ machine: 'm', metric: 'memory.usage.percent', instance: '', ts: 123, value: 50, intervalSec: 30 }]);
  });

  it('maps a storage instance by its whole VHD path, else by a VHD file name that only one disk has', () => {
    const disk = (id: string, path: string) => ({ id, capacityBytes: 1, path });
    const mapping = new InventoryMapping([
      {
        id: 'm1',
        name: 'a',
        memoryMB: 1,
        disks: [disk('d1', 'C:\\VMs\\a\\a-os.vhdx'), disk('d2', 'C:\\VMs\\a\\data.vhdx')],
        nics: [],
      } as unknown as Machine,
      { id: 'm2', name: 'b', memoryMB: 1, disks: [disk('d3', 'D:\\VMs\\b\\data.vhdx')], nics: [] } as unknown as Machine,
    ]);
    expect(mapping.diskByInstance('C:-VMs-a-a-os.vhdx')).toEqual({ machine: 'm1', disk: 'd1' });
    expect(mapping.diskByInstance('c:-vms-a-data.vhdx')).toEqual({ machine: 'm1', disk: 'd2' });
    // Another spelling of the same volume: found by the file name, which only one disk has.
    expect(mapping.diskByInstance('C:-ClusterStorage-Volume1-VMs-a-a-os.vhdx')).toEqual({ machine: 'm1', disk: 'd1' });
    // data.vhdx belongs to two disks: not guessed.
    expect(mapping.diskByInstance('E:-elsewhere-data.vhdx')).toBeNull();
  });

  it('parses instance names robustly', () => {
    expect(vmNameOfVp('hv:app 02:Hv VP 3')).toBe('hv:app 02');
    expect(vmNameOfVp('_Total')).toBeNull();
    expect(nicGuidOfInstance('a_b_Network Adapter_A1B2C3D4-1111-2222-3333-444455556666--0E2C7A9B-1111-2222-3333-444455556666')).toBe(
      '0e2c7a9b-1111-2222-3333-444455556666',
    );
    expect(nicGuidOfInstance('__DEVICE')).toBeNull();
  });
});
