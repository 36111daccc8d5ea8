import type { ConnectionOptions } from 'node:tls';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';

/**
 * The one factory for outbound HTTP clients that leave the appliance (Azure, the retail price API): HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY as the admin set them (appliances often sit behind a proxy), the given TLS trust on both
 * the proxy tunnel and the request, and a deadline on connect, headers and body.
 */
export function proxyAwareDispatcher(opts: { tls?: ConnectionOptions; timeoutMs?: number } = {}): Dispatcher {
  const tls = opts.tls ?? {};
  const t = opts.timeoutMs;
  return new EnvHttpProxyAgent({
    connect: { ...tls, ...(t === undefined ? {} : { timeout: t }) },
    requestTls: tls,
    ...(t === undefined ? {} : { headersTimeout: t, bodyTimeout: t }),
  });
}
