// vim/ used alone (no session wrapper, no Machine or Sample) against govmomi's simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VimClient } from '../../../collectors/vcenter/soap/client.js';
import type { MoRef } from '../../../collectors/vcenter/soap/xml.js';
import { counterIds, perfCounters, PreparedQuerySpec, queryPerf, type PerfSeries } from '../../../collectors/vcenter/vim/performance.js';
import { retrieveProperties } from '../../../collectors/vcenter/vim/property.js';
import { currentTime, login, logout, retrieveServiceContent, type ServiceContent } from '../../../collectors/vcenter/vim/session.js';
import { containerViewObjects, withContainerView } from '../../../collectors/vcenter/vim/view.js';
import { simRawValue } from './helpers/lab.js';
import { simAvailable, startSim, type Sim } from './helpers/sim.js';

const EIGHT = [
  'cpu.usage.average',
  'mem.usage.average',
  'virtualDisk.read.average',
  'virtualDisk.write.average',
  'virtualDisk.numberReadAveraged.average',
  'virtualDisk.numberWriteAveraged.average',
  'net.received.average',
  'net.transmitted.average',
];

describe.skipIf(!simAvailable())('vim/ alone against the govmomi simulator', () => {
  let sim: Sim;
  let client: VimClient;
  let sc: ServiceContent;
  const refs = (): { pc: MoRef; vm: MoRef; root: MoRef; sm: MoRef; pm: MoRef } => {
    const { propertyCollector: pc, viewManager: vm, rootFolder: root, sessionManager: sm, perfManager: pm } = sc;
    if (!pc || !vm || !root || !sm || !pm) throw new Error('the simulator service content lacks a manager');
    return { pc, vm, root, sm, pm };
  };
  /** Every VM's reference and power state, pages of `maxObjects`, with what retrieveProperties reported. */
  const readVms = async (maxObjects: number, onPage?: (n: number) => boolean | undefined) => {
    const { pc, vm, root } = refs();
    const vms: Array<{ ref: MoRef; power: string | undefined }> = [];
    const result = await withContainerView(client, vm, root, ['VirtualMachine'], (view) =>
      retrieveProperties(
        client,
        pc,
        { propSet: [{ type: 'VirtualMachine', pathSet: ['name', 'runtime.powerState'] }], objectSet: [containerViewObjects(view)] },
        (o) => {
          expect(o.props.get('name')?.text).toBeTruthy();
          vms.push({ ref: o.obj, power: o.props.get('runtime.powerState')?.text });
        },
        { maxObjects, ...(onPage ? { onPage } : {}) },
      ),
    );
    return { vms, result };
  };

  beforeAll(async () => {
    sim = await startSim({ datacenters: 1, clusters: 2, clusterHosts: 1, hosts: 1, vms: 4, poweredOff: 0, templates: 0 });
    client = new VimClient({ url: sim.url, tls: { thumbprint: sim.thumbprint }, timeoutMs: 10_000 });
    sc = await retrieveServiceContent(client);
    await login(client, refs().sm, sim.username, sim.password);
  });
  afterAll(async () => {
    if (client) {
      if (sc?.sessionManager) await logout(client, sc.sessionManager).catch(() => undefined);
      await client.close();
    }
    await sim?.stop();
  });

  it('paged retrieval returns every VM exactly once across pages', async () => {
    const pages: number[] = [];
    const { vms, result } = await readVms(3, (n) => void pages.push(n));
    const ids = vms.map((v) => v.ref.value);
    expect(ids.length).toBe(sim.vms);
    expect(new Set(ids).size).toBe(ids.length);
    expect(vms.every((v) => v.ref.type === 'VirtualMachine')).toBe(true);
    expect(result).toEqual({ pages: Math.ceil(sim.vms / 3), objects: sim.vms, stopped: false });
    expect(pages.reduce((a, b) => a + b, 0)).toBe(sim.vms);
    expect(Math.max(...pages)).toBeLessThanOrEqual(3);
  });

  it('stopping after the first page cancels the server cursor', async () => {
    await sim.control('/lab/stats?reset=1');
    const { vms, result } = await readVms(2, () => false);
    expect(result).toEqual({ pages: 1, objects: 2, stopped: true });
    expect(vms).toHaveLength(2);
    const calls = (await sim.control('/lab/stats')).calls;
    expect(calls.CancelRetrievePropertiesEx).toBe(1);
    expect(calls.ContinueRetrievePropertiesEx ?? 0).toBe(0);
  });

  it('counter lookup finds the 8 counters by group.name.rollup', async () => {
    const { pc, pm } = refs();
    const infos = await perfCounters(client, pc, pm);
    const ids = counterIds(infos);
    for (const name of EIGHT) expect(ids.get(name), name).toEqual(expect.any(Number));
    expect(new Set(EIGHT.map((n) => ids.get(n))).size).toBe(8);
  });

  it('QueryPerf decoding returns (entity, counterId, instance, timestamps, values) tuples', async () => {
    const { pc, pm } = refs();
    const ids = counterIds(await perfCounters(client, pc, pm));
    const cpu = ids.get('cpu.usage.average');
    const diskRead = ids.get('virtualDisk.read.average');
    if (cpu === undefined || diskRead === undefined) throw new Error('counters missing');
    const on = (await readVms(100)).vms.filter((v) => v.power === 'poweredOn').map((v) => v.ref);
    expect(on.length).toBeGreaterThan(1);
    const now = await currentTime(client);
    if (now === null) throw new Error('no CurrentTime');
    const endSec = Math.floor(now / 1000);
    const window = { startSec: endSec - 300, endSec, maxSample: 15 };
    const items = on.map((entity) => ({
      spec: new PreparedQuerySpec({
        entity,
        metricId: [
          { counterId: cpu, instance: '' },
          { counterId: diskRead, instance: '*' },
        ],
        intervalId: 20,
      }),
      window,
    }));
    const tuples: PerfSeries[] = [];
    // The decoder reuses its arrays: copy what is kept.
    await queryPerf(client, pm, items, {
      series: (s) => tuples.push({ ...s, timestamps: [...s.timestamps], intervals: [...s.intervals], values: [...s.values] }),
    });
    for (const entity of on) {
      const mine = tuples.filter((t) => t.entity.value === entity.value);
      expect(mine.every((t) => t.entity.type === 'VirtualMachine')).toBe(true);
      expect(mine.filter((t) => t.counterId === cpu).map((t) => t.instance)).toEqual(['']);
      expect(mine.filter((t) => t.counterId === diskRead).length).toBeGreaterThan(0);
    }
    for (const t of tuples) {
      expect(t.values.length).toBeGreaterThan(0);
      expect(t.values.length).toBe(t.timestamps.length);
      expect(t.intervals.every((i) => i === 20)).toBe(true);
      const name = t.counterId === cpu ? 'cpu.usage.average' : 'virtualDisk.read.average';
      t.timestamps.forEach((ts, k) => {
        expect(ts % 20_000).toBe(0);
        expect(ts).toBeLessThanOrEqual(now);
        // Raw values as served (-1 for "no data"): the decoder converts nothing.
        expect(t.values[k]).toBe(simRawValue(t.entity.value, name, t.instance, ts / 1000) ?? -1);
      });
    }
  });
});
