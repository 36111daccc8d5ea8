// The one XML reader of the WS-Man stack (client responses, server requests, CIM-XML): saxes with
// namespaces into a small element tree. Writing is done with strings and escapeXml().
import { SaxesParser, type SaxesTagNS } from 'saxes';

export interface XmlElement {
  local: string;
  /** Namespace URI ('' when unqualified). */
  ns: string;
  prefix: string;
  /** Attributes by local name; namespaced attributes are also stored as "{uri}local". */
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  parent: XmlElement | null;
  /** Namespace declarations made on this element (prefix -> uri). */
  bindings: Record<string, string> | null;
}

export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export interface ParseOptions {
  /**
   * Called when an element closes; returning true detaches it from its parent. Lets a caller turn
   * each item into its own value as soon as it is complete, so a 500 KB batch never exists as one tree.
   */
  detach?: (el: XmlElement) => boolean;
}

/** State of one parse; the saxes parser itself is reused (it resets after close) because building one is costly. */
interface ParseState {
  root: XmlElement | null;
  cur: XmlElement | null;
  error: Error | null;
  detach: ((el: XmlElement) => boolean) | undefined;
}

let shared: { parser: SaxesParser<{ xmlns: true; position: false }>; st: ParseState } | null = null;

function newParser(): { parser: SaxesParser<{ xmlns: true; position: false }>; st: ParseState } {
  const st: ParseState = { root: null, cur: null, error: null, detach: undefined };
  const parser = new SaxesParser({ xmlns: true, position: false });
  parser.on('opentag', (tag: SaxesTagNS) => {
    // Hot path (tens of thousands of elements per poll): no intermediate arrays, shared empty objects.
    let attrs: Record<string, string> = NO_ATTRS;
    for (const key in tag.attributes) {
      const a = tag.attributes[key];
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      if (attrs === NO_ATTRS) attrs = {};
      attrs[a.local] = a.value;
      if (a.uri) attrs[`{${a.uri}}${a.local}`] = a.value;
    }
    let bindings: Record<string, string> | null = null;
    for (const _ in tag.ns) {
      bindings = tag.ns;
      break;
    }
    const cur = st.cur;
    const el: XmlElement = { local: tag.local, ns: tag.uri ?? '', prefix: tag.prefix, attrs, children: [], text: '', parent: cur, bindings };
    if (cur) cur.children.push(el);
    else st.root = el;
    st.cur = el;
  });
  parser.on('text', (t: string) => {
    if (st.cur) st.cur.text += t;
  });
  parser.on('cdata', (t: string) => {
    if (st.cur) st.cur.text += t;
  });
  parser.on('closetag', () => {
    const el = st.cur;
    const parent = el?.parent ?? null;
    if (el && parent && st.detach?.(el)) parent.children.pop();
    st.cur = parent;
  });
  parser.on('error', (e: Error) => {
    st.error ??= e;
  });
  return { parser, st };
}

export function parseXml(text: string, opts: ParseOptions = {}): XmlElement {
  // A nested call (from a detach callback) gets its own parser; the shared one is busy.
  const p = shared ?? newParser();
  shared = null;
  const st = p.st;
  st.root = null;
  st.cur = null;
  st.error = null;
  st.detach = opts.detach;
  let reusable = true;
  try {
    p.parser.write(text).close();
  } catch (e) {
    st.error ??= e as Error;
    reusable = false;
  }
  const { root, error } = st;
  st.root = null;
  st.cur = null;
  st.detach = undefined;
  // After an error saxes may be mid-state; only a clean parser goes back.
  if (reusable && !error) shared = p;
  if (error) throw new XmlSyntaxError(`invalid XML: ${error.message}`);
  if (!root) throw new XmlSyntaxError('invalid XML: no root element');
  return root;
}

/** First child with this local name (and namespace, when given). */
export function child(el: XmlElement | null | undefined, local: string, ns?: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.local === local && (ns === undefined || c.ns === ns)) return c;
  return undefined;
}

export function children(el: XmlElement | null | undefined, local: string, ns?: string): XmlElement[] {
  if (!el) return [];
  return el.children.filter((c) => c.local === local && (ns === undefined || c.ns === ns));
}

/** Follows a path of local names. */
export function path(el: XmlElement | null | undefined, ...locals: string[]): XmlElement | undefined {
  let cur: XmlElement | undefined = el ?? undefined;
  for (const l of locals) cur = child(cur, l);
  return cur;
}

/** Depth-first search for the first descendant with this local name. */
export function find(el: XmlElement, local: string): XmlElement | undefined {
  for (const c of el.children) {
    if (c.local === local) return c;
    const deep = find(c, local);
    if (deep) return deep;
  }
  return undefined;
}

/** Resolves a QName's prefix (as in `<s:Value>w:AccessDenied</s:Value>`) in the element's scope. */
export function resolveQName(el: XmlElement, qname: string): { ns: string; local: string } {
  const i = qname.indexOf(':');
  const prefix = i < 0 ? '' : qname.slice(0, i);
  const local = i < 0 ? qname : qname.slice(i + 1);
  for (let e: XmlElement | null = el; e; e = e.parent) {
    const uri = e.bindings?.[prefix];
    if (uri !== undefined) return { ns: uri, local };
  }
  return { ns: '', local };
}

export { escapeXml } from '../../common/xml/escape.js';
