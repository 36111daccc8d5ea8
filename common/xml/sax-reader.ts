// The one hardened streaming XML reader: saxes fed chunk by chunk, every cap checked as the data
// arrives (bytes, depth, elements, text), DOCTYPE refused, namespace prefixes resolved.
import { SaxesParser } from 'saxes';
import { DEFAULT_LIMITS, XmlLimitError, XmlRejected, bytesExceeded, countText, limitsWith, type XmlLimits } from './limits.js';
import { NO_ATTRS, type XmlNode } from './node.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Element events; text arrives for the innermost open element. */
export interface XmlEvents {
  /** `node` (always given by SaxReader) is the new element, not yet linked: a tree builder links it, a decoder ignores it. */
  open(name: string, type: string | null, refType: string | null, node?: XmlNode): void;
  text(text: string): void;
  close(): void;
  /** Called between network chunks: a streaming consumer hands on what it decoded so far. */
  drain?(): Promise<void> | void;
}

export interface ReaderOptions extends Partial<XmlLimits> {
  /** How messages name the document ("the response", "the request"). */
  subject?: string;
}

interface Scope {
  depth: number;
  prefix: string;
  uri: string;
}

function prefixOf(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? '' : qname.slice(0, i);
}

function localOf(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}

/**
 * Feed it the document's bytes as they arrive, then end(). No DTDs: a DOCTYPE (the carrier of
 * external and recursive entities) is refused outright, and saxes knows only the five predefined
 * entities, so nothing is ever fetched or expanded. Namespaces are resolved here rather than by
 * saxes' xmlns mode, which is slower; an undeclared prefix resolves to '' (lenient, as vim25 peers
 * are not always tidy) instead of failing the answer.
 */
export class SaxReader {
  readonly #sax = new SaxesParser({ xmlns: false, position: false });
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  readonly #limits: XmlLimits;
  readonly #subject: string;
  readonly #scopes: Scope[] = [];
  readonly #attrNames = new Map<string, { key: string; isType: boolean }>();
  #depth = 0;
  #roots = 0;
  #bytes = 0;
  #elements = 0;
  #run = 0;
  #error: Error | null = null;

  constructor(
    private readonly events: XmlEvents,
    limits: ReaderOptions = DEFAULT_LIMITS,
  ) {
    this.#limits = limitsWith(limits);
    this.#subject = limits.subject ?? 'the response';
    const sax = this.#sax;
    sax.on('doctype', () => {
      throw new XmlRejected('the document has a DOCTYPE (DTDs and entity declarations are refused)', 'doctype');
    });
    sax.on('opentag', (tag) => this.#open(tag.name, tag.attributes as Record<string, string>));
    sax.on('text', (text) => this.#text(text));
    sax.on('cdata', (text) => this.#text(text));
    sax.on('closetag', () => {
      this.#run = 0;
      const scopes = this.#scopes;
      if (scopes.length > 0 && (scopes[scopes.length - 1] as Scope).depth === this.#depth) {
        while (scopes.length > 0 && (scopes[scopes.length - 1] as Scope).depth === this.#depth) scopes.pop();
        this.#attrNames.clear();
      }
      this.#depth--;
      this.events.close();
    });
    sax.on('error', (err) => {
      throw err;
    });
  }

  /** Bytes read so far. */
  get bytes(): number {
    return this.#bytes;
  }

  write(chunk: Uint8Array | string): void {
    if (this.#error) throw this.#error;
    try {
      if (typeof chunk === 'string') {
        // Callers with text in hand: count its UTF-8 size without encoding it.
        this.#count(Buffer.byteLength(chunk, 'utf8'));
        this.#sax.write(chunk);
      } else {
        this.#count(chunk.byteLength);
        this.#sax.write(this.#decoder.decode(chunk, { stream: true }));
      }
      this.#checkPendingText();
    } catch (err) {
      this.#error = wrap(err);
      throw this.#error;
    }
  }

  end(): void {
    if (this.#error) throw this.#error;
    try {
      const tail = this.#decoder.decode();
      if (tail) this.#sax.write(tail);
      this.#sax.close();
    } catch (err) {
      this.#error = wrap(err);
      throw this.#error;
    }
    if (this.#roots === 0) throw new XmlRejected(`${this.#subject} holds no XML element`, 'empty');
  }

  #count(n: number): void {
    this.#bytes += n;
    if (this.#bytes > this.#limits.maxBytes) throw bytesExceeded(this.#limits.maxBytes, this.#subject);
  }

  #textExceeded(): XmlLimitError {
    const max = this.#limits.maxTextLength;
    return new XmlLimitError('maxTextLength', max, `a text node of ${this.#subject} exceeded ${countText(max)} characters`);
  }

  /** saxes holds a text run until the next tag: look at what it holds, so one huge text fails while it streams. */
  #checkPendingText(): void {
    const pending = (this.#sax as unknown as { text?: unknown }).text;
    if (typeof pending === 'string' && this.#run + pending.length > this.#limits.maxTextLength) throw this.#textExceeded();
  }

  #text(text: string): void {
    this.#run += text.length;
    if (this.#run > this.#limits.maxTextLength) throw this.#textExceeded();
    if (this.#depth > 0) this.events.text(text);
  }

  #open(qname: string, attributes: Record<string, string>): void {
    const limits = this.#limits;
    this.#run = 0;
    if (this.#depth >= limits.maxDepth)
      throw new XmlLimitError('maxDepth', limits.maxDepth, `elements nest deeper than ${limits.maxDepth} levels`);
    if (++this.#elements > limits.maxElements) {
      throw new XmlLimitError('maxElements', limits.maxElements, `${this.#subject} exceeded ${countText(limits.maxElements)} elements`);
    }
    if (this.#depth === 0 && this.#roots++ > 0) throw new XmlRejected('more than one root element');
    this.#depth++;
    // Hot path (hundreds of thousands of elements per answer): one pass, objects only when needed.
    // Prefixed attributes wait until this element's own declarations are known.
    let bindings: Record<string, string> | null = null;
    let attrs: Record<string, string> = NO_ATTRS as Record<string, string>;
    let prefixed: string[] | null = null;
    let type: string | null = null;
    let refType: string | null = null;
    for (const key in attributes) {
      const value = attributes[key] ?? '';
      const colon = key.indexOf(':');
      if (key === 'xmlns' || (colon === 5 && key.startsWith('xmlns'))) {
        const prefix = colon < 0 ? '' : key.slice(6);
        bindings ??= {};
        bindings[prefix] = value;
        this.#scopes.push({ depth: this.#depth, prefix, uri: value });
        this.#attrNames.clear();
      } else if (colon < 0) {
        if (attrs === NO_ATTRS) attrs = {};
        attrs[key] = value;
        if (key === 'type') refType = value;
      } else {
        prefixed ??= [];
        prefixed.push(key);
      }
    }
    if (prefixed) {
      if (attrs === NO_ATTRS) attrs = {};
      for (const key of prefixed) {
        const value = attributes[key] ?? '';
        const name = this.#attrName(key);
        attrs[name.key] = value;
        if (name.isType) type = localOf(value);
      }
    }
    const node: XmlNode = {
      name: localOf(qname),
      ns: this.#resolve(prefixOf(qname)),
      type,
      refType,
      attrs,
      text: '',
      children: null,
      parent: null,
      bindings,
    };
    this.events.open(node.name, type, refType, node);
  }

  /** "{uri}local" for a prefixed attribute, cached until a declaration changes the scope (xsi:type on every value). */
  #attrName(qname: string): { key: string; isType: boolean } {
    let name = this.#attrNames.get(qname);
    if (!name) {
      const colon = qname.indexOf(':');
      const local = qname.slice(colon + 1);
      name = { key: `{${this.#resolve(qname.slice(0, colon))}}${local}`, isType: local === 'type' };
      this.#attrNames.set(qname, name);
    }
    return name;
  }

  #resolve(prefix: string): string {
    const scopes = this.#scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const s = scopes[i] as Scope;
      if (s.prefix === prefix) return s.uri;
    }
    return prefix === 'xml' ? XML_NS : '';
  }
}

function wrap(err: unknown): Error {
  return err instanceof XmlRejected ? err : new XmlRejected(`malformed XML (${String((err as Error)?.message ?? err).split('\n')[0]})`);
}
