import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SecretStore } from '../../appliance/credential-store.js';
import { AdminAccount } from '../../appliance/web/admin-account.js';
import { startWebApp, type WebApp } from '../../appliance/web/server.js';
import { HostSession } from '../../collectors/hyperv/session.js';
import { httpsOnlyFor } from '../../collectors/hyperv/https-policy.js';
import { createLogger } from '../../common/log.js';
import { Secret } from '../../common/secret-value.js';
import { loadConfig, parseConfig, type HypervSourceConfig } from '../../config/load.js';
import { createRedis } from '../../queue/redis.js';
import { csrfOf, WebClient } from './http-client.js';
import { REDIS_BASE, tempDir, uniquePrefix, writeConfig } from './fixtures.js';

// Finding 5 (and the web form's part of finding 4).
const PASSWORD = 'hardening admin password';
const TOKEN = 'hardening-metrics-token';
const tmp = tempDir('web-hard');
const prefix = uniquePrefix('web-hard');
const log = createLogger({ level: 'silent', pretty: false });
let redis: Redis;
let app: WebApp;
let fresh: WebApp;
let client: WebClient;
let freshClient: WebClient;
let configFile: string;

beforeAll(async () => {
  writeFileSync(join(tmp.dir, 'admin.pw'), `${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'metrics.token'), `${TOKEN}\n`, { mode: 0o600 });
  configFile = writeConfig(
    tmp.dir,
    `redis: { url: ${REDIS_BASE}/11, prefix: ${prefix} }\nweb:\n  dataDir: data\n  adminPassword: { file: ${join(tmp.dir, 'admin.pw')} }\n  metricsToken: { file: ${join(tmp.dir, 'metrics.token')} }\nsources:\n  - name: vc01\n    kind: vcenter\n    url: https://vc01.internal.example/sdk\n    username: ro@vsphere.local\n    password: { env: HARDENING_VC_PW }\n`,
  );
  const config = loadConfig(configFile);
  redis = createRedis(config.redis);
  app = await startWebApp({
    configFile,
    config,
    redis,
    log,
    secrets: SecretStore.fromKey(Buffer.alloc(32, 3)),
    dataDir: join(tmp.dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
  });
  client = new WebClient(app.url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
  // A second appliance on its first start (no admin password yet): /setup is a real page there.
  const freshDir = join(tmp.dir, 'fresh');
  mkdirSync(freshDir, { recursive: true });
  const freshFile = writeConfig(freshDir, `redis: { url: ${REDIS_BASE}/11, prefix: ${prefix}-f }\nweb: { dataDir: data }\n`);
  fresh = await startWebApp({
    configFile: freshFile,
    config: loadConfig(freshFile),
    redis,
    log,
    secrets: SecretStore.fromKey(Buffer.alloc(32, 4)),
    dataDir: join(freshDir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
  });
  freshClient = new WebClient(fresh.url, readFileSync(join(freshDir, 'data', 'web-cert.pem'), 'utf8'));
});

afterAll(async () => {
  await client?.close();
  await freshClient?.close();
  await app?.close();
  await fresh?.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  tmp.cleanup();
});

function expectSecurityHeaders(where: string, headers: Record<string, unknown>): void {
  const csp = String(headers['content-security-policy'] ?? '');
  expect(csp, where).toMatch(/frame-ancestors 'none'/);
  expect(csp, where).toMatch(/default-src 'self'/);
  expect(csp, where).not.toMatch(/https?:/);
  expect(headers['x-content-type-options'], where).toBe('nosniff');
  expect(headers['referrer-policy'], where).toBe('same-origin');
  expect(headers['x-frame-options'], where).toBe('DENY');
}

describe('web app hardening', () => {
  it('20 parallel wrong sign-ins: at most the limit (5) reach the password check', async () => {
    const verify = vi.spyOn(AdminAccount.prototype, 'verify');
    try {
      const page = await client.get('/login');
      const csrf = csrfOf(page.text);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          client.post('/login', { _csrf: csrf, user: 'admin', password: `wrong guess ${i}`, next: '/discovery' }),
        ),
      );
      expect(verify.mock.calls.length).toBeLessThanOrEqual(5);
      expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(15);
      expect(answers.filter((a) => a.status === 401).length).toBe(verify.mock.calls.length);
    } finally {
      verify.mockRestore();
    }
  });

  it('CSP, frame-ancestors, nosniff and Referrer-Policy on /login, /setup and /readyz without a session', async () => {
    const other = new WebClient(app.url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
    try {
      const login = await other.get('/login');
      expect(login.status).toBe(200);
      expectSecurityHeaders('/login', login.headers);
      const setup = await freshClient.get('/setup');
      expect(setup.status).toBe(200);
      expect(setup.text).toContain('Setup code');
      expectSecurityHeaders('/setup', setup.headers);
      expectSecurityHeaders('/readyz', (await other.get('/readyz')).headers);
    } finally {
      await other.close();
    }
  });

  it('signed in: no-store on every response, headers on the queue board, no CDN fonts, /readyz details', async () => {
    // The main app's limiter blocks 127.0.0.1 after the test above: finish the fresh appliance's setup instead.
    const setup = await freshClient.get('/setup');
    const code = readFileSync(join(tmp.dir, 'fresh', 'data', 'setup-code'), 'utf8').trim();
    const done = await freshClient.post('/setup', {
      _csrf: csrfOf(setup.text),
      code,
      password: 'fresh admin password',
      confirm: 'fresh admin password',
    });
    expect(done.status).toBe(303);
    for (const path of [
      '/discovery',
      '/sources',
      '/health',
      '/assessment',
      '/queues/',
      '/queues/api/queues?page=1&jobsPerPage=10',
      '/readyz',
      '/healthz',
    ]) {
      const r = await freshClient.get(path);
      expect(r.status, path).toBeLessThan(400);
      expect(r.headers['cache-control'], path).toBe('no-store');
      expectSecurityHeaders(path, r.headers);
    }
    const board = await freshClient.get('/queues/');
    expect(board.text).toContain('static/js/');
    expect(board.text).not.toMatch(/fonts\.googleapis|fonts\.gstatic/);
    expect(board.text).not.toMatch(/<(?:link|script)\b[^>]*(?:href|src)=["']?(?:https?:)?\/\//i);
    // The bull-board static assets it loads are ours and also no-store.
    const js = /src="(static\/js\/[^"]+)"/.exec(board.text)![1]!;
    const asset = await freshClient.get(`/queues/${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('no-store');
    // The app's stylesheet may be cached: it holds no data.
    expect((await freshClient.get('/static/app.css')).headers['cache-control']).toBe('max-age=3600');
    // /readyz: signed in, the checks are there.
    expect(JSON.parse((await freshClient.get('/readyz')).text).checks.redis.ok).toBe(true);
  });

  it('/readyz: anonymous callers get a status word only; the metrics token shows the checks', async () => {
    const anon = new WebClient(app.url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
    try {
      const r = await anon.get('/readyz');
      expect(r.status).toBe(503); // vc01 never discovered
      expect(JSON.parse(r.text)).toEqual({ status: 'not ready' });
      expect(r.text).not.toContain('vc01');
      expect((await anon.get('/readyz', { authorization: 'Bearer wrong' })).text).toBe('{"status":"not ready"}');
      const detailed = JSON.parse((await anon.get('/readyz', { authorization: `Bearer ${TOKEN}` })).text);
      expect(detailed.checks['source:vc01']).toMatchObject({ ok: false, detail: 'not discovered yet' });
    } finally {
      await anon.close();
    }
  });

  it('the Hyper-V form offers the HTTP fallback choice and writes httpsOnly / allowHttpFallback', async () => {
    const form = await freshClient.get('/sources/new?kind=hyperv');
    expect(form.text).toMatch(/<select id="fallback" name="fallback">/);
    const base = {
      _csrf: csrfOf(form.text),
      kind: 'hyperv',
      host: 'hv01',
      username: 'HV01\\collector',
      password: 'hv form password 1',
      transport: 'https',
      auth: 'ntlm',
      tlsMode: 'thumbprint',
      thumbprint: 'AB'.repeat(32).match(/../g)!.join(':'),
      enabled: 'true',
    };
    expect((await freshClient.post('/sources', { ...base, name: 'hv-never', fallback: 'never' })).status).toBe(303);
    expect((await freshClient.post('/sources', { ...base, name: 'hv-allow', fallback: 'allow' })).status).toBe(303);
    expect((await freshClient.post('/sources', { ...base, name: 'hv-auto', fallback: 'auto' })).status).toBe(303);
    const cfg = loadConfig(join(tmp.dir, 'fresh', 'config.yaml'));
    const hv = (name: string) => cfg.sources.find((s) => s.name === name) as HypervSourceConfig;
    expect(hv('hv-never')).toMatchObject({ httpsOnly: true });
    expect(hv('hv-allow')).toMatchObject({ allowHttpFallback: true });
    expect(httpsOnlyFor(hv('hv-never'))).toBe(true);
    expect(httpsOnlyFor(hv('hv-auto'))).toBe(true); // the pinned thumbprint implies it
    expect(httpsOnlyFor(hv('hv-allow'))).toBe(false);
  });
});

describe('Hyper-V: TLS settings imply httpsOnly (finding 4)', () => {
  const source = (extra: Record<string, unknown>) =>
    parseConfig({ sources: [{ name: 'hv', kind: 'hyperv', host: 'hv01', username: 'HV01\\collector', password: { env: 'X' }, ...extra }] })
      .sources[0] as HypervSourceConfig;

  it('contradicting httpsOnly and allowHttpFallback is a config error', () => {
    expect(() => source({ httpsOnly: true, allowHttpFallback: true })).toThrow(/contradict/);
    expect(httpsOnlyFor(source({}))).toBe(false);
    expect(httpsOnlyFor(source({ tls: { caFile: '/nonexistent/ca.pem' } }))).toBe(true);
    expect(httpsOnlyFor(source({ transport: 'http' }))).toBe(false);
  });

  it('a pinned thumbprint with 5986 closed: no connection to HTTP 5985, no credentials sent', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const httpsPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    let httpConnections = 0;
    const http: Server = createServer((s) => {
      httpConnections++;
      s.destroy();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const httpPort = (http.address() as { port: number }).port;
    try {
      const cfg = source({
        tls: { thumbprint: 'AB'.repeat(32).match(/../g)!.join(':') },
        hostMap: { hv01: { address: '127.0.0.1', httpsPort, httpPort } },
      });
      const session = new HostSession('hv01', cfg, () => new Secret('hv password 1'), log);
      await expect(
        session.run((r) => r.enumerateAll('http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_ComputerSystem')),
      ).rejects.toThrow(/httpsOnly/);
      expect(httpConnections).toBe(0);
      await session.close();
      // With allowHttpFallback: true the admin chose the fallback: the HTTP port is tried.
      const allowed = new HostSession('hv01', { ...cfg, allowHttpFallback: true }, () => new Secret('hv password 1'), log);
      await allowed
        .run((r) => r.enumerateAll('http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_ComputerSystem'))
        .catch(() => undefined);
      expect(httpConnections).toBeGreaterThan(0);
      await allowed.close();
    } finally {
      await new Promise((r) => http.close(r));
    }
  });
});
