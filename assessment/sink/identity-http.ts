// @azure/identity's HTTP transport replaced by undici, so the token requests take the same road as
// the uploads: the same proxy (HTTPS_PROXY / NO_PROXY) and the same trust (sink.tls.caFile). The
// Azure SDK's own client ignores custom CAs behind a proxy ("TLS settings are not supported in
// combination with custom Proxy"), which breaks appliances behind TLS-inspecting proxies.
import type {
  HttpClient,
  HttpHeaders,
  PipelineRequest,
  PipelineResponse,
  RawHttpHeaders,
  RawHttpHeadersInput,
} from '@azure/core-rest-pipeline';
import { request, type Dispatcher } from 'undici';

class Headers implements HttpHeaders {
  readonly #map = new Map<string, { name: string; value: string }>();
  constructor(raw?: RawHttpHeadersInput) {
    for (const [k, v] of Object.entries(raw ?? {})) this.set(k, v);
  }
  get(name: string): string | undefined {
    return this.#map.get(name.toLowerCase())?.value;
  }
  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }
  set(name: string, value: string | number | boolean): void {
    this.#map.set(name.toLowerCase(), { name, value: String(value) });
  }
  delete(name: string): void {
    this.#map.delete(name.toLowerCase());
  }
  toJSON(options: { preserveCase?: boolean } = {}): RawHttpHeaders {
    const out: RawHttpHeaders = {};
    for (const [k, { name, value }] of this.#map) out[options.preserveCase ? name : k] = value;
    return out;
  }
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const [k, { value }] of this.#map) yield [k, value];
  }
}

/** MSAL reports a failed metadata fetch as "endpoints_resolution_error"; the transport keeps the real cause for the message. */
export interface TransportErrors {
  last: string | null;
}

export function undiciHttpClient(dispatcher: Dispatcher, timeoutMs: number, errors: TransportErrors = { last: null }): HttpClient {
  return {
    async sendRequest(req: PipelineRequest): Promise<PipelineResponse> {
      const body = req.body;
      if (body !== undefined && body !== null && typeof body !== 'string' && !Buffer.isBuffer(body)) {
        throw new Error('identity transport: only string and Buffer request bodies are supported');
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of req.headers) headers[k] = v;
      const timeout = req.timeout > 0 ? Math.min(req.timeout, timeoutMs) : timeoutMs;
      let res: Dispatcher.ResponseData;
      let text: string;
      try {
        res = await request(req.url, {
          method: req.method,
          headers,
          body: body ?? undefined,
          dispatcher,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: (req.abortSignal as AbortSignal | undefined) ?? undefined,
        });
        text = await res.body.text();
      } catch (err) {
        const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
        errors.last = `${new URL(req.url).host}: ${e.code ?? e.cause?.code ?? 'error'} (${e.cause?.message ?? e.message ?? String(err)})`;
        throw err;
      }
      const raw: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) raw[k] = Array.isArray(v) ? v.join(', ') : v;
      return { request: req, status: res.statusCode, headers: new Headers(raw), bodyAsText: text };
    },
  };
}
