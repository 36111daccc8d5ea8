// One Hyper-V host's WS-Man session: where it is (DNS name or the hostMap), which transport, one
// keep-alive client reused across polls, and the fallback from HTTPS 5986 to HTTP 5985 (NTLM with
// message encryption) when nothing listens on 5986, unless httpsOnly is set.
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret.js';
import type { HypervSourceConfig } from '../../config/schema/hyperv.js';
import type { CimReader } from './host-reader.js';
import { WsmanClient, WsmanTimeoutError, WsmanTransportError } from './wsman/index.js';

export interface HostAddress {
  address: string;
  httpsPort: number;
  httpPort: number;
}

/** Resolves a host name through the source's hostMap (case-insensitive), else DNS with the configured ports. */
export function hostAddress(cfg: HypervSourceConfig, name: string): HostAddress {
  const defHttps = cfg.transport === 'https' ? (cfg.port ?? 5986) : 5986;
  const defHttp = cfg.transport === 'http' ? (cfg.port ?? 5985) : 5985;
  const key = Object.keys(cfg.hostMap).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return { address: name, httpsPort: defHttps, httpPort: defHttp };
  const entry = cfg.hostMap[key]!;
  if (typeof entry === 'string') {
    const [address, port] = entry.split(':');
    const p = port ? Number(port) : undefined;
    return { address: address!, httpsPort: cfg.transport === 'https' ? (p ?? defHttps) : defHttps, httpPort: cfg.transport === 'http' ? (p ?? defHttp) : defHttp };
  }
  return { address: entry.address, httpsPort: entry.httpsPort ?? defHttps, httpPort: entry.httpPort ?? defHttp };
}

/** Nothing answered on the HTTPS port: the case where Windows' HTTP listener may still be there. */
function isUnreachable(err: unknown): boolean {
  if (err instanceof WsmanTimeoutError && !err.fault) return true;
  if (!(err instanceof WsmanTransportError)) return false;
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EHOSTUNREACH';
}

export class HostSession {
  private client: WsmanClient | null = null;
  private scheme: 'https' | 'http';
  private fellBack = false;
  requests = 0;

  constructor(
    readonly name: string,
    private readonly cfg: HypervSourceConfig,
    private readonly password: () => Secret,
    private readonly log: Logger,
    readonly where: HostAddress = hostAddress(cfg, name),
  ) {
    this.scheme = cfg.transport;
  }

  get endpoint(): string {
    return `${this.scheme}://${this.where.address}:${this.scheme === 'https' ? this.where.httpsPort : this.where.httpPort}/wsman`;
  }

  private open(): WsmanClient {
    if (!this.client) {
      this.client = new WsmanClient({
        host: this.where.address,
        port: this.scheme === 'https' ? this.where.httpsPort : this.where.httpPort,
        scheme: this.scheme,
        auth: this.scheme === 'http' ? 'ntlm' : this.cfg.auth,
        username: this.cfg.username,
        password: this.password(),
        tls: this.cfg.tls,
        timeoutMs: this.cfg.timeoutSec * 1000,
        operationTimeoutSec: Math.max(5, this.cfg.timeoutSec - 5),
        log: this.log,
      });
    }
    return this.client;
  }

  /** Runs requests on the host's session, falling back to HTTP once if HTTPS is unreachable. */
  async run<T>(fn: (reader: CimReader) => Promise<T>): Promise<T> {
    const counting = (c: WsmanClient): CimReader => ({
      enumerateAll: (uri, opts) => {
        this.requests++;
        return c.enumerateAll(uri, opts);
      },
      invoke: (uri, method, sel, params) => {
        this.requests++;
        return c.invoke(uri, method, sel, params);
      },
    });
    try {
      return await fn(counting(this.open()));
    } catch (err) {
      const canFallBack = this.scheme === 'https' && !this.cfg.httpsOnly && !this.fellBack && this.cfg.auth === 'ntlm' && isUnreachable(err);
      if (!canFallBack) throw err;
      this.log.warn({ host: this.name, endpoint: this.endpoint }, 'Hyper-V: HTTPS (5986) unreachable, falling back to HTTP (5985) with NTLM message encryption; set httpsOnly to forbid this');
      await this.close();
      this.scheme = 'http';
      this.fellBack = true;
      return await fn(counting(this.open()));
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.close().catch(() => undefined);
  }
}
