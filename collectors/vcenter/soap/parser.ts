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

/**
 * Incremental parser: feed it the response chunks as they arrive, then call end() for the root.
 * No DTDs: a DOCTYPE (the carrier of external and recursive entities) is refused outright, and
 * saxes knows only the five predefined entities, so nothing is ever fetched or expanded.
 */
export class TreeParser {
  readonly #sax = new SaxesParser({ xmlns: false, position: false });
  readonly #stack: XmlNode[] = [];
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  #root: XmlNode | null = null;
  #bytes = 0;
  #error: Error | null = null;

  constructor(private readonly limits: ParseLimits = DEFAULT_LIMITS) {
    const sax = this.#sax;
    sax.on('doctype', () => {
      throw new XmlRejected('the document has a DOCTYPE (DTDs and entity declarations are refused)');
    });
    sax.on('opentag', (tag) => {
      if (this.#stack.length >= this.limits.maxDepth) throw new XmlRejected(`elements nest deeper than ${this.limits.maxDepth} levels`);
      const attrs = tag.attributes as Record<string, string>;
      let type: string | null = null;
      let refType: string | null = null;
      for (const key in attrs) {
        const l = local(key);
        if (l === 'type') {
          if (key.includes(':')) type = local(attrs[key]!);
          else refType = attrs[key]!;
        }
      }
      const node: XmlNode = { name: local(tag.name), type, refType, text: '', children: null };
      const parent = this.#stack[this.#stack.length - 1];
      if (parent) (parent.children ??= []).push(node);
      else if (this.#root) throw new XmlRejected('more than one root element');
      else this.#root = node;
      this.#stack.push(node);
    });
    sax.on('text', (text) => {
      const top = this.#stack[this.#stack.length - 1];
      if (top && top.children === null) top.text += text;
    });
    sax.on('cdata', (text) => {
      const top = this.#stack[this.#stack.length - 1];
      if (top) top.text += text;
    });
    sax.on('closetag', () => {
      this.#stack.pop();
    });
    sax.on('error', (err) => {
      throw err;
    });
  }

  write(chunk: Uint8Array): void {
    if (this.#error) return;
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.limits.maxBytes) {
      this.#error = new XmlRejected(`the response is larger than ${sizeText(this.limits.maxBytes)}`);
      throw this.#error;
    }
    try {
      this.#sax.write(this.#decoder.decode(chunk, { stream: true }));
    } catch (err) {
      this.#error = err instanceof XmlRejected ? err : new XmlRejected(`malformed XML (${(err as Error).message.split('\n')[0]})`);
      throw this.#error;
    }
  }

  end(): XmlNode {
    if (this.#error) throw this.#error;
    try {
      const tail = this.#decoder.decode();
      if (tail) this.#sax.write(tail);
      this.#sax.close();
    } catch (err) {
      throw err instanceof XmlRejected ? err : new XmlRejected(`malformed XML (${(err as Error).message.split('\n')[0]})`);
    }
    if (!this.#root) throw new XmlRejected('the response holds no XML element');
    return this.#root;
  }
}

export function parseXml(text: string | Uint8Array, limits: ParseLimits = DEFAULT_LIMITS): XmlNode {
  const p = new TreeParser(limits);
  p.write(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  return p.end();
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
