import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsTrustError } from '../../../common/tls.js';
import { UserError } from '../../../common/errors.js';
import { VcenterCollector } from '../../../collectors/vcenter/collector.js';
import { VimSession } from '../../../collectors/vcenter/session.js';
import { VimClient } from '../../../collectors/vcenter/soap/client.js';
import { child, path, textOf } from '../../../common/xml/reader.js';
import { el, moRef } from '../../../collectors/vcenter/soap/xml.js';
import { Secret } from '../../../common/secret-value.js';
import { capturingLogger, closedPort, simConfig } from './helpers/lab.js';
import { PEERS, requirePeer } from '../../helpers/peers.js';
import { SIM_BIN, startSim, type Sim } from './helpers/sim.js';

/** An HTTPS server on 127.0.0.1 that is not a vCenter, answering every request with `reply`. */
async function fakeServer(
  dir: string,
  reply: (res: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; port: number; thumbprint: string }> {
  // The simulator binary mints the certificate (no openssl needed).
  execFileSync(SIM_BIN, ['-gencert', dir], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    req.resume();
    req.on('end', () => reply(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, thumbprint: new X509Certificate(cert).fingerprint256 };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe.skipIf(requirePeer(PEERS.govmomiSim))('vCenter faults: clear errors, no crash', () => {
  let sim: Sim;
  let dir: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    sim = await startSim({ datacenters: 1, clusters: 1, clusterHosts: 1, hosts: 1, vms: 2, poweredOff: 0, templates: 0 });
    dir = mkdtempSync(join(tmpdir(), 'vc-faults-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('wrong password: InvalidLogin in words, no secret anywhere, then back-off without hammering vCenter', async () => {
    const logs = capturingLogger();
    process.env.VC_WRONG_PW = 'Wr0ng-Pa55word!';
    const c = new VcenterCollector(simConfig(sim, { password: { env: 'VC_WRONG_PW' } }), { log: logs.log });
    await sim.control('/lab/stats?reset=1');
    const err = await failure(c.discover());
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/refused the login for user "lab".*InvalidLogin/);
    expect((err as UserError).fix).toMatch(/read-only role/);
    const again = await failure(c.discover());
    expect(again.message).toMatch(/not logging in again for \d+ s after 1 failed attempt/);
    expect((await sim.control('/lab/stats')).calls.Login).toBe(1);
    await c.close();
    expect(`${err.message} ${again.message} ${logs.text()}`).not.toContain('Wr0ng-Pa55word!');
  });

  it('unreachable host: names the endpoint and the likely fix', async () => {
    const port = await closedPort();
    const c = new VcenterCollector(simConfig(sim, { url: `https://127.0.0.1:${port}/sdk` }), { log: capturingLogger().log });
    const err = await failure(c.discover());
    expect(err.message).toMatch(new RegExp(`cannot reach 127.0.0.1:${port}: ECONNREFUSED`));
    expect((err as UserError).fix).toMatch(/firewall/);
    await c.close();
  });

  it('untrusted certificate: shows subject and thumbprint and how to trust it; the password is never sent', async () => {
    await sim.control('/lab/stats?reset=1');
    const c = new VcenterCollector(simConfig(sim, { tls: {} }), { log: capturingLogger().log });
    const err = await failure(c.discover());
    expect(err).toBeInstanceOf(TlsTrustError);
    expect(err.message).toContain(sim.thumbprint);
    expect(err.message).toMatch(/CN=vcsim-lab/);
    expect((err as UserError).fix).toMatch(/caFile.*thumbprint.*insecure/s);
    expect((await sim.control('/lab/stats')).calls.Login ?? 0).toBe(0);
    await c.close();
  });

  it('wrong pinned thumbprint is refused; the right pin, the CA file and insecure all work', async () => {
    const wrong = new VcenterCollector(simConfig(sim, { tls: { thumbprint: Array(32).fill('AB').join(':') } }), {
      log: capturingLogger().log,
    });
    const err = await failure(wrong.discover());
    expect(err).toBeInstanceOf(TlsTrustError);
    expect(err.message).toMatch(/does not match the pinned thumbprint AB:AB/);
    expect(err.message).toContain(sim.thumbprint);
    await wrong.close();
    for (const tls of [{ thumbprint: sim.thumbprint.toLowerCase().replace(/:/g, '') }, { caFile: sim.certFile }, { insecure: true }]) {
      const ok = new VcenterCollector(simConfig(sim, { tls }), { log: capturingLogger().log });
      const { machines } = await ok.discover();
      expect(machines.length).toBe(sim.vms);
      await ok.close();
    }
  });

  it('an HTTPS server that is not a vCenter (HTML) is named as such', async () => {
    const fake = await fakeServer(mkdtempSync(join(dir, 'html-')), (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Welcome to nginx!</h1></body></html>');
    });
    servers.push(fake.server);
    const c = new VcenterCollector(simConfig(sim, { url: `https://127.0.0.1:${fake.port}/sdk`, tls: { thumbprint: fake.thumbprint } }), {
      log: capturingLogger().log,
    });
    const err = await failure(c.discover());
    expect(err.message).toMatch(/is not a vSphere SDK endpoint: RetrieveServiceContent got HTTP 200 with text\/html/);
    expect(err.message).toMatch(/Welcome to nginx/);
    expect((err as UserError).fix).toMatch(/https:\/\/<vcenter>\/sdk/);
    await c.close();
  });

  it('hostile XML (DOCTYPE with an external entity) and oversize responses are refused', async () => {
    const xxe = await fakeServer(mkdtempSync(join(dir, 'xxe-')), (res) => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      res.end(
        '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><R>&x;</R></soapenv:Body></soapenv:Envelope>',
      );
    });
    servers.push(xxe.server);
    const c = new VcenterCollector(simConfig(sim, { url: `https://127.0.0.1:${xxe.port}/sdk`, tls: { thumbprint: xxe.thumbprint } }), {
      log: capturingLogger().log,
    });
    const err = await failure(c.discover());
    expect(err.message).toMatch(/unacceptable response to RetrieveServiceContent: the document has a DOCTYPE/);
    expect(err.message).not.toMatch(/root:/);
    await c.close();

    const big = await fakeServer(mkdtempSync(join(dir, 'big-')), (res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.write('<soapenv:Envelope xmlns:soapenv="x"><soapenv:Body><R>');
      for (let i = 0; i < 64; i++) res.write(`<returnval>${'x'.repeat(16 * 1024)}</returnval>`);
      res.end('</R></soapenv:Body></soapenv:Envelope>');
    });
    servers.push(big.server);
    const client = new VimClient({
      url: `https://127.0.0.1:${big.port}/sdk`,
      tls: { thumbprint: big.thumbprint },
      timeoutMs: 10_000,
      limits: { maxBytes: 256 * 1024, maxDepth: 64 },
    });
    const tooBig = await failure(client.call('RetrieveServiceContent', { type: 'ServiceInstance', value: 'ServiceInstance' }));
    expect(tooBig.message).toMatch(/unacceptable response to RetrieveServiceContent: the response is larger than 256 KB/);
    await client.close();
  });

  it('a session terminated mid-run (TerminateSession from a second session): one re-login, the poll succeeds', async () => {
    const logs = capturingLogger();
    const a = new VcenterCollector(simConfig(sim), { log: logs.log });
    await a.discover();
    const content = await a.session.serviceContent();
    const cur = await a.session.call(
      'RetrievePropertiesEx',
      content.propertyCollector,
      `<specSet><propSet>${el('type', 'SessionManager')}${el('pathSet', 'currentSession')}</propSet><objectSet>${moRef('obj', content.sessionManager)}</objectSet></specSet><options/>`,
    );
    const key = textOf(path(child(child(cur, 'returnval'), 'objects'), 'propSet.val'), 'key');
    expect(key).toBeTruthy();

    const adminClient = new VimClient({ url: sim.url, tls: { thumbprint: sim.thumbprint }, timeoutMs: 10_000 });
    const admin = new VimSession(adminClient, { username: sim.username, password: () => new Secret(sim.password), log: logs.log });
    await admin.ensure();
    await admin.call('TerminateSession', content.sessionManager, el('sessionId', key!));
    await admin.logout();
    await adminClient.close();

    const stats = await a.poll(() => undefined);
    expect(stats.errors).toEqual([]);
    expect(stats.samples).toBeGreaterThan(0);
    expect(a.session.logins).toBe(2);
    expect(logs.text()).toMatch(/session expired; logging in again/);
    await a.close();
  });

  it('a slow vCenter: the call fails with a timeout naming timeoutSec, and the collector recovers', async () => {
    const c = new VcenterCollector(simConfig(sim, { timeoutSec: 5 }), { log: capturingLogger().log });
    await c.discover();
    await sim.control('/lab/delay?ms=8000');
    try {
      const err = await failure(c.poll(() => undefined));
      expect(err.message).toMatch(/did not answer \w+ within timeoutSec=5 s/);
      expect((err as UserError).fix).toMatch(/timeoutSec/);
    } finally {
      await sim.control('/lab/delay?ms=0');
    }
    const stats = await c.poll(() => undefined);
    expect(stats.samples).toBeGreaterThan(0);
    await c.close();
  });

  it('keeps one session alive with CurrentTime, and backs off exponentially on repeated login failures', async () => {
    const logs = capturingLogger();
    const client = new VimClient({ url: sim.url, tls: { thumbprint: sim.thumbprint }, timeoutMs: 10_000 });
    const live = new VimSession(client, {
      username: sim.username,
      password: () => new Secret(sim.password),
      log: logs.log,
      keepAliveSec: 0.5,
    });
    await live.ensure();
    await sim.control('/lab/stats?reset=1');
    await new Promise((r) => setTimeout(r, 2600));
    const calls = (await sim.control('/lab/stats')).calls;
    expect(calls.CurrentTime).toBeGreaterThanOrEqual(2);
    expect(calls.Login ?? 0).toBe(0);
    await live.logout();
    await client.close();

    const badClient = new VimClient({ url: sim.url, tls: { thumbprint: sim.thumbprint }, timeoutMs: 10_000 });
    const bad = new VimSession(badClient, {
      username: sim.username,
      password: () => new Secret('nope'),
      log: logs.log,
      backoffSec: 1,
      maxBackoffSec: 10,
    });
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await failure(bad.ensure());
      const m = /not logging in again for (\d+) s after (\d+)/.exec((await failure(bad.ensure())).message);
      expect(m, 'back-off error').not.toBeNull();
      waits.push(Number(m![2]));
      await new Promise((r) => setTimeout(r, 1000 * 2 ** i + 100)); // let the back-off expire
    }
    expect(waits).toEqual([1, 2, 3]); // each failed attempt counted, each wait doubling
    expect(logs.text()).toMatch(/"retryInSec":4[,}]/); // 1 s doubled twice
    await badClient.close();
  });
});
