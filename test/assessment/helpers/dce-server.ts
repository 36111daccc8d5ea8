// A local Azure Monitor data collection endpoint on 127.0.0.1 (HTTPS with the lab PKI), speaking the
// Logs Ingestion wire format: POST /dataCollectionRules/{ruleId}/streams/{stream}?api-version=2023-01-01,
// bearer token for the Monitor audience, gzip JSON array, a request limit of 1 MB (413 above it),
// 204 on success; scripted 429 (Retry-After), 500, and "stored but the answer lost". Test-only.
import type http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { closeServer, json, listen, readBody, trackSockets, type TestPki, type TokenServer } from './azure-lab.js';

export type DceFault = { status: 400 | 413 | 429 | 500 | 503; retryAfter?: string; message?: string } | { kind: 'store-then-500' };

export interface DceRequest {
  stream: string;
  status: number;
  rows: number;
  bytes: number;
}

export class DceServer {
  url = '';
  readonly rows = new Map<string, Record<string, unknown>[]>();
  readonly requests: DceRequest[] = [];
  faults: DceFault[] = [];
  /** Uncompressed body limit: 1 MB as the service documents (tests may lower it). */
  limitBytes = 1024 * 1024;
  revokedBeforeMs = 0;
  private server!: https.Server;
  private sockets!: Set<Socket>;
  constructor(
    private readonly pki: TestPki,
    private readonly tokens: TokenServer,
    readonly ruleId: string,
    readonly audience = 'https://monitor.azure.com',
  ) {}

  async start(): Promise<this> {
    this.server = https.createServer({ key: this.pki.serverKey, cert: this.pki.serverCert }, (req, res) => {
      this.handle(req, res).catch((err) => json(res, 500, { error: { code: 'InternalServerError', message: String(err) } }));
    });
    this.sockets = trackSockets(this.server);
    this.url = `https://127.0.0.1:${await listen(this.server)}`;
    return this;
  }

  all(stream: string): Record<string, unknown>[] {
    return this.rows.get(stream) ?? [];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    const rec: DceRequest = { stream: m?.[2] ?? '?', status: 0, rows: 0, bytes: 0 };
    this.requests.push(rec);
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      rec.status = status;
      json(res, status, { error: { code, message } }, headers);
    };
    if (req.method !== 'POST' || !m) return fail(404, 'NotFound', 'no such route');
    if (url.searchParams.get('api-version') !== '2023-01-01')
      return fail(400, 'InvalidApiVersion', `api-version ${url.searchParams.get('api-version')} is not supported`);
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const check = bearer
      ? this.tokens.verifyToken(bearer[1]!, this.audience, this.revokedBeforeMs)
      : { ok: false as const, problem: 'missing' };
    if (!check.ok) return fail(401, 'InvalidToken', `token: ${check.problem}`);
    if (m[1] !== this.ruleId) return fail(404, 'DcrNotFound', `data collection rule ${m[1]} not found`);
    if (req.headers['content-encoding'] !== 'gzip') return fail(400, 'InvalidContentEncoding', 'expected gzip');
    const text = gunzipSync(raw).toString('utf8');
    rec.bytes = Buffer.byteLength(text);
    if (rec.bytes > this.limitBytes)
      return fail(413, 'ContentLengthLimitExceeded', `The request body is ${rec.bytes} bytes; the limit is ${this.limitBytes}.`);
    const rows = JSON.parse(text) as Record<string, unknown>[];
    if (!Array.isArray(rows)) return fail(400, 'InvalidPayload', 'expected a JSON array');
    rec.rows = rows.length;
    const fault = this.faults.shift();
    if (fault && 'status' in fault)
      return fail(
        fault.status,
        fault.status === 429 ? 'TooManyRequests' : fault.status === 400 ? 'InvalidPayload' : 'ServiceError',
        fault.message ?? `injected ${fault.status}`,
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    this.rows.set(m[2]!, [...this.all(m[2]!), ...rows]);
    if (fault && 'kind' in fault) return fail(500, 'ServiceError', 'stored, but the answer was lost');
    rec.status = 204;
    res.writeHead(204);
    res.end();
  }

  async close(): Promise<void> {
    await closeServer(this.server, this.sockets);
  }
}
