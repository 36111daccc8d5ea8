// The HTTP side of the sink: one undici dispatcher that honours HTTPS_PROXY / NO_PROXY (appliances
// often sit behind a proxy) and the configured trust, and one POST of a gzip-compressed JSON batch.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { UserError } from '../../common/errors.js';
import type { SinkSettings } from '../../config/schema/sink.js';

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UserError(`sink.tls.caFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err}).`, {
      fix: 'Point sink.tls.caFile at a readable PEM file with the CA that signed the ingestion endpoint and the authority (or the TLS-inspecting proxy), or remove it to use the system store.',
      code: 'TLS_CA_UNREADABLE',
    });
  }
}

export function createDispatcher(settings: Pick<SinkSettings, 'tls' | 'timeoutSec'>, timeoutMs = settings.timeoutSec * 1000): Dispatcher {
  const tls = settings.tls.insecure ? { rejectUnauthorized: false } : settings.tls.caFile ? { ca: readCa(settings.tls.caFile) } : {};
  return new EnvHttpProxyAgent({ connect: { ...tls, timeout: timeoutMs }, requestTls: tls, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
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
