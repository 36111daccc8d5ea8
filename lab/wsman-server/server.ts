// WinRM-like listeners for the simulator: HTTP (5985-style, NTLM inside Negotiate with SPNEGO message
// encryption; plaintext refused with HTTP 500 unless allowUnencrypted) and HTTPS (NTLM and/or Basic).
// NTLM state lives per socket, as on Windows; idle connections are kept >= 120 s.
import { X509Certificate } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  charsetOf,
  decodeSoap,
  decryptMessage,
  encryptMessage,
  ENCRYPTED_CONTENT_TYPE,
  isEncryptedContentType,
} from '../../collectors/wsman/encryption.js';
import { channelBindingHash } from '../../collectors/wsman/ntlm/cbt.js';
import { messageType } from '../../collectors/wsman/ntlm/messages.js';
import { NtlmAuthFailure, NtlmServerContext } from './ntlm-acceptor.js';
import type { NtlmSession } from '../../collectors/wsman/ntlm/session.js';
import { Dispatcher } from './dispatch.js';
import type { WsmanServerHandle, WsmanServerOptions, WsmanServerStats } from './types.js';

const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';
/** Requests past this are refused unread (a real host's MaxEnvelopeSizekb is far below). */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

interface Listener {
  name: 'http' | 'https';
  ntlm: boolean;
  basic: boolean;
  /** Plain SOAP accepted (HTTPS, or HTTP with allowUnencrypted). */
  plaintext: boolean;
  channelBinding?: Buffer;
}

interface ConnState {
  ntlm?: NtlmServerContext;
  session?: NtlmSession;
  /** Account authenticated on this connection by NTLM. */
  user?: string;
}

/** Finds the password for an account as the client names it; see WsmanServerOptions.users. */
export function userLookup(users: Record<string, string>): (user: string, domain: string) => string | undefined {
  const entries = Object.entries(users).map(([k, pw]) => {
    const i = k.indexOf('\\');
    return { domain: i < 0 ? null : k.slice(0, i).toLowerCase(), user: (i < 0 ? k : k.slice(i + 1)).toLowerCase(), pw };
  });
  return (user, domain) => {
    const u = user.toLowerCase();
    const d = domain.toLowerCase();
    // An exact DOMAIN\user entry first, then a user entry without a domain; a client that sends no
    // domain means the local machine, so it matches the user under any domain.
    return (
      entries.find((e) => e.user === u && e.domain === d) ??
      entries.find((e) => e.user === u && e.domain === null) ??
      (d === '' ? entries.find((e) => e.user === u) : undefined)
    )?.pw;
  };
}

export async function startWsmanServer(opts: WsmanServerOptions): Promise<WsmanServerHandle> {
  if (!opts.http && !opts.https) throw new Error('startWsmanServer: configure http, https or both');
  const host = opts.host ?? '127.0.0.1';
  const computerName = opts.computerName ?? 'WSMANSIM';
  const lookup = userLookup(opts.users);
  const stats: WsmanServerStats = {
    requests: 0,
    authentications: 0,
    authFailures: 0,
    channelBound: 0,
    connections: 0,
    openContexts: 0,
    faults: 0,
    plaintextRefused: 0,
  };
  const dispatcher = new Dispatcher({
    backend: opts.backend,
    enumerationTimeoutMs: opts.enumerationTimeoutMs ?? 60_000,
    maxBatchItems: opts.maxBatchItems ?? 32_000,
    maxEnvelopeSize: opts.maxEnvelopeSize ?? 512_000,
    computerName,
    log: opts.log,
  });
  const states = new WeakMap<Socket, ConnState>();
  const log = opts.log;

  function offers(l: Listener): string[] {
    const list: string[] = [];
    if (l.ntlm) list.push('Negotiate');
    if (l.basic) list.push('Basic realm="WSMAN"');
    return list;
  }

  function unauthorized(res: ServerResponse, l: Listener, extra: Record<string, string> = {}, token?: string): void {
    res.writeHead(401, {
      Server: 'Microsoft-HTTPAPI/2.0',
      'WWW-Authenticate': token ? [`Negotiate ${token}`] : offers(l),
      'Content-Length': '0',
      ...extra,
    });
    res.end();
  }

  async function answer(res: ServerResponse, state: ConnState | null, soap: string, user: string, sealed: boolean): Promise<void> {
    const r = await dispatcher.handle(soap, user);
    if (r.fault) stats.faults++;
    const plain = Buffer.from(r.xml, 'utf8');
    if (sealed && state?.session) {
      const body = encryptMessage(state.session, plain);
      res.writeHead(r.status, {
        Server: 'Microsoft-HTTPAPI/2.0',
        'Content-Type': ENCRYPTED_CONTENT_TYPE,
        'Content-Length': String(body.length),
      });
      res.end(body);
      return;
    }
    res.writeHead(r.status, { Server: 'Microsoft-HTTPAPI/2.0', 'Content-Type': SOAP_CONTENT_TYPE, 'Content-Length': String(plain.length) });
    res.end(plain);
  }

  function refusePlaintext(res: ServerResponse): void {
    // Windows with AllowUnencrypted=false answers unencrypted SOAP over HTTP with a bare 500.
    stats.plaintextRefused++;
    res.writeHead(500, { Server: 'Microsoft-HTTPAPI/2.0', 'Content-Length': '0' });
    res.end();
  }

  async function handle(l: Listener, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    stats.requests++;
    if (req.method !== 'POST' || (req.url ?? '').replace(/\?.*$/s, '').toLowerCase() !== '/wsman') {
      res.writeHead(404, { Server: 'Microsoft-HTTPAPI/2.0', 'Content-Length': '0' });
      res.end();
      return;
    }
    let state = states.get(req.socket);
    if (!state) {
      state = {};
      states.set(req.socket, state);
    }
    const contentType = req.headers['content-type'];
    const authz = req.headers.authorization;
    if (authz) {
      const m = /^(\S+)\s*(.*)$/.exec(authz.trim());
      const scheme = (m?.[1] ?? '').toLowerCase();
      const token = m?.[2] ?? '';
      if (scheme === 'negotiate' && l.ntlm) {
        const raw = Buffer.from(token, 'base64');
        const type = messageType(raw);
        if (type === 1) {
          state.session = undefined;
          state.user = undefined;
          state.ntlm = new NtlmServerContext({ computerName, lookup, channelBinding: l.channelBinding });
          unauthorized(res, l, {}, state.ntlm.challenge(raw).toString('base64'));
          return;
        }
        if (type === 3 && state.ntlm) {
          try {
            const ok = state.ntlm.authenticate(raw);
            state.session = ok.session;
            state.user = ok.account;
            state.ntlm = undefined;
            stats.authentications++;
            if (ok.channelBound) stats.channelBound++;
          } catch (e) {
            stats.authFailures++;
            state.ntlm = undefined;
            log?.debug({ err: (e as Error).message }, 'WS-Man server: NTLM authentication failed');
            if (!(e instanceof NtlmAuthFailure)) log?.warn({ err: e }, 'WS-Man server: malformed NTLM message');
            unauthorized(res, l);
            return;
          }
          // The third leg may carry the first request (HTTPS, or HTTP with allowUnencrypted).
          return serveAuthenticated(l, state, res, body, contentType);
        }
        stats.authFailures++;
        unauthorized(res, l);
        return;
      }
      if (scheme === 'basic' && l.basic) {
        const decoded = Buffer.from(token, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        const account = i < 0 ? decoded : decoded.slice(0, i);
        const password = i < 0 ? '' : decoded.slice(i + 1);
        const bs = account.indexOf('\\');
        const expected = lookup(bs < 0 ? account : account.slice(bs + 1), bs < 0 ? '' : account.slice(0, bs));
        if (expected === undefined || expected !== password) {
          stats.authFailures++;
          unauthorized(res, l);
          return;
        }
        stats.authentications++;
        if (isEncryptedContentType(contentType)) return refusePlaintext(res);
        return answer(res, null, decodeSoap(body, charsetOf(contentType)), account, false);
      }
      // "NTLM" (curl --ntlm) and anything else: real WinRM re-offers its schemes and closes.
      stats.authFailures++;
      unauthorized(res, l, { Connection: 'close' });
      return;
    }
    if (!state.session || !state.user) {
      unauthorized(res, l);
      return;
    }
    return serveAuthenticated(l, state, res, body, contentType);
  }

  /** A request on an NTLM-authenticated connection: an empty body is the handshake's end, else sealed or (if allowed) plain SOAP. */
  async function serveAuthenticated(
    l: Listener,
    state: ConnState,
    res: ServerResponse,
    body: Buffer,
    contentType: string | undefined,
  ): Promise<void> {
    if (body.length === 0) {
      res.writeHead(200, { Server: 'Microsoft-HTTPAPI/2.0', 'Content-Length': '0' });
      res.end();
      return;
    }
    if (isEncryptedContentType(contentType)) return serveSealed(l, state, res, body);
    if (!l.plaintext) return refusePlaintext(res);
    if (!state.user) return unauthorized(res, l);
    return answer(res, state, decodeSoap(body, charsetOf(contentType)), state.user, false);
  }

  async function serveSealed(l: Listener, state: ConnState, res: ServerResponse, body: Buffer): Promise<void> {
    const { session, user } = state;
    if (!session || !user) return unauthorized(res, l);
    let soap: string;
    try {
      const d = decryptMessage(session, body);
      soap = decodeSoap(d.plaintext, d.charset);
    } catch (e) {
      log?.debug({ err: (e as Error).message }, 'WS-Man server: cannot decrypt a request');
      // A broken seal kills the session; the client must authenticate again.
      state.session = undefined;
      state.user = undefined;
      stats.authFailures++;
      unauthorized(res, l);
      return;
    }
    return answer(res, state, soap, user, true);
  }

  function makeHandler(l: Listener) {
    return (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        // Far above any MaxEnvelopeSize; past it the request is not read further (the reader caps parsing too).
        if (size > MAX_REQUEST_BYTES) {
          if (!res.headersSent) res.writeHead(413, { Server: 'Microsoft-HTTPAPI/2.0', 'Content-Length': '0', Connection: 'close' });
          res.end();
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        handle(l, req, res, Buffer.concat(chunks)).catch((e) => {
          log?.error({ err: e }, 'WS-Man server: request failed');
          if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' });
          res.end();
        });
      });
    };
  }

  const servers: http.Server[] = [];
  const sockets = new Set<Socket>();
  function track(server: http.Server, secure: boolean): void {
    server.keepAliveTimeout = 180_000;
    server.headersTimeout = 185_000;
    server.requestTimeout = 0;
    const onConn = (s: Socket) => {
      stats.connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    };
    // For HTTPS the TLS socket is the one requests carry (req.socket), so NTLM state keys on it.
    server.on(secure ? 'secureConnection' : 'connection', onConn);
    servers.push(server);
  }
  async function listen(server: http.Server, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  const handleOut: WsmanServerHandle = {
    stats: () => ({ ...stats, openContexts: dispatcher.table.size }),
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    expireEnumerations: () => dispatcher.table.expireAll(),
    forgetAuthentication: () => {
      for (const s of sockets) states.delete(s);
    },
    close: async () => {
      dispatcher.close();
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      for (const s of sockets) s.destroy();
    },
  };

  try {
    if (opts.http) {
      const allow = opts.http.allowUnencrypted === true;
      const l: Listener = { name: 'http', ntlm: true, basic: allow && opts.http.basic === true, plaintext: allow };
      const server = http.createServer(makeHandler(l));
      track(server, false);
      handleOut.httpPort = await listen(server, opts.http.port);
    }
    if (opts.https) {
      const l: Listener = {
        name: 'https',
        ntlm: opts.https.ntlm !== false,
        basic: opts.https.basic === true,
        plaintext: true,
        channelBinding: channelBindingHash(Buffer.from(new X509Certificate(opts.https.cert).raw)),
      };
      const server = https.createServer({ cert: opts.https.cert, key: opts.https.key }, makeHandler(l));
      track(server, true);
      handleOut.httpsPort = await listen(server, opts.https.port);
    }
  } catch (e) {
    await handleOut.close();
    throw e;
  }
  return handleOut;
}
