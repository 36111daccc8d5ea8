// The lab (issue 12): the sample estate's guests talk as its applications say (lab/guest-world.ts). Their sockets,
// read at three 5-minute polls on an injected clock, go through the real dependency store; `suggestGroups` with
// the default settings (shared-service ports ignored) must propose exactly the estate's applications.
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { suggestGroups } from '../../assessment/groups.js';
import { parseConfig } from '../../config/load.js';
import { guestMachine, guestProcesses, guestSockets, applicationMachines, CONNECTION_SLOT_MS } from '../../lab/guest-world.js';
import { loadEstate } from '../../lab/estate.js';
import type { ConnectionSnapshot } from '../../model/guest.js';
import { createRedis } from '../../queue/redis.js';
import { DependencyStore } from '../../rollup/dependency-store.js';
import { ROOT } from '../helpers/cli.js';
import { redisSettings } from '../helpers/redis-settings.js';

const REDIS_URL = 'redis://127.0.0.1:6379/12';
const prefix = `test-lab-groups-${randomUUID().slice(0, 8)}`;
const redis = createRedis(redisSettings(REDIS_URL, prefix));

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** One poll of a guest as a reader returns it: sockets with the owning process looked up by pid. */
function snapshot(estate: ReturnType<typeof loadEstate>, name: string, ts: number): ConnectionSnapshot {
  const procs = new Map(guestProcesses(estate, name).map((p) => [p.pid, p]));
  return {
    machine: name,
    ts,
    notes: [],
    sockets: guestSockets(estate, name, ts).map((s) => {
      const p = procs.get(s.pid);
      return {
        state: s.state,
        localIp: s.localIp,
        localPort: s.localPort,
        remoteIp: s.remoteIp,
        remotePort: s.remotePort,
        process: p ? { pid: p.pid, name: p.name, path: p.path, args: p.args } : null,
      };
    }),
  };
}

describe('lab estate: suggested groups are the applications', () => {
  it('three polls of every application guest, through the dependency store, give one group per application', async () => {
    const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
    expect(estate.applications.length).toBeGreaterThanOrEqual(3);
    const machines = applicationMachines(estate);
    const byIp = new Map<string, string>();
    for (const name of machines) for (const ip of guestMachine(estate, name)?.ips ?? []) byIp.set(ip, name);
    const store = new DependencyStore(redis, prefix);
    const T0 = Date.UTC(2026, 11, 1, 9);
    for (let poll = 0; poll < 3; poll++) {
      for (const name of machines)
        await store.record(snapshot(estate, name, T0 + poll * CONNECTION_SLOT_MS), { machineOfIp: (ip) => byIp.get(ip) ?? null });
    }
    const edges = await store.edges(T0, T0 + 3_600_000);
    // Every machine resolves both ways: no edge to an undiscovered address.
    expect(edges.filter((e) => e.destinationMachine === null)).toEqual([]);
    const settings = parseConfig({}).groups;
    const s = suggestGroups(edges, settings, machines);
    const expected = estate.applications.map((a) => [...new Set(a.tiers.flatMap((t) => t.machines))].sort());
    expect(s.groups.map((g) => g.machines).sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''))).toEqual(
      expected.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '')),
    );
    // The shared services (DNS, AD) are left out by their ports, so their server stands alone.
    const shared = [...new Set(estate.sharedServices.flatMap((x) => x.machines))].filter((m) => !expected.flat().includes(m));
    for (const m of shared) expect(s.standalone).toContain(m);
    expect(s.ignored.ignoredPort).toBeGreaterThan(0);
    // Edges carry the processes of both ends: the web tier's client process calls the api's server process.
    expect(edges.some((e) => e.destinationPort === 1433 && e.destinationProcess === 'sqlservr.exe')).toBe(true);
    // Without the ignored ports the domain controller joins every application into one group.
    const joined = suggestGroups(edges, { ignorePorts: [], minPolls: settings.minPolls }, machines);
    expect(joined.groups).toHaveLength(1);
  });
});
