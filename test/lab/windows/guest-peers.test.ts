// Debian's pywinrm (NTLM with message encryption over HTTP) reads the lab's Windows guests with its own
// envelopes: StdRegProv Invoke (EnumKey, EnumValues, GetStringValue, GetDWORDValue), Win32_ServerFeature,
// Win32_Process and MSFT_NetTCPConnection; it walks the registry and joins the sockets itself, and agrees with
// the collector's Windows guest reader item by item, for guests of each tier of the sample estate's applications.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_QUERIES, NS_STANDARD_CIMV2, openWindowsGuest } from '../../../collectors/windows/guest-reader.js';
import { WsmanClient, wmiResourceUri, type CimInstance } from '../../../collectors/wsman/index.js';
import { createLogger } from '../../../common/log.js';
import { Secret } from '../../../common/secret-value.js';
import { loadEstate, type Estate } from '../../../lab/estate.js';
import {
  estateGuestView,
  startWindowsLab,
  windowsGuestsOfEstate,
  windowsServersOfEstate,
  type WindowsLab,
} from '../../../lab/windows/index.js';

const PASSWORD = 'Peer-Guest-Passw0rd!';
const log = createLogger({ level: 'silent' });
const now = Date.UTC(2026, 11, 6, 9, 0, 0);
let estate: Estate;
let lab: WindowsLab;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'win-guest-peers-'));
  const cnf = join(dir, 'openssl.cnf');
  // pywinrm's NTLM needs MD4, which OpenSSL 3 keeps in the legacy provider.
  writeFileSync(
    cnf,
    'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n[provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n',
  );
  env = { ...process.env, OPENSSL_CONF: cnf, WIN_USER: 'guest', WIN_PASS: PASSWORD };
  estate = loadEstate('lab/estates/sample.yaml');
  lab = await startWindowsLab({
    servers: [...windowsServersOfEstate(estate), ...windowsGuestsOfEstate(estate)],
    seed: estate.seed,
    users: { guest: PASSWORD },
    https: false,
    clock: () => now,
    log,
    guests: (name) => estateGuestView(estate, name),
  });
});

afterAll(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PeerReading {
  classes: Record<string, Array<Record<string, unknown>>>;
  applications: unknown[];
  features: unknown[];
  sqlInstances: unknown[];
  sockets: unknown[];
}

async function peer(url: string): Promise<PeerReading> {
  const child = execFile('/usr/bin/python3', ['test/lab/windows/pywinrm_guest.py', url], { env, timeout: 90_000, maxBuffer: 16 << 20 });
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => process.stderr.write(d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pywinrm exited ${code}`))));
  });
  return JSON.parse(stdout) as PeerReading;
}

const plain = (list: CimInstance[]) => list.map((i) => ({ ...i.properties }));

describe('pywinrm and the Windows guest reader read the lab guests alike', () => {
  // web tier (a server that is a VMware VM), api tier (physical), db tier (a VM reached at its IP), the domain controller.
  for (const machine of ['win-web01', 'win-app01', 'sql01', 'win-fs01']) {
    it(`${machine}: StdRegProv walk, Win32_ServerFeature, MSFT_NetTCPConnection and Win32_Process agree item by item`, async () => {
      const ep = lab.endpoints.find((e) => e.server === machine);
      expect(ep?.httpPort).toBeTruthy();
      const theirs = await peer(`http://127.0.0.1:${ep?.httpPort}/wsman`);

      const client = new WsmanClient({
        host: '127.0.0.1',
        port: Number(ep?.httpPort),
        scheme: 'http',
        auth: 'ntlm',
        username: 'guest',
        password: new Secret(PASSWORD),
      });
      try {
        const cimv2 = wmiResourceUri('root/cimv2');
        expect(theirs.classes[GUEST_QUERIES.features]).toEqual(plain(await client.enumerateAll(cimv2, { wql: GUEST_QUERIES.features })));
        expect(theirs.classes[GUEST_QUERIES.processes]).toEqual(plain(await client.enumerateAll(cimv2, { wql: GUEST_QUERIES.processes })));
        expect(theirs.classes[GUEST_QUERIES.connections]).toEqual(
          plain(await client.enumerateAll(wmiResourceUri(NS_STANDARD_CIMV2), { wql: GUEST_QUERIES.connections })),
        );
      } finally {
        await client.close();
      }

      const ip =
        estate.servers.find((s) => s.name === machine)?.ipAddresses[0] ?? estate.vms.find((v) => v.name === machine)?.ipAddresses[0];
      const reader = await openWindowsGuest(
        { host: ip ?? machine },
        { username: 'guest', password: new Secret(PASSWORD), transport: 'http' },
        { log, hostMap: lab.guestHostMap() },
      );
      try {
        const sw = await reader.software();
        const { sockets } = await reader.sockets();
        expect(sw.applications.length).toBeGreaterThanOrEqual(3);
        expect(sw.features.length).toBeGreaterThan(3);
        expect(sockets.some((s) => s.state === 'established')).toBe(true);
        expect(theirs.applications).toEqual(sw.applications);
        expect(theirs.features).toEqual(sw.features);
        expect(theirs.sqlInstances).toEqual(sw.sqlInstances);
        expect(theirs.sockets).toEqual(sockets);
        if (machine === 'sql01') expect(sw.sqlInstances.map((i) => i.name)).toEqual(['MSSQLSERVER']);
        if (machine === 'win-fs01')
          expect(sw.features.map((f) => f.name)).toEqual(expect.arrayContaining(['DNS Server', 'Active Directory Domain Services']));
      } finally {
        await reader.close();
      }
    });
  }
});
