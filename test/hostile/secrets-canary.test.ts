import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { loadEstate } from '../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../lab/vcenter/index.js';
import { createRedis } from '../../queue/redis.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { redisSettings } from '../helpers/redis-settings.js';
import { REDIS_BASE, tempDir, uniquePrefix, writeConfig } from '../appliance/fixtures.js';
import { csrfOf, WebClient } from '../appliance/http-client.js';

// Finding 4: a vCenter endpoint whose error page or SOAP fault echoes the password put it in the service
// log, the CLI output and the Health page. Three distinctive passwords (from { env }, { file } and the web
// form) go to a loopback endpoint that answers Login by echoing the password it got, as a SOAP fault, an
// HTML error page and plain text; every other call is passed to the lab vCenter. Then every log line,
// CLI output, page, probe, metric, export and Redis value is searched for them in every encoding.
const CANARY = {
  env: `Cnry-env-7Qx<&>"'+/ z9K`,
  file: `Cnry-file-4Rw&<'>"=?/ p2L`,
  form: `Cnry-form-8Tv"<&>'%+/ m5J`,
};
const USER = 'canary@vsphere.local';
const ADMIN_PW = 'canary admin password 1';
const TOKEN = 'canary-metrics-token-1';
const REDIS_DB = `${REDIS_BASE}/11`;

const tmp = tempDir('canary');
const prefix = uniquePrefix('canary');
let lab: VcenterLab;
let echo: Server;
let echoPort = 0;
let thumbprint = '';
const seen = new Set<string>();
let redis: Redis;

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const xmlUnescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&');
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every form in which a canary would count as leaked. */
function leakForms(pw: string): string[] {
  return [
    pw,
    encodeURIComponent(pw),
    new URLSearchParams({ p: pw }).toString().slice(2),
    xmlEscape(pw),
    JSON.stringify(pw).slice(1, -1),
    b64(pw),
    b64(`${USER}:${pw}`),
    pw.slice(0, 12),
  ];
}
function leaks(where: string, text: string): string[] {
  const hits: string[] = [];
  for (const [name, pw] of Object.entries(CANARY))
    for (const f of leakForms(pw)) if (text.includes(f)) hits.push(`${where}: ${name} canary as ${JSON.stringify(f)}`);
  if (/Cnry-/.test(text)) hits.push(`${where}: a canary fragment (${/.{0,40}Cnry-.{0,20}/s.exec(text)![0]})`);
  return hits;
}

/** The echoing endpoint: Login answered with the password it carried, in the style the path names. */
function echoHandler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer): void {
  const text = body.toString('utf8');
  const mode = (req.url ?? '').split('/')[1];
  const m = /<(?:\w+:)?password>([^<]*)<\/(?:\w+:)?password>/.exec(text);
  if (m && /<(?:\w+:)?Login\b/.test(text)) {
    const pw = xmlUnescape(m[1]!);
    seen.add(pw);
    const basic = b64(`${USER}:${pw}`);
    if (mode === 'fault') {
      res
        .writeHead(500, { 'content-type': 'text/xml; charset=utf-8' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login for ${xmlEscape(USER)} with password ${xmlEscape(pw)} (${encodeURIComponent(pw)}, Basic ${basic})</faultstring><detail><SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><reason>password=${xmlEscape(pw)}</reason></SystemErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
        );
    } else if (mode === 'html') {
      res
        .writeHead(500, { 'content-type': 'text/html' })
        .end(
          `<p>${xmlEscape(pw)}</p><html><body><h1>Login error</h1><p>password: ${encodeURIComponent(pw)} basic ${basic} ${'x'.repeat(120)} ${xmlEscape(pw)}</p></body></html>`,
        );
    } else {
      res
        .writeHead(401, { 'content-type': 'text/plain' })
        .end(`denied: ${pw} / ${encodeURIComponent(pw)} / Authorization: Basic ${basic} / ${b64(pw)}`);
    }
    return;
  }
  // Everything else goes to the lab vCenter, so the client gets as far as Login.
  const up = httpsRequest(
    {
      host: '127.0.0.1',
      port: lab.port,
      path: '/sdk',
      method: req.method,
      headers: { ...req.headers, host: `127.0.0.1:${lab.port}` },
      rejectUnauthorized: false,
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', () => res.writeHead(502).end());
  up.end(body);
}

/** Starts `collector run` (built CLI) keeping every stderr byte, and resolves with the web app's URL. */
function startRun(configFile: string) {
  const child = spawn(
    process.execPath,
    [CLI, 'run', '--config', configFile, '--no-status', '--log-format', 'json', '--log-level', 'debug'],
    {
      cwd: ROOT,
      env: { ...process.env, CANARY_ENV_PW: CANARY.env, COLLECTOR_SECRET_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no web app in 60 s:\n${stderr}`)), 60_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /"url":"(https:\/\/[^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`collector run exited with ${code}:\n${stderr}`)));
  });
  const stop = async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  };
  return { url, stop, output: () => stdout + stderr };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every value under our prefix in DB 11, whatever its type. */
async function redisDump(): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      parts.push(key);
      if (type === 'string') parts.push((await redis.getBuffer(key))?.toString('latin1') ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, '-1', 'WITHSCORES')));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

let configFile = '';
beforeAll(async () => {
  const dir = tmp.dir;
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
      '/CN=canary-vcenter',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
    ],
    { stdio: 'ignore' },
  );
  const tls = { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
  thumbprint = new X509Certificate(tls.cert).fingerprint256;
  lab = await startVcenterLab({
    estate: loadEstate(join(ROOT, 'lab/estates/sample.yaml')),
    users: [{ username: USER, password: 'not-the-canary-1' }],
    host: '127.0.0.1',
    port: 0,
    tls,
    log: createLogger({ level: 'silent', pretty: false }),
  });
  echo = createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => echoHandler(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as { port: number }).port;
  writeFileSync(join(dir, 'vc.pw'), `${CANARY.file}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'admin.pw'), `${ADMIN_PW}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'metrics.token'), `${TOKEN}\n`, { mode: 0o600 });
  const src = (name: string, mode: string, password: string) => `
  - name: ${name}
    kind: vcenter
    url: https://127.0.0.1:${echoPort}/${mode}/sdk
    username: ${USER}
    password: ${password}
    tls: { thumbprint: "${thumbprint}" }
    timeoutSec: 5
    inventoryIntervalSec: 60`;
  configFile = writeConfig(
    dir,
    `redis: { url: ${REDIS_DB}, prefix: ${prefix} }\nweb:\n  port: 0\n  host: 127.0.0.1\n  dataDir: data\n  adminPassword: { file: ${join(dir, 'admin.pw')} }\n  metricsToken: { file: ${join(dir, 'metrics.token')} }\nsources:${src('s-env', 'fault', '{ env: CANARY_ENV_PW }')}${src('s-file', 'html', `{ file: ${join(dir, 'vc.pw')} }`)}\n`,
  );
  redis = createRedis(redisSettings(REDIS_DB, prefix));
}, 60_000);

afterAll(async () => {
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  await new Promise((r) => echo?.close(r));
  await lab?.close();
  tmp.cleanup();
});

describe('secrets canary: a peer that echoes the password', () => {
  it('no canary in any log line, CLI output, page, probe, metric, export or Redis value', async () => {
    const found: string[] = [];
    const run = startRun(configFile);
    const url = await run.url;
    const web = new WebClient(url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
    try {
      expect((await web.login(ADMIN_PW)).status).toBe(303);
      // The third password arrives through the web form.
      const form = await web.get('/sources/new?kind=vcenter');
      const added = await web.post('/sources', {
        _csrf: csrfOf(form.text),
        kind: 'vcenter',
        name: 's-form',
        url: `https://127.0.0.1:${echoPort}/text/sdk`,
        username: USER,
        password: CANARY.form,
        tlsMode: 'thumbprint',
        thumbprint,
        enabled: 'true',
      });
      expect(added.status, added.text).toBe(303);
      await until('a Login from every canary source', () => Object.values(CANARY).every((pw) => seen.has(pw)));
      // Let the failures reach the status, the Health page and the log.
      await until(
        'three failing sources on the Health page',
        async () => ((await web.get('/health')).text.match(/class="bad">failing/g) ?? []).length >= 3,
      );

      const pages: Record<string, string> = {};
      for (const path of [
        '/health',
        '/sources',
        '/discovery',
        '/sources/s-form/edit',
        '/assessment',
        '/queues/',
        '/queues/api/queues?activeQueue=samples&page=1&jobsPerPage=10',
      ])
        pages[path] = (await web.get(path)).text;
      const validate = await web.get('/sources');
      pages['POST /sources/s-env/validate'] = (await web.post('/sources/s-env/validate', { _csrf: csrfOf(validate.text) })).text;
      pages['POST /sources/s-form/validate'] = (await web.post('/sources/s-form/validate', { _csrf: csrfOf(validate.text) })).text;
      pages['/readyz signed in'] = (await web.get('/readyz')).text;
      const anon = new WebClient(url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
      pages['/readyz anonymous'] = (await anon.get('/readyz')).text;
      pages['/readyz token'] = (await anon.get('/readyz', { authorization: `Bearer ${TOKEN}` })).text;
      pages['/metrics'] = (await anon.get('/metrics', { authorization: `Bearer ${TOKEN}` })).text;
      await anon.close();
      // The pages did show the failures (so the search below is not vacuous), redacted.
      expect(pages['/health']).toMatch(/\[redacted\]/);
      expect(pages['/readyz token']).toMatch(/s-env/);
      for (const [path, text] of Object.entries(pages)) found.push(...leaks(path, text));
      found.push(...leaks('redis', await redisDump()));
    } finally {
      await web.close();
      expect(await run.stop()).toBe(0);
    }
    const log = run.output();
    expect(log).toMatch(/vCenter login failed/);
    expect(log).toMatch(/\[redacted\]/);
    found.push(...leaks('collector run log', log));

    // The CLI, with the same config: discover, collect --once, config check, export.
    const env = { CANARY_ENV_PW: CANARY.env, COLLECTOR_LOG_LEVEL: 'debug', COLLECTOR_SECRET_KEY: '' };
    const inv = join(tmp.dir, 'inventory.json');
    const discover = await runCli(['discover', '--config', configFile, '--out', inv, '--source', 's-env', 's-file'], {
      env,
      timeoutMs: 60_000,
    });
    expect(discover.code).toBe(2);
    expect(discover.stderr).toMatch(/s-env: FAILED: .*\[redacted\]/);
    found.push(...leaks('discover output', discover.stdout + discover.stderr), ...leaks('inventory.json', readFileSync(inv, 'utf8')));
    const collect = await runCli(
      ['collect', '--once', '--config', configFile, '--out', join(tmp.dir, 's.ndjson'), '--source', 's-env', 's-file'],
      { env, timeoutMs: 60_000 },
    );
    expect(collect.code).not.toBe(0);
    found.push(...leaks('collect output', collect.stdout + collect.stderr));
    const check = await runCli(['config', 'check', '--config', configFile], { env });
    found.push(...leaks('config check output', check.stdout + check.stderr));
    const exp = await runCli(['export', '--config', configFile, '--format', 'azure-migrate-csv', '--out', join(tmp.dir, 'servers.csv')], {
      env,
      timeoutMs: 60_000,
    });
    found.push(...leaks('export output', exp.stdout + exp.stderr));
    try {
      found.push(...leaks('servers.csv', readFileSync(join(tmp.dir, 'servers.csv'), 'utf8')));
    } catch {
      /* no assessment data: nothing exported */
    }
    expect(found).toEqual([]);
  }, 240_000);
});
