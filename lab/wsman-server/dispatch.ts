// Evaluates one decoded SOAP request: Enumerate / Pull / Release / Get / Invoke, using the backend
// for the data and the enumeration table for state. Returns the response envelope (faults: HTTP 500).
import type { Logger } from '../../common/log.js';
import { parseWmiResourceUri } from '../../collectors/wsman/cim.js';
import { ACTION, WQL_DIALECT } from '../../collectors/wsman/namespaces.js';
import { child, children, kids, parseXml, type XmlNode } from '../../common/xml/reader.js';
import { EnumerationTable } from './enumerations.js';
import { enumerateResponseBody, envelope, pullResponseBody, renderFault, renderItem, renderMethodOutput } from './render.js';
import { readRequest, type WsmanRequest } from './request.js';
import { WsmanServerFault, type WsmanBackend } from './types.js';

/** Windows' MaxTimeoutms default. */
const MAX_TIMEOUT_MS = 60_000;

export interface DispatchResult {
  status: 200 | 500;
  xml: string;
  fault?: string;
}

export interface DispatcherOptions {
  backend: WsmanBackend;
  enumerationTimeoutMs: number;
  maxBatchItems: number;
  maxEnvelopeSize: number;
  computerName: string;
  log?: Logger;
}

export class Dispatcher {
  readonly table: EnumerationTable;
  readonly #o: DispatcherOptions;

  constructor(o: DispatcherOptions) {
    this.#o = o;
    this.table = new EnumerationTable(o.enumerationTimeoutMs);
  }

  async handle(soap: string, user: string): Promise<DispatchResult> {
    let relatesTo: string | null = null;
    try {
      let env: XmlNode;
      try {
        env = parseXml(soap, { subject: 'the request' });
      } catch (e) {
        throw new WsmanServerFault('InvalidMessageInformationHeader', `The request is not well-formed XML: ${(e as Error).message}`);
      }
      relatesTo = child(child(env, 'Header'), 'MessageID')?.text.trim() || null;
      const req = readRequest(env, this.#o.maxEnvelopeSize);
      return { status: 200, xml: await this.#route(req, user) };
    } catch (e) {
      if (e instanceof WsmanServerFault) {
        return { status: 500, xml: renderFault(e.kind, e.message, relatesTo, this.#o.computerName), fault: e.kind };
      }
      this.#o.log?.error({ err: e }, 'WS-Man server: backend error');
      return {
        status: 500,
        xml: renderFault('InternalError', `Internal error: ${(e as Error).message}`, relatesTo, this.#o.computerName),
        fault: 'InternalError',
      };
    }
  }

  close(): void {
    this.table.close();
  }

  async #route(req: WsmanRequest, user: string): Promise<string> {
    const { action } = req;
    if (action === ACTION.enumerate) return this.#enumerate(req, user);
    if (action === ACTION.pull) return this.#pull(req, user);
    if (action === ACTION.release) {
      this.table.release(contextOf(req), user);
      return envelope(ACTION.releaseResponse, req.messageId, '');
    }
    if (action === ACTION.get) {
      if (!this.#o.backend.get) throw new WsmanServerFault('ActionNotSupported', `The action ${action} is not supported by this resource.`);
      const item = await this.#withinOperationTimeout(
        req,
        this.#o.backend.get({ resourceUri: req.resourceUri, selectors: req.selectors, user }),
      );
      return envelope(ACTION.getResponse, req.messageId, renderItem({ ...item, fragment: false }));
    }
    if (req.resourceUri && action.startsWith(`${req.resourceUri}/`) && this.#o.backend.invoke) {
      const method = action.slice(req.resourceUri.length + 1);
      const input = kids(req.body)[0];
      const params: Record<string, string | string[]> = {};
      for (const p of kids(input)) {
        const prev = params[p.name];
        if (prev === undefined) params[p.name] = p.text;
        else params[p.name] = Array.isArray(prev) ? [...prev, p.text] : [prev, p.text];
      }
      const out = await this.#withinOperationTimeout(
        req,
        this.#o.backend.invoke({ resourceUri: req.resourceUri, method, selectors: req.selectors, params, user }),
      );
      return envelope(`${action}Response`, req.messageId, renderMethodOutput(req.resourceUri, method, out));
    }
    throw new WsmanServerFault('ActionNotSupported', `The action ${action || '(none)'} is not supported.`);
  }

  async #enumerate(req: WsmanRequest, user: string): Promise<string> {
    const en = child(req.body, 'Enumerate');
    if (!en) throw new WsmanServerFault('InvalidMessageInformationHeader', 'The Enumerate body is missing.');
    const filterEl = child(en, 'Filter');
    let filter: { dialect: string; text: string } | undefined;
    if (filterEl) {
      const dialect = filterEl.attrs.Dialect ?? WQL_DIALECT;
      if (dialect !== WQL_DIALECT)
        throw new WsmanServerFault('CannotProcessFilter', `The filter dialect ${dialect} is not supported; use WQL.`);
      filter = { dialect, text: filterEl.text.trim() };
      const wmi = parseWmiResourceUri(req.resourceUri, req.selectors);
      if (wmi && wmi.className !== '*') {
        throw new WsmanServerFault(
          'InvalidResourceURI',
          "The WS-Management service cannot process the request. The resource URI cannot contain keys and the class name must be '*' when a WQL filter is used.",
        );
      }
    }
    if (!req.resourceUri) throw new WsmanServerFault('InvalidResourceURI', 'The ResourceURI header is missing.');
    const items = await this.#withinOperationTimeout(
      req,
      this.#o.backend.enumerate({ resourceUri: req.resourceUri, filter, selectors: req.selectors, user }),
    );
    const optimize = child(en, 'OptimizeEnumeration') !== null;
    const { id } = this.table.open(items, user, req.resourceUri);
    if (!optimize) return envelope(ACTION.enumerateResponse, req.messageId, enumerateResponseBody(id, null, false));
    const max = this.#maxElements(child(en, 'MaxElements')?.text);
    const r = this.table.firstBatch(id, max, req.maxEnvelopeSize);
    return envelope(ACTION.enumerateResponse, req.messageId, enumerateResponseBody(r.id, r.batch.items, r.batch.done));
  }

  async #pull(req: WsmanRequest, user: string): Promise<string> {
    const pull = child(req.body, 'Pull');
    const max = this.#maxElements(child(pull, 'MaxElements')?.text);
    const r = this.table.next(contextOf(req), user, max, req.maxEnvelopeSize);
    return envelope(ACTION.pullResponse, req.messageId, pullResponseBody(r.id, r.batch.items, r.batch.done));
  }

  /** The client's OperationTimeout, capped at MaxTimeoutms (60 s): past it Windows answers w:TimedOut. */
  async #withinOperationTimeout<T>(req: WsmanRequest, work: Promise<T> | T): Promise<T> {
    const ms = Math.min(req.operationTimeoutMs ?? MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new WsmanServerFault(
              'TimedOut',
              'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.',
            ),
          ),
        ms,
      );
    });
    try {
      return await Promise.race([Promise.resolve(work), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** MaxElements defaults to 1 (WS-Enumeration) and is capped at MaxBatchItems. */
  #maxElements(text: string | undefined): number {
    const n = text === undefined ? 1 : Number(text.trim());
    if (!Number.isInteger(n) || n < 1) throw new WsmanServerFault('UnsupportedFeature', `MaxElements ${text} is not a positive integer.`);
    return Math.min(n, this.#o.maxBatchItems);
  }
}

function contextOf(req: WsmanRequest): string {
  const body = kids(req.body)[0];
  const ctx = children(body, 'EnumerationContext')[0]?.text.trim();
  if (!ctx) throw new WsmanServerFault('InvalidEnumerationContext', 'The request carries no EnumerationContext.');
  return ctx;
}
