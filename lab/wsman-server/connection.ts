// One listener's request path: read the body, route by Authorization header, then serve the SOAP
// request sealed (SPNEGO message encryption) or plain, as the listener allows.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { charsetOf, decodeSoap, decryptMessage, isEncryptedContentType } from '../../collectors/wsman/encryption.js';
import { negotiateStep, serveBasic } from './auth.js';
import type { ServerContext } from './context.js';
import { answer, type ConnState, emptyReply, type Listener, refusePlaintext, SERVER_HEADER, unauthorized } from './respond.js';

/** Requests past this are refused unread (a real host's MaxEnvelopeSizekb is far below). */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** The connection's NTLM state, created on its first request. */
function stateOf(ctx: ServerContext, req: IncomingMessage): ConnState {
  let state = ctx.states.get(req.socket);
  if (!state) {
    state = {};
    ctx.states.set(req.socket, state);
  }
  return state;
}

async function handle(ctx: ServerContext, l: Listener, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  ctx.stats.requests++;
  if (req.method !== 'POST' || (req.url ?? '').replace(/\?.*$/s, '').toLowerCase() !== '/wsman') return emptyReply(res, 404);
  const state = stateOf(ctx, req);
  const contentType = req.headers['content-type'];
  const authz = req.headers.authorization;
  if (authz) {
    const m = /^(\S+)\s*(.*)$/.exec(authz.trim());
    const scheme = (m?.[1] ?? '').toLowerCase();
    const token = m?.[2] ?? '';
    if (scheme === 'negotiate' && l.ntlm) {
      // The third leg may carry the first request (HTTPS, or HTTP with allowUnencrypted).
      if (negotiateStep(ctx, l, state, res, token)) return serveAuthenticated(ctx, l, state, res, body, contentType);
      return;
    }
    if (scheme === 'basic' && l.basic) return serveBasic(ctx, l, req, res, body, token);
    // "NTLM" (curl --ntlm) and anything else: real WinRM re-offers its schemes and closes.
    ctx.stats.authFailures++;
    unauthorized(res, l, { Connection: 'close' });
    return;
  }
  if (!state.session || !state.user) {
    unauthorized(res, l);
    return;
  }
  return serveAuthenticated(ctx, l, state, res, body, contentType);
}

/** A request on an NTLM-authenticated connection: an empty body is the handshake's end, else sealed or (if allowed) plain SOAP. */
async function serveAuthenticated(
  ctx: ServerContext,
  l: Listener,
  state: ConnState,
  res: ServerResponse,
  body: Buffer,
  contentType: string | undefined,
): Promise<void> {
  if (body.length === 0) return emptyReply(res, 200);
  if (isEncryptedContentType(contentType)) return serveSealed(ctx, l, state, res, body);
  if (!l.plaintext) return refusePlaintext(res, ctx.stats);
  if (!state.user) return unauthorized(res, l);
  return answer(res, ctx.dispatcher, ctx.stats, state, decodeSoap(body, charsetOf(contentType)), state.user, false);
}

async function serveSealed(ctx: ServerContext, l: Listener, state: ConnState, res: ServerResponse, body: Buffer): Promise<void> {
  const { session, user } = state;
  if (!session || !user) return unauthorized(res, l);
  let soap: string;
  try {
    const d = decryptMessage(session, body);
    soap = decodeSoap(d.plaintext, d.charset);
  } catch (e) {
    ctx.log?.debug({ err: (e as Error).message }, 'WS-Man server: cannot decrypt a request');
    // A broken seal kills the session; the client must authenticate again.
    state.session = undefined;
    state.user = undefined;
    ctx.stats.authFailures++;
    unauthorized(res, l);
    return;
  }
  return answer(res, ctx.dispatcher, ctx.stats, state, soap, user, true);
}

/** The listener's request handler: buffers the body (bounded), then handles it; a throw becomes a bare 500. */
export function makeHandler(ctx: ServerContext, l: Listener): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Far above any MaxEnvelopeSize; past it the request is not read further (the reader caps parsing too).
      if (size > MAX_REQUEST_BYTES) {
        if (!res.headersSent) res.writeHead(413, { Server: SERVER_HEADER, 'Content-Length': '0', Connection: 'close' });
        res.end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      handle(ctx, l, req, res, Buffer.concat(chunks)).catch((e) => {
        ctx.log?.error({ err: e }, 'WS-Man server: request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' });
        res.end();
      });
    });
  };
}
