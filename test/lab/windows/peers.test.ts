// Debian's pywinrm (NTLM with message encryption over HTTP) reads the lab's Windows servers with the
// collector's own WQL and agrees with the collector field by field; its own implementation of the
// raw-counter formulas gives the same rates as the collector and as the workload model.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMachine, type ServerInventoryData } from '../../../collectors/windows/inventory.js';
import { createWindowsCollector } from '../../../collectors/windows/index.js';
import { INVENTORY_QUERIES, type InventoryClassKey } from '../../../collectors/windows/queries.js';
import { readInventory } from '../../../collectors/windows/reader.js';
import { WsmanClient, type CimInstance } from '../../../collectors/wsman/index.js';
import { createLogger } from '../../../common/log.js';
import { Secret } from '../../../common/secret-value.js';
import { windowsSource } from '../../../config/schema/physical.js';
import type { Sample } from '../../../model/index.js';
import { adapterDescription, networkInstanceName } from '../../../lab/windows/cim.js';
import { startWindowsLab, type WindowsLab } from '../../../lab/windows/index.js';
import { SLOT_SEC } from '../../../lab/windows/world.js';
import { fixtureServers, SEED } from './fixtures.js';
import { truth } from './truth.js';

const PASSWORD = 'Peer-Passw0rd!';
const SLOT = SLOT_SEC * 1000;
const T0 = Math.floor(Date.UTC(2026, 10, 4, 9, 0, 0) / SLOT) * SLOT;
const log = createLogger({ level: 'silent' });
let now = T0;
let lab: WindowsLab;
let dir: string;
let env: NodeJS.ProcessEnv;
const SERVER = 'fs01.lab.local';

function url(): string {
  const ep = lab.endpoints.find((e) => e.server === SERVER);
  return `http://127.0.0.1:${ep?.httpPort}/wsman`;
}

/** Instances as plain property maps, the shape the Python peer prints. */
function plain(list: CimInstance[]): Array<Record<string, unknown>> {
  return list.map((i) => ({ ...i.properties }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'win-peers-'));
  const cnf = join(dir, 'openssl.cnf');
  // pywinrm's NTLM needs MD4, which OpenSSL 3 keeps in the legacy provider.
  writeFileSync(
    cnf,
    'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n[provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n',
  );
  env = { ...process.env, OPENSSL_CONF: cnf, WIN_USER: 'collector', WIN_PASS: PASSWORD };
  lab = await startWindowsLab({
    servers: fixtureServers(),
    seed: SEED,
    users: { collector: PASSWORD },
    https: false,
    clock: () => now,
    log,
  });
});

afterAll(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pywinrm and the collector read the lab Windows servers alike', () => {
  it("the inventory classes (the collector's own WQL) are equal property by property, and give the same Machine", async () => {
    const queries = Object.values(INVENTORY_QUERIES);
    const child = execFile('/usr/bin/python3', ['test/lab/windows/pywinrm_read.py', url(), 'inventory'], { env, timeout: 60_000 });
    child.stdin?.end(JSON.stringify(queries));
    const stdout = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      child.stderr?.on('data', (d) => process.stderr.write(d));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pywinrm exited ${code}`))));
    });
    const peer = JSON.parse(stdout) as Record<string, Array<Record<string, unknown>>>;

    const client = new WsmanClient({
      host: '127.0.0.1',
      port: Number(new URL(url()).port),
      scheme: 'http',
      auth: 'ntlm',
      username: 'collector',
      password: new Secret(PASSWORD),
    });
    try {
      const ours = await readInventory(SERVER, client);
      const peerData = {} as ServerInventoryData;
      for (const [key, wql] of Object.entries(INVENTORY_QUERIES) as Array<[InventoryClassKey, string]>) {
        expect(peer[wql], key).toEqual(plain(ours[key]));
        expect((peer[wql] ?? []).length, key).toBeGreaterThan(0);
        peerData[key] = (peer[wql] ?? []).map((properties) => ({ className: key, properties: properties as CimInstance['properties'] }));
      }
      const ctx = { source: 'win', host: SERVER, includeVirtualNics: false };
      const fromPeer = toMachine(peerData, ctx).machine;
      const c = createWindowsCollector(
        windowsSource.parse({
          name: 'win',
          kind: 'windows',
          hosts: [SERVER],
          transport: 'http',
          username: 'collector',
          password: { env: 'WIN_PEER_PASSWORD' },
          hostMap: lab.hostMap(),
        }),
        { log },
      );
      process.env.WIN_PEER_PASSWORD = PASSWORD;
      try {
        const { machines } = await c.discover();
        expect(machines).toEqual([fromPeer]);
      } finally {
        await c.close();
      }
    } finally {
      await client.close();
    }
    expect(lab.stats()[SERVER]?.plaintextRefused).toBe(0);
  });

  it("rates computed by pywinrm from two raw readings equal the collector's and the workload", async () => {
    now = T0;
    process.env.WIN_PEER_PASSWORD = PASSWORD;
    const c = createWindowsCollector(
      windowsSource.parse({
        name: 'win',
        kind: 'windows',
        hosts: [SERVER],
        transport: 'http',
        username: 'collector',
        password: { env: 'WIN_PEER_PASSWORD' },
        hostMap: lab.hostMap(),
      }),
      { log },
    );
    const samples: Sample[] = [];
    try {
      const { machines } = await c.discover();
      const m = machines[0];
      const child = spawn('/usr/bin/python3', ['test/lab/windows/pywinrm_read.py', url(), 'rates'], {
        env,
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      expect((await lines.next()).value).toBe('ready');
      await c.poll(() => undefined); // primes at T0, as the peer did
      now += SLOT;
      await c.poll((b) => {
        samples.push(...b);
      });
      child.stdin.write('\n');
      const peer = JSON.parse(String((await lines.next()).value)) as Record<string, number>;
      child.stdin.end();

      const server = lab.world.server(SERVER);
      if (!server || !m) throw new Error('fixture missing');
      const ours = new Map(samples.map((s) => [`${s.metric}|${s.instance}`, s.value]));
      const want = truth(lab.world, SERVER, T0, { disk: (i) => `PhysicalDrive${i}`, nic: (i) => m.nics[i]?.id ?? '' });
      expect(Math.abs((peer.cpu ?? Number.NaN) - (ours.get('cpu.usage.percent|') ?? Number.NaN))).toBeLessThan(1e-6);
      expect(Math.abs((peer.cpu ?? Number.NaN) - (want.get('cpu.usage.percent|') ?? Number.NaN))).toBeLessThan(1e-6);
      expect(Math.abs((peer.memory ?? Number.NaN) - (ours.get('memory.usage.percent|') ?? Number.NaN))).toBeLessThan(1e-6);
      const pairs: Array<[string, string]> = [
        ['DiskReadBytesPersec', 'disk.read.bytesPerSec'],
        ['DiskWriteBytesPersec', 'disk.write.bytesPerSec'],
        ['DiskReadsPersec', 'disk.read.opsPerSec'],
        ['DiskWritesPersec', 'disk.write.opsPerSec'],
      ];
      server.spec.disks.forEach((_d, i) => {
        const name = i === 0 ? '0 C:' : `${i} ${String.fromCharCode(68 + i - 1)}:`;
        for (const [prop, metric] of pairs) {
          const p = peer[`disk|${name}|${prop}`] ?? Number.NaN;
          expect(Math.abs(p - (ours.get(`${metric}|PhysicalDrive${i}`) ?? Number.NaN)), `${name} ${prop}`).toBeLessThan(1e-6);
          expect(Math.abs(p - (want.get(`${metric}|PhysicalDrive${i}`) ?? Number.NaN)), `${name} ${prop} vs workload`).toBeLessThan(0.04);
        }
      });
      server.spec.nics.forEach((n, i) => {
        if (n.virtual) return;
        const name = networkInstanceName(adapterDescription(server, i));
        const id = m.nics[i]?.id ?? '';
        for (const [prop, metric] of [
          ['BytesReceivedPersec', 'net.received.bytesPerSec'],
          ['BytesSentPersec', 'net.transmitted.bytesPerSec'],
        ] as const) {
          const p = peer[`network|${name}|${prop}`] ?? Number.NaN;
          expect(Math.abs(p - (ours.get(`${metric}|${id}`) ?? Number.NaN)), `${name} ${prop}`).toBeLessThan(1e-6);
          expect(Math.abs(p - (want.get(`${metric}|${id}`) ?? Number.NaN))).toBeLessThan(0.04);
        }
      });
    } finally {
      await c.close();
    }
  });
});
