// The Windows-server collector against the lab's simulated servers over real WS-Man on loopback:
// HTTPS + NTLM with a pinned certificate, HTTP with NTLM message encryption, the inventory field by
// field against the servers' description, rates equal to the workload, a reboot, a server down,
// an account without rights (the error names the groups) and wrong credentials.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWindowsCollector, WindowsAccessDeniedError, type WindowsCollector } from '../../../collectors/windows/index.js';
import { createLogger } from '../../../common/log.js';
import { windowsSource } from '../../../config/schema/physical.js';
import type { Sample } from '../../../model/index.js';
import { startWindowsLab, type WindowsLab } from '../../../lab/windows/index.js';
import { SLOT_SEC } from '../../../lab/windows/world.js';
import { fixtureServers, SEED } from '../../lab/windows/fixtures.js';
import { truth } from '../../lab/windows/truth.js';

const SLOT = SLOT_SEC * 1000;
const T0 = Math.floor(Date.UTC(2026, 10, 3, 14, 0, 0) / SLOT) * SLOT;
const log = createLogger({ level: 'silent' });
let now = T0;
let lab: WindowsLab;
const open: WindowsCollector[] = [];
process.env.WIN_TEST_PASSWORD = 'Lab-Passw0rd!';
process.env.WIN_TEST_WRONG = 'not-the-password';

function collector(over: Record<string, unknown> = {}): WindowsCollector {
  const cfg = windowsSource.parse({
    name: 'win',
    kind: 'windows',
    hosts: ['fs01.lab.local', 'legacy02'],
    username: 'LAB\\collector',
    password: { env: 'WIN_TEST_PASSWORD' },
    tls: { thumbprint: lab.certificateThumbprint },
    hostMap: lab.hostMap(),
    ...over,
  });
  const c = createWindowsCollector(cfg, { log });
  open.push(c);
  return c;
}

async function pollAll(c: WindowsCollector): Promise<{ samples: Sample[]; errors: string[] }> {
  const samples: Sample[] = [];
  const stats = await c.poll((b) => {
    samples.push(...b);
  });
  return { samples, errors: stats.errors };
}

beforeAll(async () => {
  lab = await startWindowsLab({
    servers: fixtureServers(),
    seed: SEED,
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

describe('Windows-server collector against the simulator (WS-Man on loopback)', () => {
  it('discovers each server as a physical machine, field by field (HTTPS + NTLM, pinned certificate)', async () => {
    const c = collector();
    const { source, machines } = await c.discover();
    expect(source).toMatchObject({ kind: 'windows', machines: 2, errors: [], about: { servers: '2', transport: 'https' } });
    const fs = machines.find((m) => m.name === 'fs01');
    const spec = lab.world.server('fs01.lab.local')?.spec;
    expect(fs).toMatchObject({
      id: `physical:bios:${spec?.biosUuid.toLowerCase()}`,
      source: 'win',
      kind: 'physical',
      moref: null,
      biosUuid: spec?.biosUuid.toLowerCase(),
      biosSerial: spec?.biosSerial,
      cpuCores: 16,
      memoryMB: 65536,
      os: { name: 'Microsoft Windows Server 2019 Datacenter', version: '10.0.17763', architecture: 'x64', family: 'windows' },
      firmware: 'uefi',
      powerState: 'poweredOn',
      fqdn: 'fs01.lab.local',
      bootDisk: 'PhysicalDrive0',
      ipAddresses: ['10.20.0.11', expect.stringMatching(/^fe80::/), '10.30.0.11', expect.stringMatching(/^fe80::/)],
      seenBy: ['win'],
    });
    expect(fs?.disks).toEqual([
      { id: 'PhysicalDrive0', capacityBytes: 256 * 1024 ** 3, label: '\\\\.\\PHYSICALDRIVE0', model: 'DELL PERC H740P', type: 'SCSI' },
      { id: 'PhysicalDrive1', capacityBytes: 4096 * 1024 ** 3, label: '\\\\.\\PHYSICALDRIVE1', model: 'DELL PERC H740P', type: 'SCSI' },
    ]);
    // The vEthernet adapter and the WAN miniport are not the server's NICs.
    expect(fs?.nics.map((n) => n.mac)).toEqual(['00:15:5d:01:02:03', '00:15:5d:01:02:04']);
    const legacy = machines.find((m) => m.name === 'legacy02');
    expect(legacy).toMatchObject({
      firmware: 'bios',
      fqdn: 'legacy02',
      biosUuid: 'a2f31742-2c1b-4e3d-8f90-0123456789ab',
      os: { architecture: 'x86', version: '6.1.7601' },
      bootDisk: 'PhysicalDrive0',
      cpuCores: 2,
    });
    expect(legacy?.unavailable).toBeUndefined();
    // The discover output validates against the published inventory schema.
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync('schemas/inventory.schema.json', 'utf8')));
    expect(validate({ sources: [source], machines }), JSON.stringify(validate.errors)).toBe(true);
  });

  it('reports virtual NICs when includeVirtualNics is set (over HTTP with NTLM message encryption)', async () => {
    const c = collector({ hosts: ['fs01.lab.local'], transport: 'http', includeVirtualNics: true });
    const { source, machines } = await c.discover();
    expect(source.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wsman$/);
    expect(machines[0]?.nics.map((n) => n.mac)).toEqual(['00:15:5d:01:02:03', '00:15:5d:01:02:04', '00:15:5d:01:02:05']);
    expect(lab.stats()['fs01.lab.local']?.plaintextRefused).toBe(0);
  });

  it('polls every 30 s from the raw counters: the first poll primes, then rates equal the workload; one connection per server', async () => {
    now = T0;
    const c = collector();
    const { machines } = await c.discover();
    expect((await pollAll(c)).samples).toEqual([]);
    const before = lab.stats();
    for (let k = 0; k < 3; k++) {
      const t0 = now;
      now += SLOT;
      const { samples, errors } = await pollAll(c);
      expect(errors).toEqual([]);
      for (const m of machines) {
        const spec = lab.world.servers.get(m.name === 'fs01' ? 'fs01.lab.local' : m.name)?.spec;
        const nicIds = m.nics.map((n) => n.id);
        const want = truth(lab.world, spec?.name ?? '', t0, { disk: (i) => `PhysicalDrive${i}`, nic: (i) => nicIds[i] ?? '' });
        const got = new Map(samples.filter((s) => s.machine === m.id).map((s) => [`${s.metric}|${s.instance}`, s]));
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [key, value] of want) {
          const s = got.get(key);
          // Counters hold whole events: over 30 s the rate is exact to 1/30 per second.
          expect(Math.abs((s?.value ?? Number.NaN) - value), `${m.name} ${key}`).toBeLessThan(
            key.startsWith('cpu') || key.startsWith('memory') ? 1e-4 : 0.04,
          );
          expect(s).toMatchObject({ ts: now, intervalSec: 30 });
        }
      }
    }
    const after = lab.stats();
    for (const host of ['fs01.lab.local', 'legacy02']) {
      expect((after[host]?.connections ?? 0) - (before[host]?.connections ?? 0), host).toBe(0);
      expect((after[host]?.requests ?? 0) - (before[host]?.requests ?? 0), host).toBe(3 * 4);
    }
    expect(c.connections).toBe(2);
  });

  it('drops the pair across a reboot and samples again on the next poll', async () => {
    now = T0 + 20 * SLOT;
    const c = collector({ hosts: ['legacy02'] });
    await c.discover();
    await pollAll(c);
    now += SLOT;
    expect((await pollAll(c)).samples.length).toBeGreaterThan(0);
    now += SLOT / 2;
    lab.world.reboot('legacy02');
    now += SLOT / 2;
    expect((await pollAll(c)).samples).toEqual([]);
    now += SLOT;
    const { samples } = await pollAll(c);
    expect(samples.find((s) => s.metric === 'cpu.usage.percent')).toBeDefined();
    expect(samples.every((s) => s.value >= 0 && (s.metric.endsWith('percent') ? s.value <= 100 : s.value < 1e9))).toBe(true);
  });

  it('keeps collecting from the others while a server is down, and says which one failed', async () => {
    const c = collector({ hosts: ['fs01.lab.local', 'down03'] });
    const { machines, source } = await c.discover();
    expect(machines.map((m) => m.name)).toEqual(['fs01']);
    expect(source.errors).toEqual([expect.stringMatching(/^down03: inventory failed: .*/)]);
  });

  it('an account without rights gets an error that names the groups to add', async () => {
    const c = collector({ hosts: ['fs01.lab.local'], username: 'viewer' });
    const err = await c.discover().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WindowsAccessDeniedError);
    const e = err as WindowsAccessDeniedError;
    expect(e.message).toMatch(/^fs01\.lab\.local: access denied reading Win32_ComputerSystem/);
    expect(e.fix).toContain('"Remote Management Users"');
    expect(e.fix).toContain('"Performance Monitor Users"');
    expect(e.fix).toContain('root\\cimv2');
    expect(e.fix).not.toContain('Hyper-V');
  });

  it('wrong credentials: an authentication error without the password, and polls do not retry them', async () => {
    const c = collector({ hosts: ['fs01.lab.local', 'legacy02'], password: { env: 'WIN_TEST_WRONG' } });
    const err = await c.discover().catch((e: unknown) => e);
    expect(String((err as Error).message)).not.toContain('not-the-password');
    expect((err as { code?: string }).code).toBe('WSMAN_AUTH');
    const before = lab.stats()['fs01.lab.local']?.authFailures ?? 0;
    await expect(c.poll(() => undefined)).rejects.toThrow(/not retried until the next discovery/);
    expect(lab.stats()['fs01.lab.local']?.authFailures).toBe(before);
  });
});
