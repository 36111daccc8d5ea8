// The server's WS-Man semantics seen from raw HTTP (Basic over HTTPS keeps the requests readable):
// header checks, batching by MaxEnvelopeSize, single-use contexts, non-optimized Enumerate,
// UTF-16 requests, the 401 offers and the refusal of the NTLM scheme name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'undici';
import { wmiResourceUri } from '../../../collectors/wsman/index.js';
import { startWsmanServer, WsmanServerFault, type WsmanServerHandle } from '../../../lab/wsman-server/index.js';
import { parseXml, path, children, child, kids } from '../../../common/xml/reader.js';
import { makeCert, testBackend, TEST_NS, type TestCert } from '../../collectors/wsman/helpers.js';

const USERS = { admin: 'admin-pw' };
const BASIC = `Basic ${Buffer.from('admin:admin-pw').toString('base64')}`;
const URI = wmiResourceUri(TEST_NS);
let cert: TestCert;
let server: WsmanServerHandle;
let https: Client;
let http: Client;

beforeAll(async () => {
  cert = makeCert();
  const base = testBackend({ count: 40 });
  server = await startWsmanServer({
    backend: {
      ...base,
      // One class whose single item can never fit a small envelope.
      enumerate: (req) =>
        req.filter?.text.includes('Huge')
          ? [
              {
                className: 'Huge',
                namespaceUri: 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test',
                fragment: false,
                properties: { Blob: 'x'.repeat(20_000) },
              },
            ]
          : base.enumerate(req),
    },
    users: USERS,
    http: { port: 0 },
    https: { port: 0, cert: cert.cert, key: cert.key, basic: true },
  });
  https = new Client(`https://127.0.0.1:${server.httpsPort}`, { connect: { rejectUnauthorized: false } });
  http = new Client(`http://127.0.0.1:${server.httpPort}`);
});

afterAll(async () => {
  await https?.close();
  await http?.close();
  await server?.close();
  cert?.cleanup();
});

let seq = 0;
function env(
  action: string,
  body: string,
  opts: { messageId?: string | null; maxEnvelopeSize?: number; localeMustUnderstand?: string } = {},
): string {
  const mid = opts.messageId === undefined ? `uuid:00000000-0000-0000-0000-${String(++seq).padStart(12, '0')}` : opts.messageId;
  return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:To>https://x/wsman</a:To><w:ResourceURI s:mustUnderstand="true">${URI}</w:ResourceURI><a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">${action}</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">${opts.maxEnvelopeSize ?? 512000}</w:MaxEnvelopeSize>${mid === null ? '' : `<a:MessageID>${mid}</a:MessageID>`}<w:Locale xml:lang="en-US" s:mustUnderstand="${opts.localeMustUnderstand ?? 'false'}"/></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}
const ENUM = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate';
const PULL = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull';
const RELEASE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release';
const enumBody = (wql: string, max?: number, optimize = true) =>
  `<n:Enumerate>${optimize ? '<w:OptimizeEnumeration/>' : ''}${max ? `<w:MaxElements>${max}</w:MaxElements>` : ''}<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">${wql}</w:Filter></n:Enumerate>`;
const pullBody = (ctx: string, max: number) =>
  `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>${max}</n:MaxElements></n:Pull>`;

async function post(xml: string | Buffer, headers: Record<string, string> = {}, client = https) {
  const res = await client.request({
    path: '/wsman',
    method: 'POST',
    body: xml,
    headers: { authorization: BASIC, 'content-type': 'application/soap+xml;charset=UTF-8', ...headers },
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, bytes: Buffer.byteLength(text) };
}

function subcode(text: string): string | undefined {
  return path(parseXml(text), 'Body', 'Fault', 'Code', 'Subcode', 'Value')?.text;
}

describe('WS-Man server protocol', () => {
  it('refuses requests without MessageID, with MaxEnvelopeSize < 8192, with Locale mustUnderstand=true, or an unknown Action', async () => {
    const a = await post(env(ENUM, enumBody('SELECT * FROM Test_Thing'), { messageId: null }));
    expect([a.status, subcode(a.text)]).toEqual([500, 'a:InvalidMessageInformationHeader']);
    const b = await post(env(ENUM, enumBody('SELECT * FROM Test_Thing'), { maxEnvelopeSize: 4096 }));
    expect([b.status, subcode(b.text)]).toEqual([500, 'w:EncodingLimit']);
    const c = await post(env(ENUM, enumBody('SELECT * FROM Test_Thing'), { localeMustUnderstand: 'true' }));
    expect(subcode(c.text)).toBe('w:UnsupportedFeature');
    const d = await post(env('http://example.com/Frobnicate', ''));
    expect(subcode(d.text)).toBe('a:ActionNotSupported');
    const e = await post(env(ENUM, enumBody('SELECT * FROM Huge'), { maxEnvelopeSize: 8192 }));
    expect(subcode(e.text)).toBe('w:EncodingLimit');
    // Every fault relates to the request it answers.
    const f = await post(env(ENUM, enumBody('SELECT * FROM Huge'), { maxEnvelopeSize: 8192, messageId: 'uuid:RELATES-HERE' }));
    expect(path(parseXml(f.text), 'Header', 'RelatesTo')?.text).toBe('uuid:RELATES-HERE');
  });

  it('fills batches up to MaxEnvelopeSize, issues a new context per Pull, and refuses a used one', async () => {
    const limit = 9000;
    let r = await post(env(ENUM, enumBody('SELECT * FROM Test_Thing', 1000), { maxEnvelopeSize: limit }));
    expect(r.status).toBe(200);
    let doc = parseXml(r.text);
    let resp = path(doc, 'Body', 'EnumerateResponse')!;
    let names = children(child(resp, 'Items'), 'Test_Thing').map((i) => child(i, 'Name')!.text);
    expect(r.bytes).toBeLessThanOrEqual(limit);
    expect(names.length).toBeGreaterThan(1);
    expect(names.length).toBeLessThan(40);
    let ctx = child(resp, 'EnumerationContext')!.text;
    const used: string[] = [];
    let batches = 1;
    while (ctx) {
      r = await post(env(PULL, pullBody(ctx, 1000), { maxEnvelopeSize: limit }));
      expect(r.status).toBe(200);
      expect(r.bytes).toBeLessThanOrEqual(limit);
      used.push(ctx);
      doc = parseXml(r.text);
      resp = path(doc, 'Body', 'PullResponse')!;
      names = names.concat(children(child(resp, 'Items'), 'Test_Thing').map((i) => child(i, 'Name')!.text));
      const next = child(resp, 'EnumerationContext')?.text ?? '';
      if (next) expect(next).not.toBe(ctx);
      else expect(child(resp, 'EndOfSequence')?.ns).toBe('http://schemas.xmlsoap.org/ws/2004/09/enumeration');
      ctx = next;
      batches++;
    }
    expect(batches).toBeGreaterThan(2);
    expect(names).toEqual(Array.from({ length: 40 }, (_, i) => `thing-${i}`));
    const again = await post(env(PULL, pullBody(used[0]!, 10)));
    expect(subcode(again.text)).toBe('n:InvalidEnumerationContext');
    const rel = await post(env(RELEASE, `<n:Release><n:EnumerationContext>${used[0]}</n:EnumerationContext></n:Release>`));
    expect(subcode(rel.text)).toBe('n:InvalidEnumerationContext');
    expect(server.stats().openContexts).toBe(0);
  });

  it('a non-optimized Enumerate returns only a context; Pull without MaxElements returns one item', async () => {
    const r = await post(env(ENUM, enumBody("SELECT Name FROM Test_Thing WHERE Name = 'thing-3'", undefined, false)));
    const resp = path(parseXml(r.text), 'Body', 'EnumerateResponse')!;
    expect(child(resp, 'Items')).toBeNull();
    const ctx = child(resp, 'EnumerationContext')!.text;
    const p = await post(env(PULL, `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext></n:Pull>`));
    const pr = path(parseXml(p.text), 'Body', 'PullResponse')!;
    expect(kids(child(child(pr, 'Items'), 'XmlFragment')).map((c) => [c.name, c.ns, c.text])).toEqual([['Name', '', 'thing-3']]);
    expect(child(pr, 'EndOfSequence')).not.toBeNull();
    expect(child(pr, 'EnumerationContext')).toBeNull();
  });

  it('accepts UTF-16 requests as Windows clients send them', async () => {
    const xml = env(ENUM, enumBody("SELECT Name FROM Test_Thing WHERE Name = 'thing-1'", 10));
    const r = await post(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]), {
      'content-type': 'application/soap+xml;charset=UTF-16',
    });
    expect(r.status).toBe(200);
    expect(r.text).toContain('<Name>thing-1</Name>');
  });

  it('answers 401 with the schemes each listener offers, and refuses the NTLM scheme name with Connection: close', async () => {
    const r = await post(env(ENUM, enumBody('SELECT * FROM Test_Thing')), { authorization: '' });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
    expect(r.headers.server).toBe('Microsoft-HTTPAPI/2.0');
    const h = await post(env(ENUM, enumBody('SELECT * FROM Test_Thing')), {}, http);
    // Basic is never offered on the HTTP listener without AllowUnencrypted.
    expect([h.status, h.headers['www-authenticate']]).toEqual([401, 'Negotiate']);
    const ntlm = await post('', { authorization: 'NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=' });
    expect(ntlm.status).toBe(401);
    expect(ntlm.headers.connection).toBe('close');
  });

  it('WsmanServerFault carries its kind', () => {
    const f = new WsmanServerFault('QuotaLimit', 'busy');
    expect([f.kind, f.message]).toEqual(['QuotaLimit', 'busy']);
  });
});
