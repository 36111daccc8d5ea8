// A hostile WinRM peer on loopback: a reply that never ends, or a flood of small elements. The client
// must stop at its caps with a typed error while the reply streams in, not read it whole (issue 10).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../common/secret-value.js';
import { WsmanClient, WsmanLimitError, wmiResourceUri } from '../../../collectors/wsman/index.js';
import { makeCert, type TestCert } from './helpers.js';

const MB = 1024 * 1024;
type Mode = 'endless' | 'declared' | 'elements';
let cert: TestCert;
let server: https.Server;
let port = 0;
let mode: Mode = 'endless';
let sentBytes = 0;

/** Writes until the client goes away, honouring back-pressure (a peer that never ends its reply). */
function pour(res: import('node:http').ServerResponse, head: string, unit: string): void {
  const block = Buffer.from(unit.repeat(Math.ceil((256 * 1024) / unit.length)));
  res.write(head);
  const more = () => {
    while (!res.destroyed) {
      sentBytes += block.length;
      if (!res.write(block)) return void res.once('drain', more);
    }
  };
  res.on('close', () => res.off('drain', more));
  more();
}

beforeAll(async () => {
  cert = makeCert();
  server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const envelope =
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><n:EnumerateResponse xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><n:Items>';
      if (mode === 'declared') {
        res.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': String(10 * 1024 * MB) });
        res.write(envelope);
        return; // announces 10 GB, sends nothing more: the client must not wait for it
      }
      res.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8' });
      if (mode === 'endless') pour(res, envelope, '<a>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</a>');
      else res.end(`${envelope}${'<a/>'.repeat(50_000)}</n:Items></n:EnumerateResponse></s:Body></s:Envelope>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cert.cleanup();
});

function client(limits: ConstructorParameters<typeof WsmanClient>[0]['limits'] = {}): WsmanClient {
  return new WsmanClient({
    host: '127.0.0.1',
    port,
    scheme: 'https',
    auth: 'basic',
    username: 'collector',
    password: new Secret('pw'),
    tls: { thumbprint: cert.thumbprint },
    timeoutMs: 60_000,
    limits,
  });
}

async function failure(c: WsmanClient): Promise<WsmanLimitError> {
  const e = await c.enumerateAll(wmiResourceUri('root/test'), { wql: 'SELECT * FROM Test_Thing' }).catch((x: unknown) => x);
  await c.close();
  if (!(e instanceof WsmanLimitError)) throw new Error(`expected WsmanLimitError, got ${String(e)}`);
  return e;
}

describe('WS-Man client caps', () => {
  it('an endless reply fails at the byte cap while it streams, with RSS bounded', async () => {
    mode = 'endless';
    sentBytes = 0;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 20);
    const e = await failure(client({ maxBytes: 32 * MB })).finally(() => clearInterval(sampler));
    expect(e.message).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/wsman: the reply is larger than 32 MB$/);
    expect([e.limit, e.value, e.code]).toEqual(['maxBytes', 32 * MB, 'WSMAN_LIMIT']);
    expect(e.fix).toMatch(/maxBytes/);
    // The server poured until the client hung up: a little past the cap (socket buffers), not forever.
    expect(sentBytes).toBeGreaterThan(32 * MB);
    expect(sentBytes).toBeLessThan(48 * MB);
    expect((rssPeak - rssBefore) / MB).toBeLessThan(150);
  }, 60_000);

  it('the default cap (64 MB) applies when none is set', async () => {
    mode = 'endless';
    sentBytes = 0;
    const e = await failure(client());
    expect(e.message).toMatch(/the reply is larger than 64 MB$/);
    expect(sentBytes).toBeLessThan(80 * MB);
  }, 60_000);

  it('a Content-Length past the cap is refused before the body is read', async () => {
    mode = 'declared';
    const started = Date.now();
    const e = await failure(client({ maxBytes: 1 * MB }));
    expect(e.message).toMatch(/the reply is larger than 1 MB$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a flood of small elements within the byte cap fails at the element cap', async () => {
    mode = 'elements';
    const e = await failure(client({ maxElements: 10_000 }));
    expect(e.message).toMatch(/the reply exceeded 10,000 elements$/);
    expect([e.limit, e.value]).toEqual(['maxElements', 10_000]);
  });
});
