// A hostile WinRM listener on 127.0.0.1. HTTPS (Basic accepted without a look) for the floods, so the reply
// reaches the client's byte cap and XML reader; HTTP with a real NTLM challenge for the garbage multipart,
// so the client gets as far as decrypting a sealed reply.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomBytes } from 'node:crypto';
import { selfSignedCertificate } from '../../../common/self-signed-certificate.js';
import { NtlmServerContext } from '../../../lab/wsman-server/ntlm-acceptor.js';
import { pump, SentMeter, withBody } from './pump.js';

export type WinrmMode =
  /** A complete reply of `<a/>` elements, under the byte cap but far over the element cap. */
  | 'flood'
  /** A chunked body with no end in sight (1.5 GB announced by nothing; our budget stops it). */
  | 'huge'
  /** NTLM handshake, then `multipart/encrypted` replies of junk (HTTP). */
  | 'multipart'
  /** Headers and the start of a reply, then one byte every 2 s. */
  | 'trickle';

export interface HostileWinrm {
  port: number;
  thumbprint: string;
  meter: SentMeter;
  close(): Promise<void>;
}

const MB = 1024 * 1024;
const ENVELOPE = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body>');
const ENVELOPE_END = Buffer.from('</s:Body></s:Envelope>');

function floodReply(mode: WinrmMode, res: ServerResponse, meter: SentMeter, maxBytes: number): void {
  res.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8', server: 'Microsoft-HTTPAPI/2.0' });
  res.flushHeaders();
  const chunk =
    mode === 'flood' ? Buffer.from('<a/>'.repeat(16_384)) : mode === 'trickle' ? Buffer.from(' ') : Buffer.alloc(64 * 1024, 'x');
  const intervalMs = mode === 'trickle' ? 2000 : 0;
  pump(res, ENVELOPE, { chunk, intervalMs, maxBytes, suffix: ENVELOPE_END }, meter).catch(() => res.destroy());
}

/** NEGOTIATE -> 401 + a genuine CHALLENGE; AUTHENTICATE -> 200 (not checked); anything sealed -> junk multipart. */
function multipartReply(req: IncomingMessage, res: ServerResponse, ntlm: WeakMap<object, NtlmServerContext>, meter: SentMeter): void {
  const token = /^Negotiate\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
  if (token) {
    const raw = Buffer.from(token, 'base64');
    if (raw.length > 12 && raw.readUInt32LE(8) === 1) {
      const ctx = new NtlmServerContext({ computerName: 'HOSTILE', lookup: () => 'x' });
      ntlm.set(req.socket, ctx);
      res.writeHead(401, { 'www-authenticate': `Negotiate ${ctx.challenge(raw).toString('base64')}`, 'content-length': '0' }).end();
      return;
    }
    res.writeHead(200, { 'content-length': '0' }).end();
    return;
  }
  // A sealed request: answer with a multipart/encrypted body that is junk from the boundary on.
  const junk = Buffer.concat([
    Buffer.from(
      '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=999999\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n',
    ),
    randomBytes(256 * 1024),
    Buffer.from('\r\n--Encrypted Boundary--\r\n'),
  ]);
  meter.bodies++;
  meter.bytes += junk.length;
  res
    .writeHead(200, {
      'content-type': 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"',
      'content-length': String(junk.length),
    })
    .end(junk);
}

export async function startHostileWinrm(mode: WinrmMode, opts: { maxBytes?: number } = {}): Promise<HostileWinrm> {
  const meter = new SentMeter();
  // The flood stays just under the 64 MB byte cap, the worst case for the element cap: all of it is read and parsed.
  const maxBytes = opts.maxBytes ?? (mode === 'flood' ? 63 * MB : 300 * MB);
  const ntlm = new WeakMap<object, NtlmServerContext>();
  let thumbprint = '';
  let server: HttpServer;
  if (mode === 'multipart') {
    server = createHttpServer((req, res) => withBody(req, () => multipartReply(req, res, ntlm, meter)));
  } else {
    const cert = selfSignedCertificate({ commonName: 'hostile-winrm', ipAddresses: ['127.0.0.1'] });
    thumbprint = cert.thumbprint;
    server = createHttpsServer({ cert: cert.cert, key: cert.key }, (req, res) =>
      withBody(req, () => floodReply(mode, res, meter, maxBytes)),
    );
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    thumbprint,
    meter,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
