// HTTPS for the lab vCenter: POST /sdk carries SOAP, GET /sdk/vimServiceVersions.xml and
// /sdk/vimService.wsdl describe the API. Responses stream in ~64 KB chunks with back-pressure.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../common/log.js';
import type { Body, LabState } from './methods.js';
import { SESSION_COOKIE } from './sessions.js';
import { VimFault, clientFaultXml, faultXml, faults, responseEnd, responseStart, serviceVersionsXml, serviceWsdl } from './soap.js';
import { SaxReader, TreeBuilder, XmlLimitError, XmlRejected, child, kids, type XmlNode } from '../../common/xml/reader.js';

export interface ServerKnobs {
  /** Delay before every SOAP call is answered (a slow vCenter). */
  delayMs: number;
  /** Faults to answer instead of the next calls of a method. */
  injected: Map<string, VimFault[]>;
  /** Calls per method, for tests that check what a client did. */
  calls: Map<string, number>;
}

const CHUNK = 64 * 1024;
/** Requests larger than this are refused: the real subset clients send is far smaller. */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** Parses the request as it arrives, under the reader's caps (bytes, depth, elements, text; no DOCTYPE). */
async function readEnvelope(req: IncomingMessage): Promise<XmlNode> {
  const tree = new TreeBuilder();
  const reader = new SaxReader(tree, { maxBytes: MAX_REQUEST_BYTES, subject: 'the request' });
  let failure: unknown = null;
  for await (const chunk of req) {
    // After a refusal the rest is read and dropped so the fault reaches the client; past the byte cap it is not.
    if (failure) continue;
    try {
      reader.write(chunk as Buffer);
    } catch (err) {
      failure = err;
      if (err instanceof XmlLimitError && err.limit === 'maxBytes') break;
    }
  }
  if (failure) throw failure;
  reader.end();
  if (!tree.root) throw new XmlRejected('the request holds no XML element', 'empty');
  return tree.root;
}

/** The client fault for a refused request, in the words the lab has always used. */
function refusal(err: XmlRejected): { status: number; text: string } {
  if (err.reason === 'doctype') return { status: 500, text: 'DOCTYPE is not allowed in a SOAP request' };
  if (err instanceof XmlLimitError && err.limit === 'maxBytes')
    return { status: 413, text: `request larger than ${MAX_REQUEST_BYTES} bytes` };
  return { status: 500, text: err.message };
}

/** Waits until the socket takes more data (or the client went away), leaving no listener behind. */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function writeStreamed(res: ServerResponse, parts: Iterable<string>): Promise<void> {
  let buf = '';
  for (const p of parts) {
    buf += p;
    if (buf.length >= CHUNK) {
      const ok = res.write(buf);
      buf = '';
      if (!ok) await drainOrClose(res);
      if (res.destroyed) return;
    }
  }
  res.end(buf);
}

function send(res: ServerResponse, status: number, text: string, contentType = 'text/xml; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function createLabServer(opts: {
  cert: string;
  key: string;
  state: LabState;
  knobs: ServerKnobs;
  log: Logger;
  url: () => string;
}): https.Server {
  const { state, knobs, log } = opts;

  async function soap(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let method = 'unknown';
    try {
      let envelope: XmlNode;
      try {
        envelope = await readEnvelope(req);
      } catch (err) {
        if (!(err instanceof XmlRejected)) throw err;
        const { status, text } = refusal(err);
        return send(res, status, clientFaultXml(text));
      }
      const bodyEl = envelope.name === 'Envelope' ? child(envelope, 'Body') : null;
      const call = kids(bodyEl)[0];
      if (!call) return send(res, 500, clientFaultXml('not a SOAP 1.1 envelope with a Body'));
      method = call.name;
      knobs.calls.set(method, (knobs.calls.get(method) ?? 0) + 1);
      if (knobs.delayMs > 0) await new Promise((r) => setTimeout(r, knobs.delayMs));
      const thisEl = child(call, '_this');
      const self = { type: thisEl?.refType ?? '', value: thisEl?.text.trim() ?? '' };
      if (!self.type || !self.value) throw faults.invalidRequest(`${method}: the _this managed object reference is missing`);
      const queued = knobs.injected.get(method);
      const injected = queued?.shift();
      if (injected) throw injected;
      const ctx = {
        body: call,
        this: self,
        session: state.sessions.fromCookieHeader(req.headers.cookie),
        ipAddress: req.socket.remoteAddress ?? '',
        userAgent: req.headers['user-agent'] ?? '',
        setCookie: undefined as string | undefined,
      };
      const body: Body = state.dispatch(method, ctx);
      log.debug({ method, user: ctx.session?.userName }, 'lab vcenter call');
      const headers: Record<string, string> = { 'Content-Type': 'text/xml; charset=utf-8' };
      if (ctx.setCookie) headers['Set-Cookie'] = `${SESSION_COOKIE}="${ctx.setCookie}"; Path=/; HttpOnly; Secure;`;
      if (typeof body === 'string') {
        const out = responseStart(method) + body + responseEnd(method);
        headers['Content-Length'] = String(Buffer.byteLength(out));
        res.writeHead(200, headers);
        res.end(out);
        return;
      }
      res.writeHead(200, headers);
      await writeStreamed(
        res,
        (function* () {
          yield responseStart(method);
          yield* body;
          yield responseEnd(method);
        })(),
      );
    } catch (err) {
      if (err instanceof VimFault) {
        log.debug({ method, fault: err.faultName }, 'lab vcenter fault');
        return send(res, 500, faultXml(err));
      }
      log.error({ method, err: (err as Error).message }, 'lab vcenter internal error');
      if (!res.headersSent)
        send(
          res,
          500,
          faultXml(new VimFault('SystemError', `lab vCenter internal error: ${(err as Error).message}`, '<reason>internal error</reason>')),
        );
      else res.destroy();
    }
  }

  return https.createServer({ cert: opts.cert, key: opts.key, keepAliveTimeout: 60_000 }, (req, res) => {
    const path = (req.url ?? '/').replace(/\?.*$/s, '').replace(/\/+$/, '');
    if (req.method === 'POST' && (path === '/sdk' || path === '/sdk/vimService')) {
      soap(req, res).catch((err) => {
        log.error({ err: (err as Error).message }, 'lab vcenter request failed');
        res.destroy();
      });
      return;
    }
    if (req.method === 'GET' && path === '/sdk/vimServiceVersions.xml') return send(res, 200, serviceVersionsXml());
    if (req.method === 'GET' && path === '/sdk/vimService.wsdl') return send(res, 200, serviceWsdl(opts.url()));
    req.resume();
    send(
      res,
      404,
      'Not found: the lab vCenter serves POST /sdk, GET /sdk/vimServiceVersions.xml and /sdk/vimService.wsdl.\n',
      'text/plain; charset=utf-8',
    );
  });
}
