import { describe, expect, it } from 'vitest';
import { buildEstate } from '../../../lab/estate.js';
import { workloadValue } from '../../../lab/workload.js';
import { HypervWorld, SLOT_SEC } from '../../../lab/hyperv/world.js';
import {
  guestVisibleMemoryMB,
  MEMORY_CLASS,
  NETWORK_CLASS,
  perfClasses,
  SeriesIntegrator,
  seriesKey,
  STORAGE_CLASS,
  storageInstanceName,
  VP_CLASS,
} from '../../../lab/hyperv/cim-perf.js';

const estate = buildEstate({
  seed: 3,
  hosts: [{ name: 'hv01', platform: 'hyperv' }],
  vms: [
    {
      name: 'a:b c',
      host: 'hv01',
      cpus: 2,
      disks: [
        { sizeGB: 10, type: 'fixed' },
        { sizeGB: 20, type: 'dynamic' },
      ],
      workload: { cpu: { baseline: 40, daily: 10, noise: 7, bursts: { perDay: 50, magnitude: 30 } } },
    },
    { name: 'dyn', host: 'hv01', memoryMB: 4096, dynamicMemory: { enabled: true, minimumMB: 1024, maximumMB: 8192 } },
    { name: 'off', host: 'hv01', powerState: 'poweredOff' },
  ],
});
const SLOT = SLOT_SEC * 1000;
const T0 = Math.floor(Date.UTC(2026, 5, 1, 13, 0, 0) / SLOT) * SLOT;

function read(world: HypervWorld, integ: SeriesIntegrator, t: number) {
  return perfClasses(world, world.host('hv01')!, integ, t);
}
const prop = (m: Map<string, { properties: Record<string, unknown> }[]>, cls: string, name: string, p: string): bigint =>
  BigInt(m.get(cls)!.find((i) => i.properties.Name === name)!.properties[p] as string);

describe('simulated raw perf counters', () => {
  it('integrate the workload so that rates over a slot equal the estate workload, BigInt-sized', () => {
    let now = T0;
    const world = new HypervWorld(estate, () => now);
    const integ = new SeriesIntegrator();
    const v = world.vmByName('a:b c');
    for (let k = 0; k < 6; k++) {
      const t0 = T0 + k * SLOT;
      const t1 = t0 + SLOT;
      now = t0;
      const r0 = read(world, integ, t0);
      now = t1;
      const r1 = read(world, integ, t1);
      const cpuWant = workloadValue(v.vm.workload.cpu, seriesKey(3, 'a:b c', 'cpu'), t0, SLOT_SEC, true);
      for (const vp of ['a:b c:Hv VP 0', 'a:b c:Hv VP 1']) {
        const n = prop(r1, VP_CLASS, vp, 'PercentGuestRunTime') - prop(r0, VP_CLASS, vp, 'PercentGuestRunTime');
        const d = prop(r1, VP_CLASS, vp, 'PercentGuestRunTime_Base') - prop(r0, VP_CLASS, vp, 'PercentGuestRunTime_Base');
        expect(Number((n * 10000n) / d) / 100).toBeCloseTo(cpuWant, 6);
        expect(prop(r1, VP_CLASS, vp, 'PercentGuestRunTime') > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      }
      const disk = storageInstanceName(v.disks[1]!.path);
      const bytes = prop(r1, STORAGE_CLASS, disk, 'ReadBytesPersec') - prop(r0, STORAGE_CLASS, disk, 'ReadBytesPersec');
      const ticks = prop(r1, STORAGE_CLASS, disk, 'Timestamp_PerfTime') - prop(r0, STORAGE_CLASS, disk, 'Timestamp_PerfTime');
      const want = workloadValue(
        v.vm.workload.diskReadBytesPerSec,
        seriesKey(3, 'a:b c', 'diskReadBytesPerSec', '2001'),
        t0,
        SLOT_SEC,
        false,
      );
      expect(Math.abs(Number(bytes) / (Number(ticks) / 1e7) - want)).toBeLessThan(0.05);
      expect(ticks).toBe(300_000_000n);
    }
  });

  it('reports memory pressure against guest-visible memory and omits VMs that are off', () => {
    const now = T0 + 7 * SLOT;
    const world = new HypervWorld(estate, () => now);
    const r = read(world, new SeriesIntegrator(), now);
    const dyn = world.vmByName('dyn').vm;
    const gvpm = guestVisibleMemoryMB(dyn);
    expect(gvpm).toBe(6144);
    const want = workloadValue(dyn.workload.memory, seriesKey(3, 'dyn', 'memory'), now, SLOT_SEC, true);
    const pressure = Number(prop(r, MEMORY_CLASS, 'dyn', 'CurrentPressure'));
    expect(Math.abs(((pressure * gvpm) / 100 / dyn.memoryMB) * 100 - want)).toBeLessThan(1);
    expect(r.get(MEMORY_CLASS)!.map((i) => i.properties.Name)).toEqual(['a:b c', 'dyn']);
    expect(r.get(VP_CLASS)!.map((i) => i.properties.Name)).toEqual([
      'a:b c:Hv VP 0',
      'a:b c:Hv VP 1',
      'dyn:Hv VP 0',
      'dyn:Hv VP 1',
      '_Total',
    ]);
    expect(r.get(NETWORK_CLASS)!.some((i) => String(i.properties.Name).startsWith('Default Switch_'))).toBe(true);
  });

  it('are monotonic, and restart from a lower value when the VM restarts', () => {
    let now = T0;
    const world = new HypervWorld(estate, () => now);
    const integ = new SeriesIntegrator();
    let last = 0n;
    for (let k = 0; k < 20; k++) {
      now = T0 + k * 7_777;
      const c = prop(
        read(world, integ, now),
        NETWORK_CLASS,
        read(world, integ, now).get(NETWORK_CLASS)![0]!.properties.Name as string,
        'BytesReceivedPersec',
      );
      expect(c >= last).toBe(true);
      last = c;
    }
    const before = prop(read(world, integ, now), VP_CLASS, 'a:b c:Hv VP 0', 'PercentGuestRunTime');
    world.restartVm('a:b c');
    now += 30_000;
    const after = read(world, integ, now);
    expect(prop(after, VP_CLASS, 'a:b c:Hv VP 0', 'PercentGuestRunTime') < before).toBe(true);
  });
});
