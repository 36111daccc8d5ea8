import type { TLSSocket } from 'node:tls';
import { Pool, buildConnector } from 'undici';
import type { Logger } from '../../../common/log.js';
import { UserError } from '../../../common/errors.js';
import { checkPinnedPeer, explainTlsFailure, tlsOptions, type TlsSettings } from '../../../common/tls.js';
import { BadResponseError, NotVimEndpointError, UnreachableError, VimFault, VimTimeoutError } from './errors.js';
import { redactSnippet } from '../../../common/redact.js';
import {
  DEFAULT_LIMITS,
  SaxReader,
  TreeBuilder,
  XmlLimitError,
  XmlRejected,
  child,
  type ParseLimits,
  type XmlEvents,
  type XmlNode,
} from '../../../common/xml/reader.js';
import { envelope, type MoRef } from './xml.js';

export interface VimClientOptions {
  /** https://host[:port]/sdk */
  url: string;
  tls: TlsSettings;
  /**
   * Per request: connect, headers and each body chunk (idle timers), and the whole exchange from sending to
   * the last byte parsed (a wall-clock deadline: a server trickling a byte every few seconds trips it too).
   */
  timeoutMs: number;
  /** Connections kept alive to this vCenter (bounded concurrency needs no more). */
  connections?: number;
  limits?: ParseLimits;
  log?: Logger;
  /** How the caller names the tls settings in its messages (e.g. its config key). */
  tlsKeyPath?: string;
}

// vim25 6.0 exists on every supported vCenter (6.0 - 8.x) and has every property we read.
const SOAP_ACTION = 'urn:vim25/6.0';
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * The vim25 wire: one keep-alive connection pool per vCenter, hand-built envelopes, streaming
 * saxes parsing and SOAP faults as VimFault. It knows sessions only as an opaque cookie.
 */
export class VimClient {
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  /** Round trips made, for poll statistics. */
  requests = 0;
  readonly #path: string;
  readonly #pool: Pool;
  readonly #opts: VimClientOptions;
  #cookie: string | null = null;

  constructor(opts: VimClientOptions) {
    this.#opts = opts;
    const u = new URL(opts.url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || 443);
    this.endpoint = `${u.hostname}:${this.port}`;
    this.#path = u.pathname && u.pathname !== '/' ? u.pathname : '/sdk';
    // No TLS session resumption: a resumed session may not expose the peer certificate, and pinning needs it.
    const base = buildConnector({ ...tlsOptions(opts.tls, opts.tlsKeyPath), timeout: opts.timeoutMs, maxCachedSessions: 0 });
    const endpoint = this.endpoint;
    // Pinning is checked on every new connection, before a byte of the request (or a password) is sent.
    const connect: buildConnector.connector = (options, callback) =>
      base(options, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error('no socket'), null);
        try {
          checkPinnedPeer(socket as TLSSocket, opts.tls, endpoint);
        } catch (pinErr) {
          socket.destroy();
          return callback(pinErr as Error, null);
        }
        callback(null, socket);
      });
    this.#pool = new Pool(u.origin, {
      connect,
      connections: opts.connections ?? 4,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  /** Forgets the session cookie (after Logout or when the server dropped it). */
  clearSession(): void {
    this.#cookie = null;
  }

  /** Calls a vim25 method; resolves with the `<MethodResponse>` element, rejects with VimFault or a wire error. */
  async call(method: string, self: MoRef, body = ''): Promise<XmlNode> {
    const builder = new TreeBuilder();
    const status = await this.#exchange(method, self, body, builder);
    const root = builder.root;
    if (!root) throw new BadResponseError(this.endpoint, method, 'the response holds no XML element', status);
    if (root.name !== 'Envelope')
      throw new NotVimEndpointError(this.endpoint, method, `${method} got an XML document <${root.name}>, not a SOAP envelope`, status);
    const content = child(root, 'Body')?.children?.[0];
    if (!content) throw new BadResponseError(this.endpoint, method, 'the SOAP body is empty', status);
    if (content.name === 'Fault') throw toFault(method, content);
    if (status !== 200) throw new BadResponseError(this.endpoint, method, `HTTP ${status} without a SOAP fault`, status);
    return content;
  }

  /**
   * Like call(), but the response element's events go to `events` as they are parsed, so a large
   * answer (QueryPerf) is decoded without building a tree. A fault still becomes a VimFault.
   */
  async callStream(method: string, self: MoRef, body: string, events: XmlEvents): Promise<void> {
    const router = new BodyRouter(events);
    const status = await this.#exchange(method, self, body, router);
    if (router.rootName !== 'Envelope')
      throw new NotVimEndpointError(
        this.endpoint,
        method,
        `${method} got an XML document <${router.rootName}>, not a SOAP envelope`,
        status,
      );
    if (router.fault.root) throw toFault(method, router.fault.root);
    if (!router.sawContent) throw new BadResponseError(this.endpoint, method, 'the SOAP body is empty', status);
    if (status !== 200) throw new BadResponseError(this.endpoint, method, `HTTP ${status} without a SOAP fault`, status);
  }

  /** One POST: the request, the session cookie, the content-type check and the streamed parse. */
  async #exchange(method: string, self: MoRef, body: string, events: XmlEvents): Promise<number> {
    const xml = envelope(method, self, body);
    const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION };
    if (this.#cookie) headers.cookie = this.#cookie;
    this.requests++;
    const started = Date.now();
    // undici's headersTimeout/bodyTimeout are idle timers; this one bounds the whole exchange. Aborting
    // destroys the connection, so a peer that keeps trickling costs one socket for timeoutMs, no more.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#opts.timeoutMs);
    const progress = { headers: false };
    try {
      return await this.#exchangeWithin(method, xml, headers, events, deadline.signal, started, progress);
    } catch (err) {
      // The abort surfaces as a socket error (UND_ERR_ABORTED) wherever the exchange was; a fault or a
      // refused document that arrived before the deadline keeps its own, more telling error. Without headers
      // it is the plain "did not answer"; with them, the answer was started and never completed.
      if (deadline.signal.aborted && (err instanceof UnreachableError || err instanceof VimTimeoutError)) {
        throw new VimTimeoutError(this.endpoint, method, this.#opts.timeoutMs, progress.headers);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async #exchangeWithin(
    method: string,
    xml: string,
    headers: Record<string, string>,
    events: XmlEvents,
    signal: AbortSignal,
    started: number,
    progress: { headers: boolean },
  ): Promise<number> {
    let res: Awaited<ReturnType<Pool['request']>>;
    try {
      res = await this.#pool.request({ path: this.#path, method: 'POST', headers, body: xml, signal });
    } catch (err) {
      throw await this.#transportError(err, method);
    }
    progress.headers = true;
    this.#takeCookie(res.headers['set-cookie']);
    const type = String(res.headers['content-type'] ?? '');
    if (!/xml/i.test(type)) {
      // A cut-off error page may end inside an echoed password: redactSnippet drops such a tail.
      const peek = redactSnippet(await readSome(res.body, 200));
      throw new NotVimEndpointError(
        this.endpoint,
        method,
        `${method} got HTTP ${res.statusCode} with ${type || 'no content type'}${peek ? ` ("${peek}")` : ''}, not a SOAP answer`,
        res.statusCode,
      );
    }
    const reader = new SaxReader(events, this.#opts.limits ?? DEFAULT_LIMITS);
    // Errors raised while parsing or by the consumer (a stream decoder, its sink) are not transport errors.
    let parseError: unknown = null;
    const feed = async (chunk: Uint8Array | null): Promise<void> => {
      try {
        if (chunk) reader.write(chunk);
        else reader.end();
        const drained = events.drain?.(); // a promise only when there was something to hand on
        if (drained) await drained;
      } catch (err) {
        parseError = err;
        throw err;
      }
    };
    try {
      for await (const chunk of res.body) await feed(chunk as Uint8Array);
      await feed(null);
    } catch (err) {
      res.body.destroy();
      if (err instanceof XmlLimitError)
        throw new BadResponseError(this.endpoint, method, err.message, res.statusCode, { limit: err.limit, value: err.value });
      if (err instanceof XmlRejected) throw new BadResponseError(this.endpoint, method, err.message, res.statusCode);
      if (err === parseError) throw err;
      throw await this.#transportError(err, method);
    }
    this.#opts.log?.trace({ method, ms: Date.now() - started, status: res.statusCode }, 'vim25 call');
    return res.statusCode;
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => this.#pool.destroy());
  }

  #takeCookie(header: string | string[] | undefined): void {
    for (const line of Array.isArray(header) ? header : header ? [header] : []) {
      const m = /^\s*(vmware_soap_session=[^;]*)/i.exec(line);
      if (m?.[1]) this.#cookie = m[1];
    }
  }

  async #transportError(err: unknown, method: string): Promise<Error> {
    const tlsErr = await explainTlsFailure(err, this.host, this.port);
    if (tlsErr) return tlsErr;
    const code = findCode(err);
    if (code && TIMEOUT_CODES.has(code)) return new VimTimeoutError(this.endpoint, method, this.#opts.timeoutMs);
    if (code && UNREACHABLE_CODES.has(code)) return new UnreachableError(this.endpoint, method, `${code}${messageOf(err)}`);
    if (err instanceof UserError) return err; // a TLS trust failure, already in words
    return new UnreachableError(this.endpoint, method, `${code ?? 'error'}${messageOf(err)}`);
  }
}

function findCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  const m = err instanceof Error ? err.message : '';
  return m ? ` (${m})` : '';
}

async function readSome(body: AsyncIterable<unknown> & { destroy(): void }, max: number): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += Buffer.from(chunk as Uint8Array).toString('utf8');
      if (text.length >= max) break;
    }
  } catch {
    /* the peek is only for the message */
  }
  body.destroy();
  // Shown to the administrator: no control characters (terminal escapes) from a foreign server.
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\x00-\x1f\x7f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, max)
  );
}

function toFault(method: string, fault: XmlNode): VimFault {
  const faultString = child(fault, 'faultstring')?.text ?? '';
  const detail = child(fault, 'detail')?.children?.[0];
  const faultType = detail ? (detail.type ?? detail.name.replace(/Fault$/, '')) : 'ServerFault';
  const fields: Record<string, string> = {};
  for (const c of detail?.children ?? []) if (!c.children) fields[c.name] = c.text;
  return new VimFault(method, faultType, faultString.trim(), fields);
}

/**
 * Routes a SOAP document's events: Envelope and Body are checked here, a Fault is built as a
 * tree (it is small), and the response element and everything inside it go to the caller.
 */
class BodyRouter implements XmlEvents {
  readonly fault = new TreeBuilder();
  drain?: () => Promise<void> | void;
  rootName = '';
  sawContent = false;
  #depth = 0;
  #inBody = false;
  #target: XmlEvents | null = null;
  constructor(private readonly events: XmlEvents) {
    const drain = events.drain?.bind(events);
    if (drain) this.drain = drain;
  }

  open(name: string, type: string | null, refType: string | null): void {
    this.#depth++;
    if (this.#depth === 1) this.rootName = name;
    else if (this.#depth === 3 && this.#target === null && this.#inBody) {
      this.sawContent = true;
      this.#target = name === 'Fault' ? this.fault : this.events;
    } else if (this.#depth === 2) this.#inBody = name === 'Body';
    if (this.#depth >= 3 && this.#target) this.#target.open(name, type, refType);
  }
  text(text: string): void {
    if (this.#depth >= 3 && this.#target) this.#target.text(text);
  }
  close(): void {
    if (this.#depth >= 3 && this.#target) this.#target.close();
    if (this.#depth === 3) this.#target = this.#target === this.fault ? this.fault : null;
    this.#depth--;
  }
}
