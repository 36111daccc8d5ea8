import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VcenterCollector } from '../../../collectors/vcenter/collector.js';
import { COUNTERS } from '../../../collectors/vcenter/counters.js';
import type { Machine, Sample } from '../../../model/index.js';
import { VimSession } from '../../../collectors/vcenter/session.js';
import { VimClient } from '../../../collectors/vcenter/soap/client.js';
import { Secret } from '../../../common/secret-value.js';
import { capturingLogger, simConfig, simRawValue } from './helpers/lab.js';
import { PEERS, requirePeer } from '../../helpers/peers.js';
import { startSim, type Sim } from './helpers/sim.js';

const counterOf = new Map(COUNTERS.map((c) => [c.metric, c]));

describe.skipIf(requirePeer(PEERS.govmomiSim))('vCenter perf against govmomi simulator (deterministic QueryPerf)', () => {
  let sim: Sim;
  let dir: string;
  const logs = capturingLogger();

  beforeAll(async () => {
    sim = await startSim({ datacenters: 1, clusters: 1, clusterHosts: 2, hosts: 1, vms: 3, poweredOff: 0.25, templates: 1 });
    dir = mkdtempSync(join(tmpdir(), 'vc-perf-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('captures every 20-s sample exactly once across polls at any cadence and a restart, converted at the edge', async () => {
    const stateFile = join(dir, 'state.json');
    const cfg = simConfig(sim, { perf: { vmsPerQuery: 2, concurrency: 2, lookbackSamples: 3, stateFile } });
    await sim.control('/lab/stats?reset=1');
    const all: Sample[] = [];
    const sink = (batch: Sample[]) => void all.push(...batch);

    const a = new VcenterCollector(cfg, { log: logs.log });
    const { machines } = await a.discover();
    const s1 = await a.poll(sink); // first poll: backfills the realtime hour
    expect(s1.errors).toEqual([]);
    await sim.control('/lab/clock?advance=21');
    await a.poll(sink); // the 20-s cadence
    await sim.control('/lab/clock?advance=47');
    await a.poll(sink);
    await sim.control('/lab/clock?advance=390');
    const s4 = await a.poll(sink); // a slow cadence: minutes between polls
    expect(s4.samples).toBeGreaterThan(0);
    expect(a.session.logins).toBe(1); // one session for all polls
    await a.close();

    await sim.control('/lab/clock?advance=130');
    const b = new VcenterCollector(cfg, { log: logs.log }); // a restart: new instance, same state file
    await b.poll(sink);
    const nowBefore: number = (await sim.control('/lab/clock?advance=20')).now;
    await b.poll(sink);
    await b.close();

    const stats = await sim.control('/lab/stats');
    expect(stats.queryPerfMaxEntities).toBeLessThanOrEqual(2);
    expect(stats.calls.Login).toBe(2);

    // No duplicates.
    const keys = all.map((s) => `${s.machine}|${s.metric}|${s.instance}|${s.ts}`);
    expect(new Set(keys).size).toBe(keys.length);

    // Every value is the simulator's raw value converted once; -1 never passes.
    const byId = new Map<string, Machine>(machines.map((m) => [m.id, m]));
    const instanceName = (m: Machine, metric: string, instance: string): string => {
      if (metric.startsWith('disk.')) {
        const d = m.disks.find((x) => x.id === instance)!;
        return `scsi0:${d.unitNumber}`;
      }
      return instance;
    };
    for (const s of all) {
      const m = byId.get(s.machine)!;
      expect(m.powerState).toBe('poweredOn');
      const c = counterOf.get(s.metric)!;
      const raw = simRawValue(m.moref!, c.name, instanceName(m, s.metric, s.instance), s.ts / 1000);
      expect(raw).not.toBeNull();
      expect(s.value).toBe((raw! * c.multiply) / c.divide);
      expect(s.intervalSec).toBe(20);
      expect(s.ts % 20_000).toBe(0);
    }

    // No gaps: each series is every 20-s slot from an hour before the first poll to the last
    // poll, except exactly the slots where the simulator serves -1.
    const on = machines.filter((m) => m.powerState === 'poweredOn');
    expect(on.length).toBeGreaterThan(0);
    expect(machines.length).toBeGreaterThan(on.length); // some powered off: never polled
    const bySeries = new Map<string, number[]>();
    for (const s of all) {
      const k = `${s.machine}|${s.metric}|${s.instance}`;
      (bySeries.get(k) ?? bySeries.set(k, []).get(k)!).push(s.ts);
    }
    let expectedSeries = 0;
    let latest = 0;
    for (const m of on) {
      for (const c of COUNTERS) {
        const instances = c.scope === 'machine' ? [''] : c.scope === 'disk' ? m.disks.map((d) => d.id) : m.nics.map((n) => n.id);
        for (const inst of instances) {
          expectedSeries++;
          const got = (bySeries.get(`${m.id}|${c.metric}|${inst}`) ?? []).sort((x, y) => x - y);
          expect(got.length).toBeGreaterThan(170);
          const first = got[0]!;
          const last = got[got.length - 1]!;
          latest = Math.max(latest, last);
          expect(last).toBeGreaterThanOrEqual(Math.floor(nowBefore / 20_000) * 20_000 - 4 * 20_000); // only trailing -1s may be missing
          const expected: number[] = [];
          for (let ts = first; ts <= last; ts += 20_000) {
            if (simRawValue(m.moref!, c.name, instanceName(m, c.metric, inst), ts / 1000) !== null) expected.push(ts);
          }
          expect(got).toEqual(expected);
        }
      }
    }
    expect(bySeries.size).toBe(expectedSeries);
    // ...and the last poll reached vCenter's newest sample.
    expect(latest).toBeGreaterThanOrEqual(Math.floor(nowBefore / 20_000) * 20_000);
    expect(logs.text()).not.toContain(sim.password);
  });

  it('a VM removed between inventory and poll: the batch fault is reported, the inventory is re-read, its batch-mates lose nothing', async () => {
    const cfg = simConfig(sim, { perf: { vmsPerQuery: 2, concurrency: 1, lookbackSamples: 3 } });
    const c = new VcenterCollector(cfg, { log: logs.log });
    const { machines } = await c.discover();
    const all: Sample[] = [];
    await c.poll((b) => void all.push(...b));
    const on = machines.filter((m) => m.powerState === 'poweredOn');
    const victim = on[0]!; // shares its QueryPerf batch with on[1]
    const mate = on[1]!;

    // Remove it the way an administrator would: power off, then unregister (from a second session).
    const adminClient = new VimClient({ url: sim.url, tls: { thumbprint: sim.thumbprint }, timeoutMs: 10_000 });
    const admin = new VimSession(adminClient, { username: sim.username, password: () => new Secret(sim.password), log: logs.log });
    const vmRef = { type: 'VirtualMachine', value: victim.moref! };
    await admin.call('PowerOffVM_Task', vmRef);
    for (let i = 0; ; i++) {
      try {
        await admin.call('UnregisterVM', vmRef);
        break;
      } catch (err) {
        if (i > 50) throw err; // still powering off
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await admin.logout();
    await adminClient.close();

    await sim.control('/lab/clock?advance=60');
    const failed = await c.poll((b) => void all.push(...b));
    expect(failed.errors.join(' ')).toMatch(/ManagedObjectNotFound/);
    await sim.control('/lab/clock?advance=40');
    const healed = await c.poll((b) => void all.push(...b));
    expect(healed.errors).toEqual([]);
    expect(healed.machinesPolled).toBe(on.length - 1);
    await c.close();

    // The batch-mate's cpu series has no hole across the failed poll (its window started at its mark).
    const mateCpu = all
      .filter((s) => s.machine === mate.id && s.metric === 'cpu.usage.percent')
      .map((s) => s.ts)
      .sort((a, b) => a - b);
    expect(new Set(mateCpu).size).toBe(mateCpu.length);
    const expected: number[] = [];
    for (let ts = mateCpu[0]!; ts <= mateCpu[mateCpu.length - 1]!; ts += 20_000) {
      if (simRawValue(mate.moref!, 'cpu.usage.average', '', ts / 1000) !== null) expected.push(ts);
    }
    expect(mateCpu).toEqual(expected);
    expect(mateCpu[mateCpu.length - 1]! - mateCpu[0]!).toBeGreaterThan(3600_000); // the hour plus the two polls
  });

  it('keeps at most perf.concurrency QueryPerf calls in flight, each with at most perf.vmsPerQuery VMs', async () => {
    const c = new VcenterCollector(simConfig(sim, { perf: { vmsPerQuery: 1, concurrency: 2, lookbackSamples: 3 } }), { log: logs.log });
    await c.discover();
    await sim.control('/lab/stats?reset=1');
    await sim.control('/lab/delay?ms=150'); // slow answers, so the calls overlap
    try {
      const stats = await c.poll(() => undefined);
      expect(stats.errors).toEqual([]);
      expect(stats.requests).toBe(stats.machinesPolled);
    } finally {
      await sim.control('/lab/delay?ms=0');
    }
    const lab = await sim.control('/lab/stats');
    expect(lab.queryPerfMaxEntities).toBe(1);
    expect(lab.queryPerfMaxInFlight).toBe(2);
    await c.close();
  });
});
