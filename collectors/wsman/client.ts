// WS-Management client: Enumerate (WQL, optimized) + Pull until EndOfSequence with the newest
// context, Release on abandon, Get and Invoke. Knows nothing about Hyper-V.
import { randomUUID } from 'node:crypto';
import type { CimInstance } from './cim.js';
import { enumerateRequest, getRequest, invokeRequest, pullRequest, releaseRequest, type BuiltRequest } from './envelope.js';
import { WsmanEnumerationContextError, WsmanLimitError, WsmanTimeoutError, WsmanTransportError } from './errors.js';
import { faultToError, isPullTimeout, parseFault } from './faults.js';
import { headerValue, parseBodyInstance, parseEnumerationBatch, parseWithItems, type EnumerationBatch } from './response.js';
import { WsmanTransport, type TransportOptions } from './transport.js';
import { limitsWith, parseXml, XmlLimitError, type XmlLimits, type XmlNode } from '../../common/xml/reader.js';

/** The transport's connection settings (username: "HOST\user", "DOMAIN\user" or "user@domain"), plus WS-Man limits. */
export interface WsmanClientOptions extends Omit<TransportOptions, 'timeoutMs'> {
  /** Whole round-trip limit per request; defaults to operationTimeoutSec + 15 s (it must exceed it). */
  timeoutMs?: number;
  /** Default 512000 (Windows' default cap). */
  maxEnvelopeSize?: number;
  /** The host's own time limit per operation; default 60 s. */
  operationTimeoutSec?: number;
  /** Caps on each reply (bytes while it streams in; elements, depth, text while parsed); common/xml defaults. */
  limits?: Partial<XmlLimits>;
}

/** Items per batch we ask for; the host caps it at MaxBatchItems and by MaxEnvelopeSize. */
const DEFAULT_MAX_ELEMENTS = 32_000;
const PULL_TIMEOUT_RETRIES = 3;

/** The class a WQL projection returns (XmlFragment items carry no class name). */
function classFromWql(wql: string | undefined, resourceUri: string): string {
  const m = wql ? /\bFROM\s+([A-Za-z_][\w]*)/i.exec(wql) : null;
  if (m?.[1]) return m[1];
  const last = resourceUri.slice(resourceUri.lastIndexOf('/') + 1);
  return last === '*' ? '' : last;
}

export class WsmanClient {
  readonly endpoint: string;
  readonly #opts: WsmanClientOptions;
  readonly #transport: WsmanTransport;
  readonly #sessionId = `uuid:${randomUUID().toUpperCase()}`;
  readonly #limits: XmlLimits & { subject: string };

  constructor(opts: WsmanClientOptions) {
    this.#opts = opts;
    this.#limits = { ...limitsWith(opts.limits), subject: 'the reply' };
    const opTimeout = opts.operationTimeoutSec ?? 60;
    this.#transport = new WsmanTransport({
      host: opts.host,
      port: opts.port,
      scheme: opts.scheme,
      auth: opts.auth,
      username: opts.username,
      password: opts.password,
      tls: opts.tls,
      timeoutMs: opts.timeoutMs ?? (opTimeout + 15) * 1000,
      maxReplyBytes: this.#limits.maxBytes,
      log: opts.log,
    });
    this.endpoint = this.#transport.endpoint;
  }

  #header(resourceUri: string, selectors?: Record<string, string>) {
    return {
      to: this.endpoint,
      resourceUri,
      maxEnvelopeSize: this.#opts.maxEnvelopeSize ?? 512_000,
      operationTimeoutSec: this.#opts.operationTimeoutSec ?? 60,
      sessionId: this.#sessionId,
      selectors,
    };
  }

  /**
   * Sends a request, parses the reply, checks RelatesTo and turns faults into typed errors. With
   * `itemClass`, enumeration items are converted while parsing (see parseWithItems).
   */
  async #call(req: BuiltRequest, resourceUri: string, itemClass?: string): Promise<{ env: XmlNode; items: CimInstance[] }> {
    const res = await this.#transport.send(req.xml);
    let env: XmlNode;
    let items: CimInstance[] = [];
    try {
      if (itemClass === undefined) env = parseXml(res.body, this.#limits);
      else ({ envelope: env, items } = parseWithItems(res.body, itemClass, this.#limits));
    } catch (e) {
      if (e instanceof XmlLimitError) throw new WsmanLimitError(this.endpoint, e.message, e.limit, e.value, e);
      throw new WsmanTransportError(
        this.endpoint,
        `unreadable reply (HTTP ${res.status}): ${(e as Error).message}`,
        'Check that this port is a WinRM listener.',
        e,
      );
    }
    const fault = parseFault(env);
    if (fault) throw faultToError(this.endpoint, fault, resourceUri);
    if (res.status !== 200)
      throw new WsmanTransportError(this.endpoint, `HTTP ${res.status} without a fault`, 'Check that this port is a WinRM listener.');
    const relatesTo = headerValue(env, 'RelatesTo');
    if (relatesTo && relatesTo !== req.messageId) {
      throw new WsmanTransportError(
        this.endpoint,
        `reply belongs to another request (RelatesTo ${relatesTo}, sent ${req.messageId})`,
        'Retry; if it persists, check for a proxy that mixes connections.',
      );
    }
    return { env, items };
  }

  /**
   * Enumerate + Pull until EndOfSequence, always sending the newest context; Release when the
   * caller stops early or a request fails. A WsmanEnumerationContextError means: start again.
   */
  async *enumerate(resourceUri: string, opts: { wql?: string; maxElements?: number } = {}): AsyncIterable<CimInstance> {
    const className = classFromWql(opts.wql, resourceUri);
    const max = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
    const first = await this.#call(
      enumerateRequest(this.#header(resourceUri), { wql: opts.wql, maxElements: max }),
      resourceUri,
      className,
    );
    let batch: EnumerationBatch = parseEnumerationBatch(first.env, className, first.items);
    let context = batch.context;
    let finished = batch.endOfSequence || !context;
    try {
      for (;;) {
        for (const item of batch.items) yield item;
        if (finished || !context) return;
        batch = await this.#pull(resourceUri, context, max, className);
        // Contexts are single-use on Windows: continue with the newest one.
        context = batch.context ?? context;
        finished = batch.endOfSequence || !batch.context;
      }
    } finally {
      if (!finished && context) await this.#release(resourceUri, context);
    }
  }

  async #pull(resourceUri: string, context: string, max: number, className: string): Promise<EnumerationBatch> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.#call(pullRequest(this.#header(resourceUri), context, max), resourceUri, className);
        return parseEnumerationBatch(r.env, className, r.items);
      } catch (e) {
        // wsen:TimedOut: no data yet, the context is still valid.
        if (e instanceof WsmanTimeoutError && e.fault && isPullTimeout(e.fault) && attempt < PULL_TIMEOUT_RETRIES) continue;
        throw e;
      }
    }
  }

  async #release(resourceUri: string, context: string): Promise<void> {
    try {
      await this.#call(releaseRequest(this.#header(resourceUri), context), resourceUri);
    } catch (e) {
      // The context may already be gone (expired, or the error was about it); nothing else to do.
      this.#opts.log?.debug({ endpoint: this.endpoint, err: (e as Error).message }, 'WS-Man: release failed');
    }
  }

  /** All items; restarts once if the host expired the enumeration context mid-way. */
  async enumerateAll(resourceUri: string, opts: { wql?: string } = {}): Promise<CimInstance[]> {
    for (let attempt = 0; ; attempt++) {
      const all: CimInstance[] = [];
      try {
        for await (const item of this.enumerate(resourceUri, opts)) all.push(item);
        return all;
      } catch (e) {
        if (e instanceof WsmanEnumerationContextError && attempt === 0) {
          this.#opts.log?.info({ endpoint: this.endpoint, resourceUri }, 'WS-Man: enumeration context expired, restarting the enumeration');
          continue;
        }
        throw e;
      }
    }
  }

  async get(resourceUri: string, selectors: Record<string, string>): Promise<CimInstance> {
    return parseBodyInstance((await this.#call(getRequest(this.#header(resourceUri, selectors)), resourceUri)).env);
  }

  /** Invokes a CIM method; the output parameters (and ReturnValue) come back as properties. */
  async invoke(
    resourceUri: string,
    method: string,
    selectors: Record<string, string>,
    params: Record<string, string | string[]>,
  ): Promise<CimInstance> {
    return parseBodyInstance((await this.#call(invokeRequest(this.#header(resourceUri, selectors), method, params), resourceUri)).env);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }
}
