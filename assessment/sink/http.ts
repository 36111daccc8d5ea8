// The HTTP side of the sink: one undici dispatcher that honours HTTPS_PROXY / NO_PROXY (appliances
// often sit behind a proxy) and the configured trust, and one POST of a gzip-compressed JSON batch.
import { gzipSync } from 'node:zlib';
import { request, type Dispatcher } from 'undici';
import { proxyAwareDispatcher } from '../../common/proxy-dispatcher.js';
import { tlsOptions } from '../../common/tls.js';
import type { SinkSettings } from '../../config/schema/sink.js';

export function createDispatcher(settings: Pick<SinkSettings, 'tls' | 'timeoutSec'>, timeoutMs = settings.timeoutSec * 1000): Dispatcher {
  // The schema refuses a pinned thumbprint for the sink, so this is CA trust (or, knowingly, none).
  const tls = tlsOptions(settings.tls, 'sink.tls');
  return proxyAwareDispatcher({ tls, timeoutMs });
}

export interface PostResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function postGzipJson(dispatcher: Dispatcher, url: string, json: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  const body = gzipSync(Buffer.from(json, 'utf8'));
  const res = await request(url, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip', accept: 'application/json', ...headers },
    body,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs + 1000),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text };
}
