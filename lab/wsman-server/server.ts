// WinRM-like listeners for the simulator: HTTP (5985-style, NTLM inside Negotiate with SPNEGO message
// encryption; plaintext refused with HTTP 500 unless allowUnencrypted) and HTTPS (NTLM and/or Basic).
// NTLM state lives per socket, as on Windows; idle connections are kept >= 120 s.
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { channelBindingHash } from '../../collectors/wsman/ntlm/cbt.js';
import { makeHandler } from './connection.js';
import type { ServerContext } from './context.js';
import { Dispatcher } from './dispatch.js';
import type { Listener } from './respond.js';
import type { WsmanServerHandle, WsmanServerOptions, WsmanServerStats } from './types.js';

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

function newStats(): WsmanServerStats {
  return {
    requests: 0,
    authentications: 0,
    authFailures: 0,
    channelBound: 0,
    connections: 0,
    openContexts: 0,
    faults: 0,
    plaintextRefused: 0,
  };
}

/** Servers and open sockets of one simulator, so the handle can drop or close them all. */
interface Sockets {
  servers: http.Server[];
  sockets: Set<Socket>;
}

function track(pool: Sockets, stats: WsmanServerStats, server: http.Server, secure: boolean): void {
  // Idle connections are kept >= 120 s, as WinRM does; a request has no overall timeout.
  server.keepAliveTimeout = 180_000;
  server.headersTimeout = 185_000;
  server.requestTimeout = 0;
  const onConn = (s: Socket) => {
    stats.connections++;
    pool.sockets.add(s);
    s.on('close', () => pool.sockets.delete(s));
  };
  // For HTTPS the TLS socket is the one requests carry (req.socket), so NTLM state keys on it.
  server.on(secure ? 'secureConnection' : 'connection', onConn);
  pool.servers.push(server);
}

async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function makeHandle(ctx: ServerContext, pool: Sockets): WsmanServerHandle {
  return {
    stats: () => ({ ...ctx.stats, openContexts: ctx.dispatcher.table.size }),
    dropConnections: () => {
      for (const s of pool.sockets) s.destroy();
    },
    expireEnumerations: () => ctx.dispatcher.table.expireAll(),
    forgetAuthentication: () => {
      for (const s of pool.sockets) ctx.states.delete(s);
    },
    close: async () => {
      ctx.dispatcher.close();
      for (const s of pool.servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      for (const s of pool.sockets) s.destroy();
    },
  };
}

/** Starts the configured listeners, recording their ports on the handle. */
async function startListeners(opts: WsmanServerOptions, ctx: ServerContext, pool: Sockets, out: WsmanServerHandle): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  if (opts.http) {
    const allow = opts.http.allowUnencrypted === true;
    const l: Listener = { name: 'http', ntlm: true, basic: allow && opts.http.basic === true, plaintext: allow };
    const server = http.createServer(makeHandler(ctx, l));
    track(pool, ctx.stats, server, false);
    out.httpPort = await listen(server, opts.http.port, host);
  }
  if (opts.https) {
    const l: Listener = {
      name: 'https',
      ntlm: opts.https.ntlm !== false,
      basic: opts.https.basic === true,
      plaintext: true,
      channelBinding: channelBindingHash(Buffer.from(new X509Certificate(opts.https.cert).raw)),
    };
    const server = https.createServer({ cert: opts.https.cert, key: opts.https.key }, makeHandler(ctx, l));
    track(pool, ctx.stats, server, true);
    out.httpsPort = await listen(server, opts.https.port, host);
  }
}

export async function startWsmanServer(opts: WsmanServerOptions): Promise<WsmanServerHandle> {
  if (!opts.http && !opts.https) throw new Error('startWsmanServer: configure http, https or both');
  const computerName = opts.computerName ?? 'WSMANSIM';
  const dispatcher = new Dispatcher({
    backend: opts.backend,
    enumerationTimeoutMs: opts.enumerationTimeoutMs ?? 60_000,
    maxBatchItems: opts.maxBatchItems ?? 32_000,
    maxEnvelopeSize: opts.maxEnvelopeSize ?? 512_000,
    computerName,
    log: opts.log,
  });
  const ctx: ServerContext = {
    stats: newStats(),
    dispatcher,
    states: new WeakMap(),
    lookup: userLookup(opts.users),
    computerName,
    log: opts.log,
  };
  const pool: Sockets = { servers: [], sockets: new Set() };
  const handle = makeHandle(ctx, pool);
  try {
    await startListeners(opts, ctx, pool, handle);
  } catch (e) {
    await handle.close();
    throw e;
  }
  return handle;
}
