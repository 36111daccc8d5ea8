// The Hyper-V collector against the simulator over real WS-Man on loopback: HTTPS with NTLM and a
// pinned certificate, HTTP with NTLM message encryption, clusters, moved VMs, hosts down, bad
// credentials and non-admin accounts.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHypervCollector } from '../../../collectors/hyperv/index.js';
import { WsmanAccessDeniedError, WsmanAuthError } from '../../../collectors/wsman/index.js';
import type { Machine, Sample, SourceCollector } from '../../../model/index.js';
import { createLogger } from '../../../common/log.js';
import { hypervSource, type HypervSourceConfig } from '../../../config/schema/hyperv.js';
import { loadEstate } from '../../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../../lab/hyperv/index.js';
import { SLOT_SEC } from '../../../lab/hyperv/world.js';
import { expectedMachine, truth } from '../../lab/hyperv/direct.js';

const SLOT = SLOT_SEC * 1000;
const T0 = Math.floor(Date.UTC(2026, 10, 3, 14, 0, 0) / SLOT) * SLOT;
const estate = loadEstate('lab/estates/sample.yaml');
const log = createLogger({ level: 'silent' });
let now = T0;
let lab: HypervLab;
const open: SourceCollector[] = [];

process.env.HV_TEST_PASSWORD = 'Lab-Passw0rd!';
process.env.HV_TEST_WRONG = 'not-the-password';

function source(over: Record<string, unknown>): HypervSourceConfig {
  return hypervSource.parse({
    name: 'hv',
    kind: 'hyperv',
    host: 'hv03',
    username: 'LAB\\collector',
    password: { env: 'HV_TEST_PASSWORD' },
    tls: { thumbprint: lab.certificateThumbprint },
    hostMap: lab.hostMap(),
    ...over,
  });
}

function collector(over: Record<string, unknown>): SourceCollector {
  const c = createHypervCollector(source(over), { log });
  open.push(c);
  return c;
}

async function pollAll(c: SourceCollector): Promise<{ samples: Sample[]; errors: string[] }> {
  const samples: Sample[] = [];
  const stats = await c.poll((batch) => {
    samples.push(...batch);
  });
  return { samples, errors: stats.errors };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function byMachine(samples: Sample[], id: string): Map<string, Sample> {
  return new Map(samples.filter((s) => s.machine === id).map((s) => [`${s.metric}|${s.instance}`, s]));
}

beforeAll(async () => {
  lab = await startHypervLab({
    estate,
    users: { collector: 'Lab-Passw0rd!', viewer: 'Lab-Passw0rd!' },
    deniedUsers: ['viewer'],
    clock: () => now,
    log,
  });
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await lab?.close();
});

describe('Hyper-V collector against the simulator (WS-Man on loopback)', () => {
  it('discovers a cluster (expanded to its nodes, over HTTPS + NTLM, pinned certificate) and equals the estate field by field', async () => {
    const c = collector({ name: 'clu', host: 'HVCLU01', cluster: true });
    const { source: summary, machines } = await c.discover();
    expect(summary.errors).toEqual([]);
    expect(summary.about).toMatchObject({ hosts: 'hv01,hv02', cluster: 'HVCLU01', transport: 'https' });
    const want = [...lab.world.vmsOn('hv01'), ...lab.world.vmsOn('hv02')].map((v) => expectedMachine(v, 'clu', 'HVCLU01'));
    const sort = (l: Machine[]): Machine[] => [...l].sort((a, b) => a.id.localeCompare(b.id));
    expect(sort(machines)).toEqual(sort(want));
    expect(summary.machines).toBe(want.length);
  });

  it('discovers a standalone host over HTTP with NTLM message encryption, powered-off VM included', async () => {
    const c = collector({ name: 'solo', host: 'hv03', transport: 'http' });
    const { machines, source: s } = await c.discover();
    expect(s.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wsman$/);
    expect(machines).toEqual(lab.world.vmsOn('hv03').map((v) => expectedMachine(v, 'solo', null)));
    expect(machines.find((m) => m.name === 'hv-off01')).toMatchObject({ powerState: 'poweredOff', os: { name: null }, ipAddresses: [] });
  });

  it('polls every 30 s: first poll primes, then rates equal the workload the estate prescribes', async () => {
    now = T0;
    const c = collector({ name: 'perf', host: 'HVCLU01', cluster: true });
    const { machines } = await c.discover();
    expect((await pollAll(c)).samples).toEqual([]);
    const before = lab.stats();
    for (let k = 0; k < 3; k++) {
      const t0 = now;
      now += SLOT;
      const { samples, errors } = await pollAll(c);
      expect(errors).toEqual([]);
      for (const m of machines.filter((x) => x.powerState === 'poweredOn')) {
        const got = byMachine(samples, m.id);
        const want = truth(lab.world, m.name, t0);
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [key, value] of want) {
          const s = got.get(key)!;
          expect(Math.abs(s.value - value), `${m.name} ${key}`).toBeLessThan(key.startsWith('cpu') ? 1e-6 : 0.05);
          expect(s).toMatchObject({ ts: now, intervalSec: 30 });
        }
      }
      expect(samples.filter((s) => !machines.some((m) => m.id === s.machine))).toEqual([]);
    }
    // One authenticated keep-alive connection per host, reused: the polls opened no connection and authenticated nothing.
    const after = lab.stats();
    for (const host of ['hv01', 'hv02']) {
      expect(after[host]!.connections - before[host]!.connections, host).toBe(0);
      expect(after[host]!.authentications - before[host]!.authentications, host).toBe(0);
      expect(after[host]!.requests - before[host]!.requests, host).toBe(3 * 4);
    }
  });

  it('keeps a VM identity when it moves to another cluster node, and keeps collecting while a node is down', async () => {
    now = T0 + 10 * SLOT;
    const c = collector({ name: 'move', host: 'HVCLU01', cluster: true });
    const before = await c.discover();
    const web = before.machines.find((m) => m.name === 'hv-web01')!;
    expect(web.host).toBe('hv01');
    await pollAll(c);
    now += SLOT;
    expect(byMachine((await pollAll(c)).samples, web.id).size).toBeGreaterThan(0);

    lab.world.moveVm('hv-web01', 'hv02');
    now += SLOT;
    await pollAll(c); // the new node's first reading of the VM only primes (and teaches the collector where it is)
    now += SLOT;
    const afterMove = byMachine((await pollAll(c)).samples, web.id);
    expect(afterMove.get('cpu.usage.percent|')!.value).toBeCloseTo(truth(lab.world, 'hv-web01', now - SLOT).get('cpu.usage.percent|')!, 6);
    const moved = (await c.discover()).machines.filter((m) => m.id === web.id);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ host: 'hv02', cluster: 'HVCLU01', instanceId: web.instanceId });

    await lab.setHostDown('hv01', true);
    try {
      now += SLOT;
      const { samples, errors } = await pollAll(c);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^hv01: performance poll failed: .*connection refused/);
      expect(byMachine(samples, web.id).size).toBeGreaterThan(0);
    } finally {
      await lab.setHostDown('hv01', false);
    }
    // The node is back: the same collector reconnects on its own.
    now += SLOT;
    expect((await pollAll(c)).errors).toEqual([]);
    lab.world.moveVm('hv-web01', 'hv01');
  });

  it('reports refused credentials (401) and missing rights (access denied, naming the groups) as typed errors without the password', async () => {
    const wrong = collector({ name: 'wrong', password: { env: 'HV_TEST_WRONG' } });
    const err = await wrong.discover().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanAuthError);
    expect(String((err as Error).message)).not.toContain('not-the-password');
    const viewer = collector({ name: 'viewer', username: 'viewer' });
    const denied = await viewer.discover().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(WsmanAccessDeniedError);
    expect((denied as WsmanAccessDeniedError).fix).toMatch(/Remote Management Users.*Hyper-V Administrators.*Performance Monitor Users/);
  });

  it('with several hosts, one refusing connections does not stop the others', async () => {
    now = T0 + 40 * SLOT;
    await lab.setHostDown('hv02', true);
    try {
      const c = collector({ name: 'multi', host: 'hv03', hosts: ['hv02'] });
      const d = await c.discover();
      expect(d.source.errors).toHaveLength(1);
      expect(d.source.errors[0]).toMatch(/^hv02: inventory failed/);
      expect(d.machines.map((m) => m.host)).toEqual(lab.world.vmsOn('hv03').map(() => 'hv03'));
    } finally {
      await lab.setHostDown('hv02', false);
    }
  });

  it('falls back from HTTPS to HTTP (NTLM + encryption) when nothing listens on 5986, unless httpsOnly', async () => {
    const map = lab.hostMap();
    const hv03 = map.hv03!;
    const dead = { ...hv03, httpsPort: await closedPort() };
    // The source pins a thumbprint, which implies httpsOnly: the fallback needs the explicit opt-in.
    const pinned = collector({ name: 'pinned', hostMap: { ...map, hv03: dead } });
    await expect(pinned.discover()).rejects.toThrow(/httpsOnly/);
    const c = collector({ name: 'fallback', allowHttpFallback: true, hostMap: { ...map, hv03: dead } });
    const d = await c.discover();
    expect(d.source.endpoint).toMatch(/^http:/);
    expect(d.machines).toHaveLength(lab.world.vmsOn('hv03').length);
    const strict = collector({ name: 'strict', httpsOnly: true, hostMap: { ...map, hv03: dead } });
    await expect(strict.discover()).rejects.toThrow(/refused|HTTPS/);
  });
});
