// One Hyper-V host's WS-Man session: where it is (DNS name or the hostMap), which transport, one
// keep-alive client reused across polls, and the fallback from HTTPS 5986 to HTTP 5985 (NTLM with
// message encryption) when nothing listens on 5986, unless httpsOnly is set or implied (https-policy.ts).
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import type { HypervSourceConfig } from '../../config/schema/hyperv.js';
import type { CimReader } from './host-reader.js';
import { connectWithFallback, type WsmanClient } from '../wsman/index.js';
import { httpsOnlyFor } from './https-policy.js';
import { withHypervAdvice } from './wsman-advice.js';

export interface HostAddress {
  address: string;
  httpsPort: number;
  httpPort: number;
}

/** Resolves a host name through the source's hostMap (case-insensitive), else DNS with the configured ports. */
export function hostAddress(cfg: HypervSourceConfig, name: string): HostAddress {
  const defHttps = cfg.transport === 'https' ? (cfg.port ?? 5986) : 5986;
  const defHttp = cfg.transport === 'http' ? (cfg.port ?? 5985) : 5985;
  const entry = Object.entries(cfg.hostMap).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  if (entry === undefined) return { address: name, httpsPort: defHttps, httpPort: defHttp };
  if (typeof entry === 'string') {
    const [address = entry, port] = entry.split(':');
    const p = port ? Number(port) : undefined;
    return {
      address,
      httpsPort: cfg.transport === 'https' ? (p ?? defHttps) : defHttps,
      httpPort: cfg.transport === 'http' ? (p ?? defHttp) : defHttp,
    };
  }
  return { address: entry.address, httpsPort: entry.httpsPort ?? defHttps, httpPort: entry.httpPort ?? defHttp };
}

export class HostSession {
  private client: WsmanClient | null = null;
  requests = 0;

  constructor(
    readonly name: string,
    private readonly cfg: HypervSourceConfig,
    private readonly password: () => Secret,
    private readonly log: Logger,
    readonly where: HostAddress = hostAddress(cfg, name),
  ) {}

  /** Where the host is reached (after any fallback), never with credentials. */
  get endpoint(): string {
    if (this.client) return this.client.endpoint;
    return this.cfg.transport === 'https'
      ? `https://${this.where.address}:${this.where.httpsPort}/wsman`
      : `http://${this.where.address}:${this.where.httpPort}/wsman`;
  }

  private async open(): Promise<WsmanClient> {
    if (!this.client) {
      const https = this.cfg.transport === 'https';
      this.client = await connectWithFallback(
        {
          host: this.where.address,
          port: https ? this.where.httpsPort : this.where.httpPort,
          httpPort: this.where.httpPort,
          scheme: this.cfg.transport,
          auth: https ? this.cfg.auth : 'ntlm',
          username: this.cfg.username,
          password: this.password(),
          tls: this.cfg.tls,
          timeoutMs: this.cfg.timeoutSec * 1000,
          operationTimeoutSec: Math.max(5, this.cfg.timeoutSec - 5),
          limits: { maxBytes: this.cfg.limits.maxResponseMB * 1024 * 1024, maxElements: this.cfg.limits.maxElements },
          log: this.log,
        },
        httpsOnlyFor(this.cfg),
      );
    }
    return this.client;
  }

  /** Runs requests on the host's one keep-alive session (opened on first use, HTTPS falling back to HTTP). */
  async run<T>(fn: (reader: CimReader) => Promise<T>): Promise<T> {
    const c = await this.open();
    // Errors leave the session with the Hyper-V advice (groups, role) that the WS-Man layer cannot give.
    const advised = (err: unknown): never => {
      throw withHypervAdvice(err);
    };
    return await fn({
      enumerateAll: (uri, opts) => {
        this.requests++;
        return c.enumerateAll(uri, opts).catch(advised);
      },
      invoke: (uri, method, sel, params) => {
        this.requests++;
        return c.invoke(uri, method, sel, params).catch(advised);
      },
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.close().catch(() => undefined);
  }
}
