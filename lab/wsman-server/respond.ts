// Response writing for the WS-Man listeners: every reply carries the HTTP.sys Server header a real host sends.
import type { ServerResponse } from 'node:http';
import { ENCRYPTED_CONTENT_TYPE, encryptMessage } from '../../collectors/wsman/encryption.js';
import type { NtlmSession } from '../../collectors/wsman/ntlm/session.js';
import type { NtlmServerContext } from './ntlm-acceptor.js';
import type { Dispatcher } from './dispatch.js';
import type { WsmanServerStats } from './types.js';

export const SERVER_HEADER = 'Microsoft-HTTPAPI/2.0';
const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';

export interface Listener {
  name: 'http' | 'https';
  ntlm: boolean;
  basic: boolean;
  /** Plain SOAP accepted (HTTPS, or HTTP with allowUnencrypted). */
  plaintext: boolean;
  channelBinding?: Buffer;
}

/** NTLM state of one connection (per socket, as on Windows). */
export interface ConnState {
  ntlm?: NtlmServerContext;
  session?: NtlmSession;
  /** Account authenticated on this connection by NTLM. */
  user?: string;
}

/** The schemes a listener offers in WWW-Authenticate. */
function offers(l: Listener): string[] {
  const list: string[] = [];
  if (l.ntlm) list.push('Negotiate');
  if (l.basic) list.push('Basic realm="WSMAN"');
  return list;
}

/** A 401: the listener's schemes, or (mid-handshake) the server's Negotiate token. */
export function unauthorized(res: ServerResponse, l: Listener, extra: Record<string, string> = {}, token?: string): void {
  res.writeHead(401, {
    Server: SERVER_HEADER,
    'WWW-Authenticate': token ? [`Negotiate ${token}`] : offers(l),
    'Content-Length': '0',
    ...extra,
  });
  res.end();
}

/** An empty-bodied reply with the given status. */
export function emptyReply(res: ServerResponse, status: number): void {
  res.writeHead(status, { Server: SERVER_HEADER, 'Content-Length': '0' });
  res.end();
}

export function refusePlaintext(res: ServerResponse, stats: WsmanServerStats): void {
  // Windows with AllowUnencrypted=false answers unencrypted SOAP over HTTP with a bare 500.
  stats.plaintextRefused++;
  emptyReply(res, 500);
}

/** Dispatches one SOAP request and writes the reply, sealed with the connection's session when asked. */
export async function answer(
  res: ServerResponse,
  dispatcher: Dispatcher,
  stats: WsmanServerStats,
  state: ConnState | null,
  soap: string,
  user: string,
  sealed: boolean,
): Promise<void> {
  const r = await dispatcher.handle(soap, user);
  if (r.fault) stats.faults++;
  const plain = Buffer.from(r.xml, 'utf8');
  if (sealed && state?.session) {
    const body = encryptMessage(state.session, plain);
    res.writeHead(r.status, { Server: SERVER_HEADER, 'Content-Type': ENCRYPTED_CONTENT_TYPE, 'Content-Length': String(body.length) });
    res.end(body);
    return;
  }
  res.writeHead(r.status, { Server: SERVER_HEADER, 'Content-Type': SOAP_CONTENT_TYPE, 'Content-Length': String(plain.length) });
  res.end(plain);
}
