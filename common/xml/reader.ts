import { SaxesParser } from 'saxes';

/**
 * One element of a SOAP response, namespace prefixes removed. Leaves carry `text`; `type` is
 * the xsi:type (polymorphic values such as ArrayOfVirtualDevice items) and `refType` the
 * `type` attribute of a managed object reference.
 */
export interface XmlNode {
  name: string;
  type: string | null;
  refType: string | null;
  text: string;
  children: XmlNode[] | null;
}

export interface ParseLimits {
  /** Refuse responses larger than this many bytes (a vCenter answer is far smaller). */
  maxBytes: number;
  /** Refuse documents nested deeper than this (vim25 data objects nest a dozen levels at most). */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxBytes: 256 * 1024 * 1024, maxDepth: 64 };

export class XmlRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlRejected';
  }
}

function sizeText(bytes: number): string {
  return bytes >= 1048576 ? `${Math.round(bytes / 1048576)} MB` : `${Math.round(bytes / 1024)} KB`;
}

function local(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

/** Element events with prefixes removed; text arrives for the innermost open element. */
export interface XmlEvents {
  open(name: string, type: string | null, refType: string | null): void;
  text(text: string): void;
  close(): void;
  /** Called between network chunks: a streaming consumer hands on what it decoded so far. */
  drain?(): Promise<void> | void;
}

/**
 * Incremental, hardened SAX front end: feed it the response chunks as they arrive, then end().
 * No DTDs: a DOCTYPE (the carrier of external and recursive entities) is refused outright, and
 * saxes knows only the five predefined entities, so nothing is ever fetched or expanded. Size
 * and depth are bounded.
 */
export class SaxReader {
  readonly #sax = new SaxesParser({ xmlns: false, position: false });
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  #depth = 0;
  #roots = 0;
  #bytes = 0;
  #error: Error | null = null;

  constructor(
    private readonly events: XmlEvents,
    private readonly limits: ParseLimits = DEFAULT_LIMITS,
  ) {
    const sax = this.#sax;
    sax.on('doctype', () => {
      throw new XmlRejected('the document has a DOCTYPE (DTDs and entity declarations are refused)');
    });
    sax.on('opentag', (tag) => {
      if (this.#depth >= this.limits.maxDepth) throw new XmlRejected(`elements nest deeper than ${this.limits.maxDepth} levels`);
      if (this.#depth === 0 && this.#roots++ > 0) throw new XmlRejected('more than one root element');
      this.#depth++;
      const attrs = tag.attributes as Record<string, string>;
      let type: string | null = null;
      let refType: string | null = null;
      for (const key in attrs) {
        if (local(key) === 'type') {
          if (key.includes(':')) type = local(attrs[key]!);
          else refType = attrs[key]!;
        }
      }
      this.events.open(local(tag.name), type, refType);
    });
    sax.on('text', (text) => {
      if (this.#depth > 0) this.events.text(text);
    });
    sax.on('cdata', (text) => {
      if (this.#depth > 0) this.events.text(text);
    });
    sax.on('closetag', () => {
      this.#depth--;
      this.events.close();
    });
    sax.on('error', (err) => {
      throw err;
    });
  }

  write(chunk: Uint8Array): void {
    if (this.#error) throw this.#error;
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.limits.maxBytes) {
      this.#error = new XmlRejected(`the response is larger than ${sizeText(this.limits.maxBytes)}`);
      throw this.#error;
    }
    try {
      this.#sax.write(this.#decoder.decode(chunk, { stream: true }));
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
      throw wrap(err);
    }
    if (this.#roots === 0) throw new XmlRejected('the response holds no XML element');
  }
}

function wrap(err: unknown): Error {
  return err instanceof XmlRejected ? err : new XmlRejected(`malformed XML (${(err as Error).message.split('\n')[0]})`);
}

/**
 * A copy of a string that does not point into the parser's chunk. V8 substrings share their
 * parent, so a kept machine name would otherwise pin a whole 64 KB response chunk in memory.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "utf8").toString("utf8"); // V8 makes sliced strings from 13 characters
}

/** Builds XmlNode trees from events; used for everything except the bulk QueryPerf stream. */
export class TreeBuilder implements XmlEvents {
  readonly #stack: XmlNode[] = [];
  root: XmlNode | null = null;

  open(name: string, type: string | null, refType: string | null): void {
    const node: XmlNode = { name, type, refType, text: '', children: null };
    const parent = this.#stack[this.#stack.length - 1];
    if (parent) (parent.children ??= []).push(node);
    else this.root = node;
    this.#stack.push(node);
  }
  text(text: string): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top && top.children === null) top.text += text;
  }
  close(): void {
    const node = this.#stack.pop();
    if (node && node.children === null) node.text = detach(node.text);
  }
}

/** Parses a whole document into a tree, with the same protections. */
export function parseXml(text: string | Uint8Array, limits: ParseLimits = DEFAULT_LIMITS): XmlNode {
  const builder = new TreeBuilder();
  const reader = new SaxReader(builder, limits);
  reader.write(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  reader.end();
  return builder.root!;
}

// ---- navigation helpers (no vSphere knowledge) ----------------------------------------------

export function child(node: XmlNode | null | undefined, name: string): XmlNode | null {
  if (!node?.children) return null;
  for (const c of node.children) if (c.name === name) return c;
  return null;
}

export function childrenNamed(node: XmlNode | null | undefined, name: string): XmlNode[] {
  if (!node?.children) return [];
  return node.children.filter((c) => c.name === name);
}

/** Text of a direct child, or null when absent. */
export function textOf(node: XmlNode | null | undefined, name: string): string | null {
  const c = child(node, name);
  return c ? c.text : null;
}

/** Follows a dotted path of child names ("hardware.device"). */
export function path(node: XmlNode | null | undefined, dotted: string): XmlNode | null {
  let cur: XmlNode | null | undefined = node;
  for (const part of dotted.split('.')) {
    cur = child(cur, part);
    if (!cur) return null;
  }
  return cur ?? null;
}
