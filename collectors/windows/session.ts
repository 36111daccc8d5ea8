// One Windows server's WS-Man session: where it is ("host[:port]" from hosts, the source's hostMap, else
// DNS with the transport's default port), one keep-alive client reused across polls, HTTPS 5986 falling
// back to HTTP 5985 with NTLM message encryption unless httpsOnly is set or implied by TLS settings
// (collectors/wsman/endpoint.ts). The wire is collectors/wsman/.
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import type { WindowsSourceConfig } from '../../config/schema/physical.js';
import { openWinrm, type CimInstance, type WsmanClient } from '../wsman/index.js';

export interface ServerAddress {
  /** The name as configured, without a port: what errors and the inventory call the server. */
  name: string;
  address: string;
  httpsPort: number;
  httpPort: number;
}

/** The subset of WsmanClient the collector uses (tests may pass another implementation). */
export interface CimReader {
  enumerateAll(resourceUri: string, opts?: { wql?: string }): Promise<CimInstance[]>;
}

/** "fs01", "10.1.2.4:5986" or "[::1]:5985" -> name and ports; a port in hosts is the configured transport's. */
export function serverAddress(cfg: WindowsSourceConfig, entry: string): ServerAddress {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
  const name = m?.[1] ?? entry;
  const port = m?.[2] ? Number(m[2]) : undefined;
  const https = cfg.transport === 'https';
  let httpsPort = https ? (port ?? cfg.port ?? 5986) : 5986;
  let httpPort = https ? 5985 : (port ?? cfg.port ?? 5985);
  let address = name.replace(/^\[|\]$/g, '');
  const key = Object.keys(cfg.hostMap).find((k) => k.toLowerCase() === name.toLowerCase());
  const mapped = key === undefined ? undefined : cfg.hostMap[key];
  if (typeof mapped === 'string') {
    const [a = address, p] = mapped.split(':');
    address = a;
    if (p) {
      if (https) httpsPort = Number(p);
      else httpPort = Number(p);
    }
  } else if (mapped) {
    address = mapped.address;
    httpsPort = mapped.httpsPort ?? httpsPort;
    httpPort = mapped.httpPort ?? httpPort;
  }
  return { name, address, httpsPort, httpPort };
}

export class ServerSession {
  private client: WsmanClient | null = null;
  requests = 0;

  constructor(
    readonly where: ServerAddress,
    private readonly cfg: WindowsSourceConfig,
    private readonly password: () => Secret,
    private readonly log: Logger,
  ) {}

  get name(): string {
    return this.where.name;
  }

  /** Where the server is reached (after any fallback), never with credentials. */
  get endpoint(): string {
    if (this.client) return this.client.endpoint;
    return this.cfg.transport === 'https'
      ? `https://${this.where.address}:${this.where.httpsPort}/wsman`
      : `http://${this.where.address}:${this.where.httpPort}/wsman`;
  }

  /** True while a client (one keep-alive socket) is held for this server. */
  get connected(): boolean {
    return this.client !== null;
  }

  private async open(): Promise<WsmanClient> {
    if (!this.client) {
      this.client = await openWinrm(this.where, this.cfg, this.password(), this.log);
    }
    return this.client;
  }

  async run<T>(fn: (reader: CimReader) => Promise<T>): Promise<T> {
    const c = await this.open();
    return await fn({
      enumerateAll: (uri, opts) => {
        this.requests++;
        return c.enumerateAll(uri, opts);
      },
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.close().catch(() => undefined);
  }
}
