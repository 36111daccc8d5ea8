// A hostile "vCenter": a TLS server on 127.0.0.1 that answers every vim25 call (the first is
// RetrieveServiceContent) in one of the ways finding 1 and 2 of issue 10 describe.
import { createServer, type Server } from 'node:https';
import { selfSignedCertificate } from '../../../common/self-signed-certificate.js';
import { pump, SentMeter, withBody } from './pump.js';

export type VimMode =
  /** `<a/>` repeated, as fast as the client reads. */
  | 'flood'
  /** `<a/>` repeated at about 1.3 MB/s. */
  | 'flood-slow'
  /** One text node, as fast as the client reads. */
  | 'text'
  /** Headers and the start of a valid answer, then one byte (a space of its text) every `trickleMs`. */
  | 'trickle'
  /** A body that never ends (text at about 1.3 MB/s, no closing tag). */
  | 'endless';

export interface HostileVim {
  port: number;
  url: string;
  thumbprint: string;
  meter: SentMeter;
  close(): Promise<void>;
}

const PREFIX = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>',
);
const SUFFIX = Buffer.from('</returnval></RetrieveServiceContentResponse></soapenv:Body></soapenv:Envelope>');
const MB = 1024 * 1024;

export async function startHostileVim(mode: VimMode, opts: { maxBytes?: number; trickleMs?: number } = {}): Promise<HostileVim> {
  const cert = selfSignedCertificate({ commonName: 'hostile-vcenter', ipAddresses: ['127.0.0.1'] });
  const meter = new SentMeter();
  const maxBytes = opts.maxBytes ?? 230 * MB;
  const server: Server = createServer({ cert: cert.cert, key: cert.key }, (req, res) =>
    withBody(req, () => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      res.flushHeaders();
      const flood = Buffer.from('<a/>'.repeat(16_384));
      const text = Buffer.alloc(64 * 1024, 'x');
      const run =
        mode === 'flood'
          ? pump(res, PREFIX, { chunk: flood, maxBytes, suffix: SUFFIX }, meter)
          : mode === 'flood-slow'
            ? pump(res, PREFIX, { chunk: flood, intervalMs: 50, maxBytes, suffix: SUFFIX }, meter)
            : mode === 'text'
              ? pump(res, PREFIX, { chunk: text, maxBytes, suffix: SUFFIX }, meter)
              : mode === 'endless'
                ? pump(res, PREFIX, { chunk: text, intervalMs: 50, maxBytes }, meter)
                : pump(res, PREFIX, { chunk: Buffer.from(' '), intervalMs: opts.trickleMs ?? 2000, maxBytes: 1 * MB }, meter);
      run.catch(() => res.destroy());
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `https://127.0.0.1:${port}/sdk`,
    thumbprint: cert.thumbprint,
    meter,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
