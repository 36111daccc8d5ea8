// Sends one payload and says what should happen next: done, retry (optionally not before a
// Retry-After), or park it (a 4xx the endpoint will never accept). Authentication failures retry.
import type { Dispatcher } from 'undici';
import { redactText } from '../../common/log.js';
import type { SinkSettings } from '../../config/schema/sink.js';
import type { Payload } from '../payload.js';
import { AuthError, TokenSource } from './credential.js';
import { createDispatcher, postGzipJson, type PostResult } from './http.js';

export type SendOutcome =
  | { kind: 'sent'; status: number; duplicate: boolean }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'auth'; reason: string }
  | { kind: 'rejected'; status: number; reason: string };

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Retry-After is seconds or an HTTP date; capped so a bad header cannot stall the outbox for days. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now(), capMs = 6 * 3600_000): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  let ms: number;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), capMs);
}

function snippet(r: PostResult): string {
  const text = r.body.replace(/\s+/g, ' ').trim().slice(0, 300);
  return redactText(text);
}

export function classify(r: PostResult): SendOutcome {
  if (r.status >= 200 && r.status < 300) return { kind: 'sent', status: r.status, duplicate: r.status === 208 || /"duplicate"/.test(r.body) };
  const detail = `HTTP ${r.status}${snippet(r) ? `: ${snippet(r)}` : ''}`;
  if (r.status === 401 || r.status === 403) return { kind: 'auth', reason: `the ingestion endpoint refused the credentials (${detail})` };
  if (r.status === 429 || r.status === 503) return { kind: 'retry', reason: detail, retryAfterMs: parseRetryAfter(r.headers['retry-after']) };
  if (r.status === 408 || r.status >= 500) return { kind: 'retry', reason: detail };
  return { kind: 'rejected', status: r.status, reason: `the ingestion endpoint rejected the batch (${detail})` };
}

export class Sender {
  readonly tokens: TokenSource;
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly #endpoint: string;
  constructor(settings: SinkSettings, opts: { timeoutMs?: number; tokens?: TokenSource; dispatcher?: Dispatcher } = {}) {
    if (!settings.endpoint) throw new Error('sink.endpoint is not set');
    this.#endpoint = settings.endpoint;
    this.timeoutMs = opts.timeoutMs ?? settings.timeoutSec * 1000;
    this.dispatcher = opts.dispatcher ?? createDispatcher(settings, this.timeoutMs);
    this.tokens = opts.tokens ?? new TokenSource(settings, this.dispatcher);
  }

  async send(p: Payload): Promise<SendOutcome> {
    const json = JSON.stringify(p);
    for (let attempt = 0; attempt < 2; attempt++) {
      let token: string;
      try {
        token = await this.tokens.token();
      } catch (err) {
        if (err instanceof AuthError) return { kind: 'auth', reason: err.message };
        throw err;
      }
      let res: PostResult;
      try {
        res = await postGzipJson(this.dispatcher, this.#endpoint, json, { authorization: `Bearer ${token}`, [IDEMPOTENCY_HEADER]: p.idempotencyKey }, this.timeoutMs);
      } catch (err) {
        return { kind: 'retry', reason: `could not reach ${new URL(this.#endpoint).host}: ${redactText(describeNetworkError(err))}` };
      }
      const outcome = classify(res);
      // A rejected token (expired, revoked): fetch a fresh one once before calling it an auth failure.
      if (outcome.kind === 'auth' && attempt === 0) {
        this.tokens.invalidate();
        continue;
      }
      return outcome;
    }
    throw new Error('unreachable');
  }

  #closed = false;
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.dispatcher.close();
  }
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = e.cause?.message ?? e.message ?? String(err);
  return code ? `${code} (${msg})` : msg;
}
