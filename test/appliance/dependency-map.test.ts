// The dependency map and the guest views of the web app (issue 12): cytoscape and the map script come from the
// appliance itself (no external URL, no inline script under the CSP), the graph JSON needs a session and returns
// nodes and edges for a machine and for a group, and the machine page lists the guest's software.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretStore } from '../../appliance/credential-store.js';
import { startWebApp, type WebApp } from '../../appliance/web/server.js';
import { GroupStore } from '../../assessment/group-store.js';
import { createLogger } from '../../common/log.js';
import { loadConfig } from '../../config/load.js';
import type { TcpSocket } from '../../model/guest.js';
import { GuestAccessStore } from '../../queue/guest-access-store.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { createRedis } from '../../queue/redis.js';
import { SoftwareStore } from '../../queue/software-store.js';
import { DependencyStore } from '../../rollup/dependency-store.js';
import { machine, REDIS_BASE, summary, tempDir, uniquePrefix, writeConfig } from './fixtures.js';
import { WebClient } from './http-client.js';
import { chromium } from 'playwright-core';
import { CHROMIUM, PEERS, requirePeer } from '../helpers/peers.js';
import { ROOT } from '../helpers/cli.js';
import { mkdirSync } from 'node:fs';

const PASSWORD = 'correct horse battery staple';
const tmp = tempDir('depmap');
const prefix = uniquePrefix('depmap');
let redis: Redis;
let app: WebApp;
let client: WebClient;
let anonymous: WebClient;

const IPS: Record<string, string> = { web01: '10.2.0.1', app01: '10.2.0.2', db01: '10.2.0.3' };
const id = (n: string) => `vmware:vc01:${n}`;
const sock = (s: Partial<TcpSocket> & Pick<TcpSocket, 'localPort'>, name: string): TcpSocket => ({
  state: 'established',
  localIp: '0.0.0.0',
  remoteIp: '0.0.0.0',
  remotePort: 0,
  process: { pid: 1, name, path: null, args: null },
  ...s,
});

beforeAll(async () => {
  writeFileSync(join(tmp.dir, 'admin.pw'), `${PASSWORD}\n`, { mode: 0o600 });
  const file = writeConfig(
    tmp.dir,
    `redis: { url: ${REDIS_BASE}/12, prefix: ${prefix} }\nweb:\n  dataDir: data\n  adminPassword: { file: ${join(tmp.dir, 'admin.pw')} }\n`,
  );
  const config = loadConfig(file);
  redis = createRedis(config.redis);
  const ms = Object.entries(IPS).map(([n, ip]) => machine('vc01', n, { ipAddresses: [ip] }));
  await new InventoryStore(redis, prefix).save(summary('vc01', ms.length), ms);
  await new SoftwareStore(redis, prefix).save({
    machine: id('db01'),
    collectedAt: new Date().toISOString(),
    os: 'windows',
    applications: [
      { name: 'Microsoft SQL Server 2019 (64-bit)', version: '15.0.4345.5', publisher: 'Microsoft Corporation', source: 'registry' },
    ],
    features: [{ id: 1, name: 'Web Server (IIS)', parentId: null }],
    sqlInstances: [{ name: 'MSSQLSERVER', edition: 'Enterprise Edition', version: '15.0.4345.5', servicePack: null }],
    notes: [],
  });
  await new GuestAccessStore(redis, prefix).set({
    machine: id('app01'),
    machineName: 'app01',
    os: 'linux',
    ip: '10.2.0.2',
    credential: null,
    failure: 'host-key-unknown',
    reason: '10.2.0.2:22 offered SHA256:abc, not in hostKeys',
    failures: 2,
    lastAttempt: Date.now(),
    lastSuccess: null,
    nextAttempt: Date.now() + 600_000,
  });
  const deps = new DependencyStore(redis, prefix);
  const byIp = new Map(Object.entries(IPS).map(([n, ip]) => [ip, id(n)]));
  const now = Date.now();
  // app01 (the listener) first: then web01's edge names java even when the two polls straddle an hour boundary
  // (the first 10 minutes of an hour), where the earlier hour's edge would otherwise keep an unknown process.
  for (const ts of [now - 600_000, now - 300_000]) {
    await deps.record(
      {
        machine: id('app01'),
        ts,
        notes: [],
        sockets: [
          sock({ state: 'listen', localPort: 8080 }, 'java'),
          sock({ localIp: IPS.app01, localPort: 40_002, remoteIp: IPS.db01, remotePort: 1433 }, 'java'),
        ],
      },
      { machineOfIp: (ip) => byIp.get(ip) ?? null },
    );
    await deps.record(
      {
        machine: id('web01'),
        ts,
        notes: [],
        sockets: [
          sock({ localIp: IPS.web01, localPort: 40_000, remoteIp: IPS.app01, remotePort: 8080 }, 'nginx'),
          sock({ localIp: IPS.web01, localPort: 40_001, remoteIp: '203.0.113.5', remotePort: 443 }, 'nginx'),
        ],
      },
      { machineOfIp: (ip) => byIp.get(ip) ?? null },
    );
  }
  await new GroupStore(redis, prefix).save('orders', [id('web01'), id('app01'), id('db01')]);
  const secrets = SecretStore.open(join(tmp.dir, 'data', 'secret.key'), {});
  secrets.install();
  app = await startWebApp({
    configFile: file,
    config,
    redis,
    log: createLogger({ level: 'silent', pretty: false }),
    secrets,
    dataDir: join(tmp.dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
  });
  const ca = readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8');
  client = new WebClient(app.url, ca);
  anonymous = new WebClient(app.url, ca);
  expect((await client.login(PASSWORD)).status).toBe(303);
});

afterAll(async () => {
  await app?.close();
  await client?.close();
  await anonymous?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  tmp.cleanup();
});

describe('dependency map', () => {
  it('the map page loads cytoscape and its script from the appliance: no external URL, no inline script, CSP script-src self', async () => {
    const r = await client.get(`/dependencies?machine=${encodeURIComponent(id('app01'))}&range=1h`);
    expect(r.status).toBe(200);
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    const scripts = [...r.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => /src="([^"]+)"/.exec(m[1] ?? '')?.[1])).toEqual([
      '/static/vendor/cytoscape.min.js',
      '/static/dependency-map.js',
    ]);
    expect(scripts.every((m) => (m[2] ?? '').trim() === '')).toBe(true);
    expect(r.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(r.text).toContain(`data-src="/dependencies/graph.json?machine=${encodeURIComponent(id('app01'))}&amp;range=1h"`);
    // The library is the npm package's own dist file, byte for byte, served by the appliance.
    const lib = await client.get('/static/vendor/cytoscape.min.js');
    expect(lib.status).toBe(200);
    expect(String(lib.headers['content-type'])).toContain('javascript');
    expect(lib.text).toBe(readFileSync(createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js'), 'utf8'));
    const own = await client.get('/static/dependency-map.js');
    expect(own.text).toContain('cytoscape(');
    expect(own.text).toContain('fetch(el.dataset.src');
  });

  it('graph JSON needs a session', async () => {
    const r = await anonymous.get(`/dependencies/graph.json?machine=${encodeURIComponent(id('app01'))}`, { accept: 'application/json' });
    expect(r.status).toBe(401);
    expect(r.text).not.toContain('10.2.0');
    expect((await anonymous.get('/dependencies')).status).toBe(302);
  });

  it('graph JSON for a machine: its neighbours, edges labelled with ports and processes', async () => {
    const r = await client.get(`/dependencies/graph.json?machine=${encodeURIComponent(id('app01'))}&range=1h`, {
      accept: 'application/json',
    });
    expect(r.status).toBe(200);
    const g = JSON.parse(r.text);
    expect(g.nodes.map((n: { label: string; focus: boolean }) => [n.label, n.focus])).toEqual([
      ['app01', true],
      ['db01', false],
      ['web01', false],
    ]);
    expect(g.edges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: id('web01'),
          target: id('app01'),
          ports: [8080],
          processes: ['nginx -> java'],
          polls: 2,
          label: '8080 · nginx -> java',
        }),
        expect.objectContaining({ source: id('app01'), target: id('db01'), ports: [1433], processes: ['java -> ?'] }),
      ]),
    );
    expect(g.edges).toHaveLength(2);
  });

  it('graph JSON for a group: all its machines and the external address they call; the time filter applies', async () => {
    const g = JSON.parse((await client.get('/dependencies/graph.json?group=orders&range=1h', { accept: 'application/json' })).text);
    expect(g.nodes.map((n: { label: string; discovered: boolean }) => [n.label, n.discovered])).toEqual([
      ['203.0.113.5', false],
      ['app01', true],
      ['db01', true],
      ['web01', true],
    ]);
    expect(g.edges).toHaveLength(3);
    const old = Date.now() - 10 * 86_400_000;
    const empty = JSON.parse((await client.get(`/dependencies/graph.json?group=orders&from=${old}&to=${old + 3_600_000}`)).text);
    expect(empty.edges).toEqual([]);
    expect((await client.get('/dependencies/graph.json?group=nope')).status).toBe(404);
    // A suggested group (not saved) has a map too, computed over the same range.
    const suggested = JSON.parse((await client.get('/dependencies/graph.json?group=suggested-1&range=1h')).text);
    expect(suggested.nodes.filter((n: { focus: boolean }) => n.focus).map((n: { label: string }) => n.label)).toEqual([
      'app01',
      'db01',
      'web01',
    ]);
    const page = await client.get('/dependencies?range=1h');
    expect(page.text).toContain('orders');
    expect(page.text).toMatch(/suggested-1<\/a><\/td><td>suggested<\/td><td>app01, db01, web01/);
  });

  it('the machine page lists the software read in the guest and the guest access reason; Health lists unreachable guests', async () => {
    const db = await client.get(`/machines/${encodeURIComponent(id('db01'))}`);
    expect(db.text).toContain('Microsoft SQL Server 2019 (64-bit)');
    expect(db.text).toContain('15.0.4345.5');
    expect(db.text).toContain('SQL Server (MSSQLSERVER) Enterprise Edition');
    expect(db.text).toContain('Web Server (IIS)');
    expect(db.text).toContain(`/dependencies?machine=${encodeURIComponent(id('db01'))}`);
    const app01 = await client.get(`/machines/${encodeURIComponent(id('app01'))}`);
    expect(app01.text).toContain('id="no-software"');
    expect(app01.text).toContain('host key not pinned (credential not sent): 10.2.0.2:22 offered SHA256:abc, not in hostKeys');
    const health = await client.get('/health');
    expect(health.text).toContain('0 of 1 guest(s) reachable');
    expect(health.text).toContain('host-key-unknown');
  });
});

describe.skipIf(requirePeer(PEERS.chromium))('dependency map in Chromium', () => {
  it('draws the group graph under the CSP: no violation, no request off the appliance, a canvas with the nodes', async () => {
    const context = await chromium.launchPersistentContext(join(tmp.dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(30_000);
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${app.url}/dependencies?group=orders&range=1h`);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(/\/dependencies/), page.click('button[type=submit]')]);
      await page.waitForSelector('#dependency-map[data-ready="true"]');
      expect(await page.textContent('#map-status')).toMatch(/^4 machine\(s\), 3 connection\(s\)/);
      expect(await page.locator('#dependency-map canvas').count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith(app.url))).toEqual([]);
      expect(requests).toContain(`${app.url}/static/vendor/cytoscape.min.js`);
      const shots = join(ROOT, 'test-results', 'screenshots');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'dependency-map-group.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);
});
