// The server's enumeration contexts (MS-WSMV §3.1.5): idle expiry after EnumerationTimeoutms,
// single-use ids (every PullResponse issues a new one), batches bounded by MaxElements and by
// MaxEnvelopeSize.
import { randomUUID } from 'node:crypto';
import { ENVELOPE_OVERHEAD, renderItem } from './render.js';
import { WsmanServerFault, type RenderedItem } from './types.js';

interface Enumeration {
  items: RenderedItem[];
  pos: number;
  user: string;
  resourceUri: string;
  expiresAt: number;
}

export interface Batch {
  items: string[];
  done: boolean;
}

export class EnumerationTable {
  readonly #contexts = new Map<string, Enumeration>();
  readonly #timeoutMs: number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.#timeoutMs = Math.max(500, timeoutMs);
    // Expired contexts are refused on lookup; the sweep only frees their memory.
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(this.#timeoutMs, 30_000));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#contexts.size;
  }

  /** Starts an enumeration and returns its first context id. */
  open(items: RenderedItem[], user: string, resourceUri: string): { id: string } {
    const id = newContextId();
    this.#contexts.set(id, { items, pos: 0, user, resourceUri, expiresAt: Date.now() + this.#timeoutMs });
    return { id };
  }

  /** Takes the next batch from an open context. The old id is consumed; a new one is returned unless done. */
  next(id: string, user: string, maxElements: number, maxEnvelopeSize: number): { batch: Batch; id: string | null } {
    const e = this.#take(id, user);
    const batch = takeBatch(e, maxElements, maxEnvelopeSize);
    if (batch.done) return { batch, id: null };
    const fresh = newContextId();
    e.expiresAt = Date.now() + this.#timeoutMs;
    this.#contexts.set(fresh, e);
    return { batch, id: fresh };
  }

  /** Batch for an optimized EnumerateResponse: continues under the same id when items remain. */
  firstBatch(id: string, maxElements: number, maxEnvelopeSize: number): { batch: Batch; id: string | null } {
    const e = this.#contexts.get(id);
    if (!e) throw new WsmanServerFault('InvalidEnumerationContext', 'The enumeration context is not valid.');
    let batch: Batch;
    try {
      batch = takeBatch(e, maxElements, maxEnvelopeSize);
    } catch (err) {
      // A fault on the first batch ends the enumeration: the client never learns this id.
      this.#contexts.delete(id);
      throw err;
    }
    if (batch.done) {
      this.#contexts.delete(id);
      return { batch, id: null };
    }
    e.expiresAt = Date.now() + this.#timeoutMs;
    return { batch, id };
  }

  /** Expires every open context now, as the host's garbage-collection timer would. */
  expireAll(): void {
    this.#contexts.clear();
  }

  release(id: string, user: string): void {
    this.#take(id, user);
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#contexts.clear();
  }

  #take(id: string, user: string): Enumeration {
    const e = this.#contexts.get(id);
    this.#contexts.delete(id);
    if (!e || e.expiresAt <= Date.now() || e.user !== user) {
      throw new WsmanServerFault(
        'InvalidEnumerationContext',
        'The WS-Management service cannot process the request because the enumeration context supplied in the message is not valid. The enumeration may have expired or been completed.',
      );
    }
    return e;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, e] of this.#contexts) if (e.expiresAt <= now) this.#contexts.delete(id);
  }
}

function newContextId(): string {
  return `uuid:${randomUUID().toUpperCase()}`;
}

function takeBatch(e: Enumeration, maxElements: number, maxEnvelopeSize: number): Batch {
  const budget = maxEnvelopeSize - ENVELOPE_OVERHEAD;
  const out: string[] = [];
  let size = 0;
  for (let item = e.items[e.pos]; item !== undefined && out.length < maxElements; item = e.items[e.pos]) {
    const xml = renderItem(item);
    const len = Buffer.byteLength(xml);
    if (out.length === 0 && len > budget) {
      throw new WsmanServerFault(
        'EncodingLimit',
        `The item (${len} bytes) does not fit in MaxEnvelopeSize ${maxEnvelopeSize}. Raise MaxEnvelopeSize.`,
      );
    }
    if (size + len > budget) break;
    out.push(xml);
    size += len;
    e.pos++;
  }
  return { items: out, done: e.pos >= e.items.length };
}
