// The import file to the SAS URI Azure Migrate handed out: a block blob, through @azure/storage-blob,
// authorised by the SAS alone (no account key, no token). The SDK's HTTP goes through the sink's
// undici dispatcher, so HTTPS_PROXY / NO_PROXY and the private CA apply to Blob Storage as well.
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { toHttpHeadersLike, type CompatResponse, type RequestPolicy, type WebResourceLike } from '@azure/core-http-compat';
import { AnonymousCredential, BlockBlobClient, newPipeline, RestError } from '@azure/storage-blob';
import type { Dispatcher } from 'undici';
import { redactText } from '../../common/log.js';
import { undiciHttpClient } from './identity-http.js';

/** storage-blob still takes a core-http (v1) client; this adapts the sink's undici client to it. */
function v1Client(dispatcher: Dispatcher, timeoutMs: number): RequestPolicy {
  const client = undiciHttpClient(dispatcher, timeoutMs);
  return {
    async sendRequest(wr: WebResourceLike): Promise<CompatResponse> {
      const req = createPipelineRequest({
        url: wr.url,
        method: wr.method,
        headers: createHttpHeaders(wr.headers.toJson()),
        body: wr.body,
        timeout: wr.timeout,
        abortSignal: wr.abortSignal,
      });
      const res = await client.sendRequest(req);
      return { request: wr, status: res.status, headers: toHttpHeadersLike(res.headers), bodyAsText: res.bodyAsText } as CompatResponse;
    },
  };
}

export class BlobUploadError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'BlobUploadError';
  }
}

/** The SAS URI without its query (the SAS): safe to log and show. */
export function blobLocation(sasUri: string): string {
  const u = new URL(sasUri);
  return `${u.origin}${u.pathname}`;
}

/** Uploads `data` as the block blob at `sasUri` (overwriting: a retried upload leaves one blob, not two). */
export async function uploadBlob(
  sasUri: string,
  data: Buffer,
  opts: { dispatcher: Dispatcher; timeoutMs: number; contentType: string },
): Promise<{ etag?: string }> {
  const pipeline = newPipeline(new AnonymousCredential(), {
    httpClient: v1Client(opts.dispatcher, opts.timeoutMs),
    // The outbox retries for hours; the SDK only rides out a blip.
    retryOptions: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: opts.timeoutMs },
  });
  const blob = new BlockBlobClient(sasUri, pipeline);
  try {
    const r = await blob.uploadData(data, { blobHTTPHeaders: { blobContentType: opts.contentType } });
    return { etag: r.etag };
  } catch (err) {
    const status = err instanceof RestError ? err.statusCode : undefined;
    const code = err instanceof RestError ? err.code : (err as { code?: string }).code;
    const where = blobLocation(sasUri);
    // 403 from Storage on a SAS: expired or wrong signature; a new import URI is needed.
    const retryable = status === undefined || status === 408 || status === 429 || status >= 500;
    const [firstLine = ''] = ((err as Error).message ?? String(err)).split('\n');
    const msg = redactText(firstLine.slice(0, 300));
    throw new BlobUploadError(
      `upload to ${where} failed${status ? ` (HTTP ${status} ${code ?? ''})` : code ? ` (${code})` : ''}: ${msg}`,
      status,
      retryable,
    );
  }
}
