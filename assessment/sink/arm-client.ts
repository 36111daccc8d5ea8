// Azure Resource Manager on the wire: api-version on every call, a bearer token for the ARM scope
// (refreshed once on 401), 429 and 5xx retried after Retry-After, `{ error: { code, message } }`
// bodies turned into messages that name the fix, and the long-running-operation headers of a PUT.
// Protocol only: which resources to call is azure-migrate-import.ts's business.
import { request, type Dispatcher } from 'undici';
import { redactText } from '../../common/log.js';
import { AuthError, type TokenSource } from './credential.js';
import { parseRetryAfter } from './retry-after.js';

export interface ArmResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** An ARM call that failed; `retryable` says whether the outbox should try again later (and not before retryAfterMs). */
export class ArmError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ArmError';
  }
}

export interface ArmClientOptions {
  endpoint: string;
  apiVersion: string;
  tokens: TokenSource;
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Who we are, for the role-assignment hint. */
  clientId?: string;
  /** Waits this long at most inside one call for a 429/5xx; longer waits go back to the outbox. */
  maxInlineWaitMs?: number;
  /** Tries per call for 429/5xx/network errors before giving the failure to the outbox. */
  tries?: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ArmClient {
  /** Every call made, for status and tests: method, path (no query), status. */
  readonly calls: { method: string; path: string; status: number | 'network' }[] = [];
  constructor(private readonly o: ArmClientOptions) {}

  /** An absolute URL for a path or an ARM id, with api-version added when the URL has none (LRO URLs carry their own). */
  url(pathOrUrl: string, apiVersion = this.o.apiVersion): string {
    const u = new URL(
      /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : `${this.o.endpoint}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`,
    );
    if (!u.searchParams.has('api-version')) u.searchParams.set('api-version', apiVersion);
    return u.toString();
  }

  async call<T = unknown>(
    method: string,
    pathOrUrl: string,
    body?: unknown,
    opts: { apiVersion?: string; okStatuses?: number[] } = {},
  ): Promise<ArmResponse<T>> {
    const url = this.url(pathOrUrl, opts.apiVersion);
    const tries = this.o.tries ?? 4;
    const sleep = this.o.sleep ?? wait;
    let refreshed = false;
    let lastError: ArmError | undefined;
    for (let attempt = 1; attempt <= tries; attempt++) {
      let token: string;
      try {
        token = await this.o.tokens.token();
      } catch (err) {
        if (err instanceof AuthError) throw new ArmError(err.message, 401, 'TokenRequestFailed', true);
        throw err;
      }
      let res: Dispatcher.ResponseData;
      let text: string;
      try {
        res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          dispatcher: this.o.dispatcher,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          headersTimeout: this.o.timeoutMs,
          bodyTimeout: this.o.timeoutMs,
          signal: AbortSignal.timeout(this.o.timeoutMs + 1000),
        });
        text = await res.body.text();
      } catch (err) {
        this.calls.push({ method, path: new URL(url).pathname, status: 'network' });
        lastError = new ArmError(`could not reach ${new URL(url).host}: ${redactText(networkMessage(err))}`, 0, 'NetworkError', true);
        if (attempt < tries) await sleep(Math.min(250 * 2 ** attempt, this.o.maxInlineWaitMs ?? 10_000));
        continue;
      }
      this.calls.push({ method, path: new URL(url).pathname, status: res.statusCode });
      const parsed = parseJson(text);
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: res.headers, body: parsed as T };
      if (opts.okStatuses?.includes(res.statusCode)) return { status: res.statusCode, headers: res.headers, body: parsed as T };
      // An expired or revoked token: drop it and fetch a fresh one, once per call.
      if (res.statusCode === 401 && !refreshed) {
        refreshed = true;
        this.o.tokens.invalidate();
        attempt -= 1;
        continue;
      }
      const error = armError(res.statusCode, parsed, text, {
        method,
        url,
        clientId: this.o.clientId,
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
      });
      if (!error.retryable) throw error;
      lastError = error;
      const delay = error.retryAfterMs ?? Math.min(500 * 2 ** attempt, 8_000);
      if (attempt >= tries || delay > (this.o.maxInlineWaitMs ?? 10_000)) throw error;
      await sleep(delay);
    }
    throw lastError ?? new ArmError(`${method} ${new URL(url).pathname} failed`, 0, 'Unknown', true);
  }

  /**
   * PUT of a resource that may be created asynchronously: 201/202 with Azure-AsyncOperation (poll
   * until status Succeeded/Failed/Canceled) or Location (poll until it stops answering 202).
   */
  async putAndWait<T = unknown>(path: string, body: unknown, opts: { pollMs?: number; timeoutMs?: number } = {}): Promise<ArmResponse<T>> {
    const put = await this.call<T>('PUT', path, body);
    const asyncOp = header(put.headers, 'azure-asyncoperation');
    const location = header(put.headers, 'location');
    if (put.status !== 201 && put.status !== 202) return put;
    // Azure-AsyncOperation wins; otherwise the Location URL is polled.
    const pollUrl = asyncOp || location;
    if (!pollUrl) return put;
    const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
    const sleep = this.o.sleep ?? wait;
    for (;;) {
      const retryAfter = parseRetryAfter(put.headers['retry-after']);
      await sleep(Math.min(retryAfter ?? opts.pollMs ?? 1000, 30_000));
      if (asyncOp) {
        const op = await this.call<{ status?: string; error?: { code?: string; message?: string } }>('GET', asyncOp);
        const status = op.body?.status ?? '';
        if (/^succeeded$/i.test(status)) return this.call<T>('GET', path);
        if (/^(failed|canceled|cancelled)$/i.test(status)) {
          const e = op.body?.error;
          throw new ArmError(
            `PUT ${resourceName(path)} ended ${status}: ${e?.code ?? ''} ${redactText(e?.message ?? '')}`.trim(),
            200,
            e?.code ?? status,
            false,
          );
        }
      } else {
        const res = await this.call<T>('GET', pollUrl, undefined, { okStatuses: [202] });
        if (res.status !== 202) return this.call<T>('GET', path);
      }
      if (Date.now() > deadline) throw new ArmError(`PUT ${resourceName(path)} did not finish in time`, 0, 'OperationTimeout', true);
    }
  }
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function resourceName(pathOrUrl: string): string {
  const [beforeQuery = ''] = pathOrUrl.split('?'); // split always yields at least one part
  const p = /^https?:/i.test(pathOrUrl) ? new URL(pathOrUrl).pathname : beforeQuery;
  return p.replace(/^\/subscriptions\/[^/]+\/resourceGroups\//i, 'resource group ').replace(/\/providers\//i, ' ');
}

function networkMessage(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = e.cause?.message ?? e.message ?? String(err);
  return code ? `${code} (${msg})` : msg;
}

/** ARM's error body into a message that says what to change; codes from ARM's common error catalogue. */
export function armError(
  status: number,
  body: unknown,
  text: string,
  ctx: { method: string; url: string; clientId?: string; retryAfterMs?: number },
): ArmError {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = e?.code ?? `HTTP${status}`;
  const u = new URL(ctx.url);
  const what = `${ctx.method} ${u.pathname}`;
  const detail = redactText((e?.message ?? text ?? '').replace(/\s+/g, ' ').trim().slice(0, 400));
  const m = /\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?/i.exec(u.pathname);
  const sub = m?.[1] ?? '?';
  const rg = m?.[2];
  let fix: string;
  let retryable = false;
  if (status === 429 || status >= 500 || status === 408) {
    retryable = true;
    fix = 'Azure asked to slow down or had a transient error; the outbox retries.';
  } else if (code === 'AuthorizationFailed' || code === 'LinkedAuthorizationFailed' || status === 403) {
    fix = `assign the app registration${ctx.clientId ? ` (client id ${ctx.clientId})` : ''} a role on resource group ${rg ?? '?'} that allows this action (Contributor, or the Azure Migrate roles), then wait a few minutes for the assignment to apply.`;
  } else if (code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId') {
    fix = `sink.azureMigrate.subscriptionId ${sub} is not a subscription this tenant knows; copy the right id from the Azure portal (Subscriptions), and check sink.tenantId.`;
  } else if (code === 'ResourceGroupNotFound') {
    fix = `resource group ${rg ?? '?'} does not exist in subscription ${sub}; correct sink.azureMigrate.resourceGroup or create the group.`;
  } else if (code === 'ResourceNotFound' || code === 'ParentResourceNotFound' || status === 404) {
    fix =
      'the import site does not exist: create it (Azure Migrate, Discover, Import using CSV) and set sink.azureMigrate.importSite to its name, or set sink.azureMigrate.create: true.';
  } else if (code === 'MissingSubscriptionRegistration') {
    fix = `register the Microsoft.OffAzure resource provider in subscription ${sub} (az provider register --namespace Microsoft.OffAzure).`;
  } else if (/ApiVersion/i.test(code) || code === 'NoRegisteredProviderFound') {
    fix = 'set sink.azureMigrate.apiVersion to a version the Microsoft.OffAzure provider supports (e.g. "2023-06-06").';
  } else if (status === 401 || code === 'InvalidAuthenticationToken' || code === 'InvalidAuthenticationTokenTenant') {
    retryable = true;
    fix =
      'the token was refused after a refresh; check sink.tenantId (the subscription must belong to that tenant) and sink.authorityHost.';
  } else {
    fix = 'see the message from Azure above.';
  }
  return new ArmError(
    `${what}: HTTP ${status} ${code}${detail ? `: ${detail}` : ''}. Fix: ${fix}`,
    status,
    code,
    retryable,
    ctx.retryAfterMs,
  );
}
