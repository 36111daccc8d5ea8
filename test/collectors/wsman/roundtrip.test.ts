// Client <-> server on loopback over real sockets: HTTP + NTLM + sealing, HTTPS + NTLM (CBT), HTTPS + Basic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../common/secret-value.js';
import { TlsTrustError } from '../../../common/tls.js';
import {
  WsmanClient,
  wmiResourceUri,
  parseEmbeddedInstance,
  propBigInt,
  propString,
  WsmanAuthError,
  WsmanAccessDeniedError,
  WsmanTimeoutError,
  WsmanInvalidNamespaceError,
  WsmanEnumerationContextError,
  WsmanTransportError,
  WsmanFault,
  connectWithFallback,
  type CimInstance,
  type WsmanClientOptions,
} from '../../../collectors/wsman/index.js';
import { withHypervAdvice } from '../../../collectors/hyperv/wsman-advice.js';
import { startWsmanServer, type WsmanServerHandle } from '../../../lab/wsman-server/index.js';
import { makeCert, testBackend, thing, TEST_NS, type TestCert } from './helpers.js';

const USERS = { 'HV01\\collector': 'Pa$$w0rd!é', limited: 'limited-pw' };
const COUNT = 137;
let cert: TestCert;
let server: WsmanServerHandle;

beforeAll(async () => {
  cert = makeCert();
  server = await startWsmanServer({
    backend: testBackend({ count: COUNT, denied: ['limited'] }),
    users: USERS,
    http: { port: 0 },
    https: { port: 0, cert: cert.cert, key: cert.key, basic: true, ntlm: true },
    maxBatchItems: 10,
    computerName: 'HV01',
  });
});

afterAll(async () => {
  await server?.close();
  cert?.cleanup();
});

function client(over: Partial<WsmanClientOptions> = {}): WsmanClient {
  const scheme = over.scheme ?? 'http';
  return new WsmanClient({
    host: '127.0.0.1',
    port: scheme === 'http' ? server.httpPort! : server.httpsPort!,
    scheme,
    auth: 'ntlm',
    username: 'HV01\\collector',
    password: new Secret(USERS['HV01\\collector']),
    tls: { caFile: cert.certFile },
    timeoutMs: 20_000,
    ...over,
  });
}

const ALL = wmiResourceUri(TEST_NS);

function expectThing(inst: CimInstance, i: number): void {
  const want = thing(i);
  expect(inst.className).toBe('Test_Thing');
  expect(inst.properties.Name).toBe(want.Name);
  expect(inst.properties.Caption).toBe(want.Caption);
  expect(propBigInt(inst, 'Big')).toBe(18446744073709551615n - BigInt(i));
  expect(inst.properties.Nothing).toBeNull();
  expect(inst.properties.Empty).toBe('');
  expect(inst.properties.Tags).toEqual(want.Tags);
  expect(inst.properties.When).toEqual(want.When);
  expect(inst.properties.Uptime).toEqual({ interval: 'P0DT0H1M40S' });
  expect(inst.properties.Ref).toEqual(want.Ref);
  const kv = parseEmbeddedInstance(propString(inst, 'Items')!);
  expect(kv).toEqual({ className: 'Test_KV', properties: { Name: 'OSName', Data: `Windows <${i}>`, Source: '2' } });
}

describe('WS-Man client and server on loopback', () => {
  it('HTTP + NTLM + message encryption: Enumerate/Pull returns every item, field by field, over one authenticated connection', async () => {
    const c = client();
    const before = server.stats();
    const items = await c.enumerateAll(ALL, { wql: 'SELECT * FROM Test_Thing' });
    expect(items).toHaveLength(COUNT);
    for (const [i, it] of items.entries()) expectThing(it, i);
    // A second enumeration reuses the connection and its NTLM session.
    const again = await c.enumerateAll(ALL, { wql: "SELECT * FROM Test_Thing WHERE Name = 'thing-7'" });
    expect(again.map((x) => x.properties.Name)).toEqual(['thing-7']);
    const after = server.stats();
    expect(after.authentications - before.authentications).toBe(1);
    expect(after.connections - before.connections).toBe(1);
    // NTLM's two legs, then 137 items in batches of 10 (1 Enumerate + 13 Pulls), then 1 Enumerate.
    expect(after.requests - before.requests).toBe(2 + 14 + 1);
    expect(after.openContexts).toBe(0);
    await c.close();
  });

  it('a projection comes back as XmlFragment and is named after the WQL class', async () => {
    const c = client();
    const items = await c.enumerateAll(ALL, { wql: 'SELECT Name, When, Nothing, Tags FROM Test_Thing' });
    expect(items).toHaveLength(COUNT);
    expect(items[3]).toEqual({
      className: 'Test_Thing',
      properties: { Name: 'thing-3', When: thing(3).When, Nothing: null, Tags: thing(3).Tags },
    });
    await c.close();
  });

  it('HTTPS + NTLM with channel binding, CA-verified', async () => {
    const bound = server.stats().channelBound;
    const c = client({ scheme: 'https' });
    const items = await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' });
    expect(server.stats().channelBound - bound).toBe(1);
    expect(items.map((x) => x.properties.Name)).toEqual(Array.from({ length: COUNT }, (_, i) => `thing-${i}`));
    await c.close();
  });

  it('HTTPS + Basic, with the certificate pinned by thumbprint', async () => {
    const c = client({ scheme: 'https', auth: 'basic', username: 'collector', tls: { thumbprint: cert.thumbprint } });
    const got = await c.get(wmiResourceUri(TEST_NS, 'Test_Thing'), { Name: 'thing-42' });
    expectThing(got, 42);
    await c.close();
  });

  it('refuses an untrusted certificate or a wrong pin with TlsTrustError showing the thumbprint', async () => {
    const untrusted = client({ scheme: 'https', tls: {} });
    const e1 = await untrusted.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' }).catch((e) => e);
    expect(e1).toBeInstanceOf(TlsTrustError);
    expect(String(e1.message)).toContain(cert.thumbprint);
    await untrusted.close();
    const wrongPin = client({ scheme: 'https', tls: { thumbprint: 'AA:'.repeat(31) + 'AA' } });
    const e2 = await wrongPin.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' }).catch((e) => e);
    expect(e2).toBeInstanceOf(TlsTrustError);
    await wrongPin.close();
  });

  it('Get and Invoke round-trip selectors, array parameters and the embedded output', async () => {
    const c = client();
    const out = await c.invoke(
      wmiResourceUri(TEST_NS, 'Test_Service'),
      'Describe',
      { Name: 'svc' },
      { Path: ['C:\\VMs\\a b.vhdx', 'D:\\x&y.vhdx'] },
    );
    expect(out.className).toBe('Describe_OUTPUT');
    expect(out.properties.ReturnValue).toBe('0');
    expect(parseEmbeddedInstance(propString(out, 'SettingData')!).properties).toEqual({
      Path: 'C:\\VMs\\a b.vhdx',
      Count: '2',
      Selector: 'svc',
    });
    const e = await c.get(wmiResourceUri(TEST_NS, 'Test_Thing'), { Name: 'missing' }).catch((x) => x);
    expect(e).toBeInstanceOf(WsmanFault);
    expect(e.fault.subcode).toBe('InvalidSelectors');
    expect(e.fault.wsmanFaultCode).toBe(2150858813);
    await c.close();
  });

  it('stopping early releases the enumeration context on the server', async () => {
    const c = client();
    let seen = 0;
    for await (const item of c.enumerate(ALL, { wql: 'SELECT Name FROM Test_Thing', maxElements: 5 })) {
      expect(item.properties.Name).toBe(`thing-${seen}`);
      if (++seen === 12) break;
    }
    expect(server.stats().openContexts).toBe(0);
    await c.close();
  });

  it('re-authenticates transparently when the host drops the connection', async () => {
    const c = client();
    await c.enumerateAll(ALL, { wql: "SELECT Name FROM Test_Thing WHERE Name = 'thing-1'" });
    const before = server.stats().authentications;
    server.dropConnections();
    const items = await c.enumerateAll(ALL, { wql: "SELECT Name FROM Test_Thing WHERE Name = 'thing-2'" });
    expect(items.map((x) => x.properties.Name)).toEqual(['thing-2']);
    expect(server.stats().authentications - before).toBe(1);
    await c.close();
  });

  it('a 401 on an authenticated connection re-authenticates once, on the same socket', async () => {
    for (const scheme of ['http', 'https'] as const) {
      const c = client({ scheme });
      await c.enumerateAll(ALL, { wql: "SELECT Name FROM Test_Thing WHERE Name = 'thing-1'" });
      const before = server.stats();
      server.forgetAuthentication();
      const items = await c.enumerateAll(ALL, { wql: "SELECT Name FROM Test_Thing WHERE Name = 'thing-3'" });
      expect(items.map((x) => x.properties.Name)).toEqual(['thing-3']);
      const after = server.stats();
      expect(after.authentications - before.authentications).toBe(1);
      expect(after.connections - before.connections).toBe(0);
      await c.close();
    }
  });

  it('tls.insecure skips verification knowingly', async () => {
    const c = client({ scheme: 'https', tls: { insecure: true } });
    expect(await c.enumerateAll(ALL, { wql: "SELECT Name FROM Test_Thing WHERE Name = 'thing-4'" })).toHaveLength(1);
    await c.close();
  });

  it('wrong password -> WsmanAuthError (no retry loop), without the password in the message', async () => {
    const before = server.stats().authFailures;
    for (const over of [{}, { scheme: 'https' as const }, { scheme: 'https' as const, auth: 'basic' as const }]) {
      const c = client({ ...over, password: new Secret('wrong-secret-value') });
      const e = await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' }).catch((x) => x);
      expect(e).toBeInstanceOf(WsmanAuthError);
      expect(e.message).toContain('HV01\\collector');
      expect(`${e.message} ${e.fix}`).not.toContain('wrong-secret-value');
      await c.close();
    }
    expect(server.stats().authFailures - before).toBe(3);
  });

  it('access denied names the groups the account needs', async () => {
    const c = client({ username: 'limited', password: new Secret('limited-pw') });
    const e = await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' }).catch((x) => x);
    expect(e).toBeInstanceOf(WsmanAccessDeniedError);
    // The protocol layer names no Hyper-V group; the Hyper-V collector's edge adds them to the same error.
    expect(e.fix).not.toMatch(/Hyper-V/);
    const advised = withHypervAdvice(e) as WsmanAccessDeniedError;
    expect(advised).toBeInstanceOf(WsmanAccessDeniedError);
    expect(advised.message).toBe(e.message);
    for (const g of ['Remote Management Users', 'Hyper-V Administrators', 'Performance Monitor Users']) expect(advised.fix).toContain(g);
    await c.close();
  });

  it('an unknown namespace -> WsmanInvalidNamespaceError (Hyper-V not installed); a bad class -> WsmanFault', async () => {
    const c = client();
    const e = await c.enumerateAll(wmiResourceUri('root/virtualization/v2'), { wql: 'SELECT * FROM Msvm_ComputerSystem' }).catch((x) => x);
    expect(e).toBeInstanceOf(WsmanInvalidNamespaceError);
    expect(e.fix).not.toMatch(/Hyper-V/);
    expect((withHypervAdvice(e) as WsmanInvalidNamespaceError).fix).toMatch(/Hyper-V role/);
    const e2 = await c.enumerateAll(ALL, { wql: 'SELECT * FROM Nope' }).catch((x) => x);
    expect(e2).toBeInstanceOf(WsmanFault);
    expect(e2.fault.wsmanFaultCode).toBe(2147749904);
    // A concrete class URI with a WQL filter is refused as Windows does.
    const e3 = await c.enumerateAll(wmiResourceUri(TEST_NS, 'Test_Thing'), { wql: 'SELECT * FROM Test_Thing' }).catch((x) => x);
    expect(e3).toBeInstanceOf(WsmanFault);
    expect(e3.message).toMatch(/class name must be '\*'/);
    await c.close();
  });

  it('a connection refused -> WsmanTransportError; connectWithFallback goes to HTTP unless httpsOnly', async () => {
    const net = await import('node:net');
    const spare = net.createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', () => r()));
    const deadPort = (spare.address() as { port: number }).port;
    await new Promise<void>((r) => spare.close(() => r()));

    const dead = client({ scheme: 'https', port: deadPort });
    const e = await dead.enumerateAll(ALL).catch((x) => x);
    expect(e).toBeInstanceOf(WsmanTransportError);
    expect(e.message).toContain('connection refused');
    await dead.close();

    const base = {
      host: '127.0.0.1',
      port: deadPort,
      scheme: 'https' as const,
      auth: 'ntlm' as const,
      username: 'HV01\\collector',
      password: new Secret(USERS['HV01\\collector']),
      httpPort: server.httpPort,
    };
    const fb = await connectWithFallback(base, false);
    expect(fb.endpoint).toBe(`http://127.0.0.1:${server.httpPort}/wsman`);
    expect(await fb.enumerateAll(ALL, { wql: "SELECT Name FROM Test_Thing WHERE Name = 'thing-5'" })).toHaveLength(1);
    await fb.close();
    await expect(connectWithFallback(base, true)).rejects.toBeInstanceOf(WsmanTransportError);
    const direct = await connectWithFallback({ ...base, port: server.httpsPort!, tls: { caFile: cert.certFile } }, false);
    expect(direct.endpoint).toBe(`https://127.0.0.1:${server.httpsPort}/wsman`);
    await direct.close();
  });
});

describe('enumeration context expiry', () => {
  let short: WsmanServerHandle;
  beforeAll(async () => {
    short = await startWsmanServer({
      backend: testBackend({ count: 30 }),
      users: USERS,
      http: { port: 0 },
      maxBatchItems: 5,
      enumerationTimeoutMs: 1500,
    });
  });
  afterAll(async () => short?.close());

  it('a context idle past EnumerationTimeoutms -> WsmanEnumerationContextError; used contexts are single-use', async () => {
    const c = new WsmanClient({
      host: '127.0.0.1',
      port: short.httpPort!,
      scheme: 'http',
      auth: 'ntlm',
      username: 'collector',
      password: new Secret(USERS['HV01\\collector']),
    });
    let n = 0;
    const e = await (async () => {
      for await (const _ of c.enumerate(ALL, { wql: 'SELECT Name FROM Test_Thing' })) {
        if (++n === 5) await new Promise((r) => setTimeout(r, 4000));
      }
    })().catch((x) => x);
    expect(n).toBe(5);
    expect(e).toBeInstanceOf(WsmanEnumerationContextError);
    expect(e.fault.wsmanFaultCode).toBe(2150858779);
    // Without pauses the whole set arrives.
    expect(await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' })).toHaveLength(30);
    await c.close();
  });
});

describe('enumerateAll restarts once after an expired context', () => {
  let srv: WsmanServerHandle;
  let calls = 0;
  beforeAll(async () => {
    const base = testBackend({ count: 12 });
    srv = await startWsmanServer({
      backend: {
        ...base,
        enumerate: (req) => {
          // The first enumeration's context expires right after its first batch is sent.
          if (++calls === 1) setImmediate(() => srv.expireEnumerations());
          return base.enumerate(req);
        },
      },
      users: USERS,
      http: { port: 0 },
      maxBatchItems: 5,
    });
  });
  afterAll(async () => srv?.close());

  it('returns every item exactly once, from the second enumeration', async () => {
    const c = new WsmanClient({
      host: '127.0.0.1',
      port: srv.httpPort!,
      scheme: 'http',
      auth: 'ntlm',
      username: 'collector',
      password: new Secret(USERS['HV01\\collector']),
    });
    const items = await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' });
    expect(items.map((x) => x.properties.Name)).toEqual(Array.from({ length: 12 }, (_, i) => `thing-${i}`));
    expect(calls).toBe(2);
    await c.close();
  });
});

describe('timeouts', () => {
  let slow: WsmanServerHandle;
  beforeAll(async () => {
    const base = testBackend({ count: 3 });
    slow = await startWsmanServer({
      backend: {
        ...base,
        enumerate: async (req) => {
          if (req.filter?.text.includes('SLOW')) await new Promise((r) => setTimeout(r, 4000));
          return base.enumerate({ ...req, filter: req.filter && { ...req.filter, text: req.filter.text.replace(' SLOW', '') } });
        },
      },
      users: USERS,
      http: { port: 0 },
    });
  });
  afterAll(async () => slow?.close());

  const slowClient = (over: Partial<WsmanClientOptions>) =>
    new WsmanClient({
      host: '127.0.0.1',
      port: slow.httpPort!,
      scheme: 'http',
      auth: 'ntlm',
      username: 'HV01\\collector',
      password: new Secret(USERS['HV01\\collector']),
      ...over,
    });

  it('the host answers w:TimedOut past OperationTimeout -> WsmanTimeoutError carrying the fault', async () => {
    const c = slowClient({ operationTimeoutSec: 1, timeoutMs: 20_000 });
    const e = await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing SLOW' }).catch((x) => x);
    expect(e).toBeInstanceOf(WsmanTimeoutError);
    expect(e.fault?.wsmanFaultCode).toBe(2150858793);
    expect(await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' })).toHaveLength(3);
    await c.close();
  });

  it('no answer within timeoutMs -> WsmanTimeoutError; the next request works on a new connection', async () => {
    const c = slowClient({ operationTimeoutSec: 60, timeoutMs: 1500 });
    const e = await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing SLOW' }).catch((x) => x);
    expect(e).toBeInstanceOf(WsmanTimeoutError);
    expect(e.fault).toBeNull();
    expect(e.message).toContain('no answer within 1500 ms');
    expect(await c.enumerateAll(ALL, { wql: 'SELECT Name FROM Test_Thing' })).toHaveLength(3);
    await c.close();
  });
});
