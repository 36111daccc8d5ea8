import type { HypervSourceConfig } from '../../config/load.js';

/**
 * Whether a source may fall back from HTTPS 5986 to HTTP 5985. A source that pins a thumbprint or names
 * a CA file asked for a verified peer: falling back would send the account name and an NTLM response to
 * a server nobody authenticated, so TLS settings mean HTTPS only unless allowHttpFallback says otherwise.
 */
export function httpsOnlyFor(cfg: Pick<HypervSourceConfig, 'transport' | 'tls' | 'httpsOnly' | 'allowHttpFallback'>): boolean {
  if (cfg.httpsOnly) return true;
  if (cfg.transport !== 'https') return false;
  const pinned = Boolean(cfg.tls?.caFile || cfg.tls?.thumbprint);
  return pinned && cfg.allowHttpFallback !== true;
}
