// HTTPS 5986 first; when nothing listens there, HTTP 5985 with NTLM message encryption, unless the
// source says httpsOnly. TLS trust and credential problems are NOT reasons to fall back.
import net from 'node:net';
import { WsmanClient, type WsmanClientOptions } from './client.js';
import { WsmanTransportError } from './errors.js';

const NO_LISTENER = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** Resolves to null when a TCP connection opens, else to the error code. */
function probe(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (code: string | null) => {
      s.destroy();
      resolve(code);
    };
    s.setTimeout(timeoutMs, () => done('ETIMEDOUT'));
    s.once('connect', () => done(null));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'ECONNREFUSED'));
  });
}

export async function connectWithFallback(
  opts: WsmanClientOptions & { /** Port for the HTTP fallback (default 5985). */ httpPort?: number; probeTimeoutMs?: number },
  httpsOnly: boolean,
): Promise<WsmanClient> {
  if (opts.scheme === 'http') return new WsmanClient(opts);
  const code = await probe(opts.host, opts.port, opts.probeTimeoutMs ?? 5000);
  if (code === null || !NO_LISTENER.has(code)) return new WsmanClient(opts);
  const endpoint = `https://${opts.host}:${opts.port}/wsman`;
  if (httpsOnly) {
    throw new WsmanTransportError(
      endpoint,
      `no HTTPS listener (${code}) and httpsOnly is set`,
      'Create an HTTPS listener on the host (winrm quickconfig -transport:https), or allow HTTP 5985 with NTLM message encryption (httpsOnly: false; with tls.caFile or tls.thumbprint also allowHttpFallback: true).',
    );
  }
  if (opts.auth !== 'ntlm') {
    throw new WsmanTransportError(
      endpoint,
      `no HTTPS listener (${code}); Basic authentication cannot fall back to HTTP`,
      'Create an HTTPS listener on the host, or use auth: ntlm (HTTP 5985 with message encryption).',
    );
  }
  const httpPort = opts.httpPort ?? 5985;
  opts.log?.warn(
    { host: opts.host, httpsPort: opts.port, httpPort },
    'WS-Man: no HTTPS listener, falling back to HTTP with NTLM message encryption',
  );
  return new WsmanClient({ ...opts, scheme: 'http', port: httpPort });
}
