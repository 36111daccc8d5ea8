import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretStore } from '../../appliance/credential-store.js';
import { startWebApp, type WebApp } from '../../appliance/web/server.js';
import { createLogger } from '../../common/log.js';
import { loadConfig } from '../../config/load.js';
import { setSecretDecryptor } from '../../config/secret-refs.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { createRedis } from '../../queue/redis.js';
import { PointStore } from '../../rollup/point-store.js';
import { decodeBatch, encodeBatch } from '../../queue/codec.js';
import type { Sample } from '../../model/index.js';
import { WINDOW_MS, windowStart } from '../../rollup/window.js';
import { csrfOf, WebClient } from './http-client.js';
import { machine, REDIS_BASE, summary, tempDir, uniquePrefix, writeConfig } from './fixtures.js';

const PASSWORD = 'correct horse battery staple';
const tmp = tempDir('web');
const prefix = uniquePrefix('web');
const log = createLogger({ level: 'silent', pretty: false });
let redis: Redis;
let app: WebApp;
let client: WebClient;
let configFile: string;
const changes: string[][] = [];
let fakeVcenter: Server;
let fakePort = 0;

beforeAll(async () => {
  writeFileSync(join(tmp.dir, 'admin.pw'), `${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'metrics.token'), 'scrape-token-123\n', { mode: 0o600 });
  configFile = writeConfig(
    tmp.dir,
    `# appliance config\nredis: { url: ${REDIS_BASE}/7, prefix: ${prefix} }\nweb:\n  dataDir: data\n  adminPassword: { file: ${join(tmp.dir, 'admin.pw')} }\n  metricsToken: { file: ${join(tmp.dir, 'metrics.token')} }\nsources:\n  - name: vc01 # production\n    kind: vcenter\n    url: https://vc01.example.local/sdk\n    username: readonly@vsphere.local\n    password: { env: VC01_PW }\n`,
  );
  const config = loadConfig(configFile);
  redis = createRedis(config.redis);
  const inv = new InventoryStore(redis, prefix);
  const ms = [
    machine('vc01', 'web01'),
    machine('vc01', 'sql01', {
      cpuCores: 8,
      firmware: 'uefi',
      os: { name: 'Microsoft Windows Server 2016 (64-bit)', id: 'windows9Server64Guest' },
    }),
    machine('vc01', 'old01', {
      powerState: 'poweredOff',
      os: { name: 'Microsoft Windows Server 2003 (32-bit)', id: 'winNetStandardGuest' },
    }),
    machine('vc01', 'big01', { cpuCores: 256, memoryMB: 8 * 1024 * 1024 }),
  ];
  await inv.save(summary('vc01', ms.length), ms);
  // One hour of 20-second CPU samples for web01, stored through the real rollup point store.
  const end = windowStart(Date.now());
  const samples: Sample[] = [];
  for (let t = end - 6 * WINDOW_MS + 20_000; t <= end; t += 20_000)
    samples.push({
      machine: 'vmware:vc01:web01',
      metric: 'cpu.usage.percent',
      instance: '',
      ts: t,
      value: 10 + ((t / 20_000) % 30),
      intervalSec: 20,
    });
  await new PointStore(redis, prefix).apply(decodeBatch(encodeBatch(samples)));

  const secrets = SecretStore.open(join(tmp.dir, 'data', 'secret.key'), {});
  secrets.install();
  app = await startWebApp({
    configFile,
    config,
    redis,
    log,
    secrets,
    dataDir: join(tmp.dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    onSourcesChanged: async (_c, names) => void changes.push(names),
  });
  client = new WebClient(app.url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));

  // A TLS server with its own self-signed certificate stands in for an untrusted vCenter endpoint.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=fake-vcenter',
      '-keyout',
      join(tmp.dir, 'fk.pem'),
      '-out',
      join(tmp.dir, 'fc.pem'),
    ],
    { stdio: 'ignore' },
  );
  fakeVcenter = createServer({ key: readFileSync(join(tmp.dir, 'fk.pem')), cert: readFileSync(join(tmp.dir, 'fc.pem')) }, (_req, res) =>
    res.writeHead(404).end('not a vCenter'),
  );
  await new Promise<void>((r) => fakeVcenter.listen(0, '127.0.0.1', () => r()));
  fakePort = (fakeVcenter.address() as { port: number }).port;
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  await new Promise((r) => fakeVcenter?.close(r));
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis?.disconnect();
  setSecretDecryptor(undefined);
  tmp.cleanup();
});

describe('web app: probes and metrics', () => {
  it('serves /healthz and /readyz without a session', async () => {
    const anon = new WebClient(app.url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
    expect((await anon.get('/healthz')).status).toBe(200);
    const ready = await anon.get('/readyz');
    expect(ready.status).toBe(200);
    // Anonymous: the status word only; the checks with the metrics token.
    expect(JSON.parse(ready.text)).toEqual({ status: 'ready' });
    const detailed = JSON.parse((await anon.get('/readyz', { authorization: 'Bearer scrape-token-123' })).text);
    expect(detailed.checks.redis.ok).toBe(true);
    expect(detailed.checks['source:vc01']).toMatchObject({ ok: true, detail: '4 machines' });
    await anon.close();
  });

  it('requires the bearer token for /metrics and exposes per-source and queue metrics', async () => {
    expect((await client.get('/metrics')).status).toBe(401);
    expect((await client.get('/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);
    const m = await client.get('/metrics', { authorization: 'Bearer scrape-token-123' });
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/collector_source_machines\{source="vc01",kind="vcenter"\} 4/);
    expect(m.text).toContain('collector_source_polls_total');
    expect(m.text).toContain('collector_upload_backlog -1');
    expect(m.text).toContain('collector_process_resident_memory_bytes');
  });
});

describe('web app: sign-in, sessions and CSRF', () => {
  it('sends an anonymous visitor to the login page', async () => {
    const r = await client.get('/discovery');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/login?next=%2Fdiscovery');
  });

  it('refuses a wrong password and signs in with the right one, with a Secure HttpOnly SameSite cookie', async () => {
    expect((await client.login('wrong password!')).status).toBe(401);
    const ok = await client.login(PASSWORD);
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/discovery');
    const cookie = ok.setCookie.find((c) => c.startsWith('__Host-collector_session='))!;
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    // The session id is not stored in Redis in the clear.
    const id = client.cookies.get('__Host-collector_session')!;
    expect(await redis.keys(`${prefix}:*${id}*`)).toEqual([]);
    const page = await client.get('/discovery');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('refuses a state-changing request without the CSRF token or from another site', async () => {
    const noToken = await client.post('/sources', { name: 'x', kind: 'hyperv', host: 'h', username: 'u', password: 'p' });
    expect(noToken.status).toBe(403);
    const csrf = csrfOf((await client.get('/sources')).text);
    const crossSite = await client.post('/sources/vc01/remove', { _csrf: csrf }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(loadConfig(configFile).sources.map((s) => s.name)).toEqual(['vc01']);
  });
});

describe('web app: pages', () => {
  it('lists machines with counts, search and filters', async () => {
    const all = await client.get('/discovery');
    expect(all.text).toContain('<div class="big" id="count-machines">4</div>');
    for (const n of ['web01', 'sql01', 'old01', 'big01']) expect(all.text).toContain(`>${n}</a>`);
    const off = await client.get('/discovery?power=poweredOff');
    expect(off.text).toContain('1 of 4 machines');
    expect(off.text).toContain('>old01</a>');
    expect(off.text).not.toContain('>web01</a>');
    const search = await client.get('/discovery?q=2016');
    expect(search.text).toContain('>sql01</a>');
    expect(search.text).toContain('1 of 4 machines');
    const notReady = await client.get(`/discovery?readiness=${encodeURIComponent('Not ready')}`);
    expect(notReady.text).toContain('>big01</a>');
    expect(notReady.text).not.toContain('>web01</a>');
  });

  it('shows a machine with its facts, a chart of the 10-minute peaks and percentile lines', async () => {
    const r = await client.get(`/machines/${encodeURIComponent('vmware:vc01:web01')}`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('Windows Server 2019');
    expect(r.text).toContain('<svg class="chart"');
    expect(r.text).toMatch(/CPU usage<\/strong> <span class="muted">\(6 ten-minute peaks\)/);
    expect(r.text).toMatch(/>P95 [\d.]+ %</);
    // 6 of 144 CPU points over 1 day, every other series empty: availability is low, not invented.
    expect(r.text).toMatch(/id="availability">[0-9.]+ %/);
    const pct = Number(/id="availability">([0-9.]+) %/.exec(r.text)![1]);
    expect(pct).toBeGreaterThan(0);
    expect(pct).toBeLessThan(5);
    expect((await client.get('/machines/nope')).status).toBe(404);
  });

  it('adds a source with an encrypted password, restarts it, and never sends the password back', async () => {
    const form = await client.get('/sources/new?kind=hyperv');
    const csrf = csrfOf(form.text);
    const added = await client.post('/sources', {
      _csrf: csrf,
      kind: 'hyperv',
      name: 'hv-lab',
      host: 'hv01.lab.local',
      transport: 'https',
      auth: 'ntlm',
      username: 'HV01\\collector',
      password: 'Pl41n-Text-Pw!',
      tlsMode: 'system',
      enabled: 'true',
    });
    expect(added.status).toBe(303);
    const text = readFileSync(configFile, 'utf8');
    expect(text).toContain('# production');
    expect(text).not.toContain('Pl41n-Text-Pw!');
    const cfg = loadConfig(configFile);
    const hv = cfg.sources.find((s) => s.name === 'hv-lab')!;
    expect(hv).toMatchObject({ kind: 'hyperv', host: 'hv01.lab.local', username: 'HV01\\collector' });
    expect(hv.password).toHaveProperty('encrypted');
    expect(changes.at(-1)).toEqual(['hv-lab']);
    const edit = await client.get('/sources/hv-lab/edit');
    expect(edit.text).not.toContain('Pl41n-Text-Pw!');
    expect(edit.text).not.toContain((hv.password as { encrypted: string }).encrypted);
    expect(edit.text).toContain('(unchanged)');
    // Edit without a new password keeps the stored one.
    const saved = await client.post('/sources/hv-lab', {
      _csrf: csrf,
      name: 'hv-lab',
      host: 'hv01.lab.local',
      transport: 'https',
      auth: 'ntlm',
      username: 'HV01\\other',
      password: '',
      tlsMode: 'system',
      enabled: 'true',
    });
    expect(saved.status).toBe(303);
    const after = loadConfig(configFile).sources.find((s) => s.name === 'hv-lab')!;
    expect(after.username).toBe('HV01\\other');
    expect(after.password).toEqual(hv.password);
    // A bad value comes back as the form with the problem named.
    const bad = await client.post('/sources', {
      _csrf: csrf,
      kind: 'vcenter',
      name: 'bad one',
      url: 'https://x/sdk',
      username: 'u',
      password: 'p',
      tlsMode: 'system',
      enabled: 'true',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('name: expected letters, digits');
    expect(bad.text).not.toContain('value="p"');
    // Host addresses for names DNS does not resolve (a cluster's nodes, the lab's hosts).
    const mapped = await client.post('/sources/hv-lab', {
      _csrf: csrf,
      name: 'hv-lab',
      host: 'HVCLU01',
      transport: 'https',
      auth: 'ntlm',
      username: 'HV01\\other',
      password: '',
      tlsMode: 'system',
      enabled: 'true',
      hostMap: 'hv01 = 10.0.0.11:5986\nhv02 = 10.0.0.12',
    });
    expect(mapped.status).toBe(303);
    expect((loadConfig(configFile).sources.find((s) => s.name === 'hv-lab') as { hostMap?: unknown }).hostMap).toEqual({
      hv01: '10.0.0.11:5986',
      hv02: '10.0.0.12',
    });
    expect((await client.get('/sources/hv-lab/edit')).text).toContain('hv01 = 10.0.0.11:5986\nhv02 = 10.0.0.12</textarea>');
    const badMap = await client.post('/sources/hv-lab', {
      _csrf: csrf,
      name: 'hv-lab',
      host: 'HVCLU01',
      transport: 'https',
      auth: 'ntlm',
      username: 'u',
      password: '',
      tlsMode: 'system',
      enabled: 'true',
      hostMap: 'hv01 10.0.0.11',
    });
    expect(badMap.status).toBe(400);
    expect(badMap.text).toContain('host addresses: &quot;hv01 10.0.0.11&quot; is not &quot;name = address[:port]&quot;');
    const removed = await client.post('/sources/hv-lab/remove', { _csrf: csrf });
    expect(removed.status).toBe(303);
    expect(loadConfig(configFile).sources.map((s) => s.name)).toEqual(['vc01']);
  });

  it('validates a source in plain words: reachable, certificate not trusted, then pinned', async () => {
    const csrf = csrfOf((await client.get('/sources')).text);
    await client.post('/sources', {
      _csrf: csrf,
      kind: 'vcenter',
      name: 'fake',
      url: `https://127.0.0.1:${fakePort}/sdk`,
      username: 'u@vsphere.local',
      password: 'pw-for-fake',
      tlsMode: 'system',
      enabled: 'true',
    });
    const v = await client.post('/sources/fake/validate', { _csrf: csrf });
    expect(v.status).toBe(200);
    expect(v.text).toContain(`Reached 127.0.0.1:${fakePort}`);
    expect(v.text).toContain('Certificate not trusted');
    const thumb = /name="thumbprint" value="([0-9A-F:]{95})"/.exec(v.text)![1]!;
    const expected = execFileSync('openssl', ['x509', '-in', join(tmp.dir, 'fc.pem'), '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    })
      .split('=')[1]!
      .trim();
    expect(thumb).toBe(expected);
    expect((await client.post('/sources/fake/pin', { _csrf: csrf, thumbprint: thumb })).status).toBe(303);
    const pinned = loadConfig(configFile).sources.find((s) => s.name === 'fake')!;
    expect(pinned.kind).toBe('vcenter');
    expect(pinned.kind === 'vcenter' && pinned.tls).toEqual({ thumbprint: thumb });
    const again = await client.post('/sources/fake/validate', { _csrf: csrf });
    expect(again.text).toContain('It matches the pinned SHA-256 thumbprint');
    // Not a vCenter: the sign-in step fails, and says so, without echoing the password.
    expect(again.text).toContain('Sign-in or discovery failed');
    expect(again.text).not.toContain('pw-for-fake');
    await client.post('/sources/fake/remove', { _csrf: csrf });
    const closed = await client.post('/sources', {
      _csrf: csrf,
      kind: 'hyperv',
      name: 'closed',
      host: '127.0.0.1',
      port: '1',
      transport: 'https',
      auth: 'ntlm',
      username: 'u',
      password: 'x',
      tlsMode: 'system',
      enabled: 'true',
    });
    expect(closed.status).toBe(303);
    const refused = await client.post('/sources/closed/validate', { _csrf: csrf });
    expect(refused.text).toContain('the connection was refused');
    await client.post('/sources/closed/remove', { _csrf: csrf });
  });

  it('shows the assessment and downloads it as JSON and as the Azure Migrate CSV', async () => {
    const r = await client.get('/assessment');
    expect(r.status).toBe(200);
    expect(r.text).toContain('Readiness');
    expect(r.text).toContain('id="download-json"');
    const json = await client.get('/assessment/download.json');
    expect(json.headers['content-disposition']).toMatch(/attachment; filename="assessment-\d+\.json"/);
    const a = JSON.parse(json.text);
    expect(a.machines.map((m: { name: string }) => m.name).sort()).toEqual(['big01', 'old01', 'sql01', 'web01']);
    expect(a.machines.find((m: { name: string }) => m.name === 'big01').readiness.category).toBe('Not ready');
    expect(a.summary.machines).toBe(4);
    const csv = await client.get('/assessment/download.csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    const { parse } = await import('csv-parse/sync');
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x['Server name']).sort()).toEqual(['big01', 'old01', 'sql01', 'web01']);
    expect(rows.find((x) => x['Server name'] === 'sql01')!.Cores).toBe('8');
  });

  it('shows health and the queue dashboard behind the login, and signs out', async () => {
    const h = await client.get('/health');
    expect(h.status).toBe(200);
    expect(h.text).toContain('vc01');
    expect((await client.get('/queues')).status).toBe(200);
    const csrf = csrfOf(h.text);
    expect((await client.post('/logout', { _csrf: csrf })).status).toBe(303);
    expect((await client.get('/queues')).status).toBe(302);
    expect((await client.get('/health')).status).toBe(302);
  });
});

describe('web app: first start and brute force', () => {
  it('asks for the setup code before the first password, and rate-limits failed sign-ins', async () => {
    const dir = tempDir('web-setup');
    const file = writeConfig(dir.dir, `redis: { url: ${REDIS_BASE}/8, prefix: ${prefix}-b }\nweb: { dataDir: data }\n`);
    const config = loadConfig(file);
    const second = await startWebApp({
      configFile: file,
      config,
      redis,
      log,
      secrets: SecretStore.fromKey(Buffer.alloc(32, 9)),
      dataDir: join(dir.dir, 'data'),
      listen: { host: '127.0.0.1', port: 0 },
    });
    const c = new WebClient(second.url, readFileSync(join(dir.dir, 'data', 'web-cert.pem'), 'utf8'));
    try {
      expect((await c.get('/login')).headers.location).toBe('/setup');
      const setup = await c.get('/setup');
      const csrf = csrfOf(setup.text);
      expect(
        (await c.post('/setup', { _csrf: csrf, code: 'guess', password: 'long enough pass', confirm: 'long enough pass' })).status,
      ).toBe(401);
      const code = readFileSync(join(dir.dir, 'data', 'setup-code'), 'utf8').trim();
      const csrf2 = csrfOf((await c.get('/setup')).text);
      expect((await c.post('/setup', { _csrf: csrf2, code, password: 'short', confirm: 'short' })).text).toContain(
        'at least 12 characters',
      );
      const csrf3 = csrfOf((await c.get('/setup')).text);
      const done = await c.post('/setup', { _csrf: csrf3, code, password: 'long enough pass', confirm: 'long enough pass' });
      expect(done.status).toBe(303);
      expect(readFileSync(join(dir.dir, 'data', 'admin-password.scrypt'), 'utf8')).toMatch(/^scrypt\$131072\$8\$1\$/);
      expect((await c.get('/sources')).status).toBe(200);

      const other = new WebClient(second.url, readFileSync(join(dir.dir, 'data', 'web-cert.pem'), 'utf8'));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await other.login(`wrong-${i}`)).status);
      expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(4); // one was spent on the bad setup code
      const blocked = await other.login('long enough pass');
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      await other.close();
    } finally {
      await c.close();
      await second.close();
      const keys = await redis.keys(`${prefix}-b:*`);
      if (keys.length) await redis.del(...keys);
      dir.cleanup();
    }
  });
});
