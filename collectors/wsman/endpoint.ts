// Where a WinRM peer answers and how to open a session to it, from the options every WinRM source shares (Hyper-V
// hosts, Windows servers, Windows guests). Plain option shapes, no configuration types: the protocol stays apart.
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import type { TlsSettings } from '../../common/tls.js';
import type { WsmanClient } from './client.js';
import { connectWithFallback } from './fallback.js';

export interface WinrmOptions {
  transport: 'https' | 'http';
  auth: 'ntlm' | 'basic';
  username: string;
  tls: TlsSettings;
  timeoutSec: number;
  httpsOnly?: boolean;
  allowHttpFallback?: boolean;
  /** Caps on one reply (the source's limits: maxResponseMB, maxElements). */
  limits?: { maxResponseMB: number; maxElements: number };
}

export interface WinrmAddress {
  address: string;
  httpsPort: number;
  httpPort: number;
}

/**
 * Whether a peer may be reached over HTTP 5985 when HTTPS 5986 does not answer. A source that pins a thumbprint or
 * names a CA file asked for a verified peer: falling back would send the account name and an NTLM response to a
 * server nobody authenticated, so TLS settings mean HTTPS only unless allowHttpFallback says otherwise.
 */
export function httpsOnlyFor(o: Pick<WinrmOptions, 'transport' | 'tls' | 'httpsOnly' | 'allowHttpFallback'>): boolean {
  if (o.httpsOnly) return true;
  if (o.transport !== 'https') return false;
  const pinned = Boolean(o.tls?.caFile || o.tls?.thumbprint);
  return pinned && o.allowHttpFallback !== true;
}

/** One keep-alive session to the peer: HTTPS (falling back to HTTP with NTLM sealing only where allowed) or HTTP. */
export function openWinrm(where: WinrmAddress, o: WinrmOptions, password: Secret, log?: Logger): Promise<WsmanClient> {
  const https = o.transport === 'https';
  return connectWithFallback(
    {
      host: where.address,
      port: https ? where.httpsPort : where.httpPort,
      httpPort: where.httpPort,
      scheme: o.transport,
      auth: https ? o.auth : 'ntlm',
      username: o.username,
      password,
      tls: o.tls,
      timeoutMs: o.timeoutSec * 1000,
      operationTimeoutSec: Math.max(5, o.timeoutSec - 5),
      ...(o.limits ? { limits: { maxBytes: o.limits.maxResponseMB * 1024 * 1024, maxElements: o.limits.maxElements } } : {}),
      ...(log ? { log } : {}),
    },
    httpsOnlyFor(o),
  );
}
