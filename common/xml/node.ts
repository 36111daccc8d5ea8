// The one XML element type of the code base (vim25 client, WS-Man client, both lab servers) and the
// navigation helpers over it. Names are local (prefix removed); namespaces are resolved into `ns`.

export interface XmlNode {
  /** Local name. */
  name: string;
  /** Namespace URI ('' when unqualified). */
  ns: string;
  /** xsi:type (any prefixed `type` attribute), prefix removed: polymorphic vim25 values. */
  type: string | null;
  /** The unprefixed `type` attribute: a vim25 managed object reference's type. */
  refType: string | null;
  /** Unqualified attributes by name; qualified ones as "{uri}local". xmlns declarations are left out. */
  attrs: Readonly<Record<string, string>>;
  /** Text of a leaf; for an element with children, its non-blank text runs only. */
  text: string;
  /** null for a leaf (saves an array per value in large answers). */
  children: XmlNode[] | null;
  parent: XmlNode | null;
  /** Namespace declarations made on this element (prefix -> uri; '' is the default), for QName values. */
  bindings: Readonly<Record<string, string>> | null;
}

export const NO_ATTRS: Readonly<Record<string, string>> = Object.freeze({});
const NO_CHILDREN: readonly XmlNode[] = Object.freeze([]);

/** The children, or an empty list for a leaf. */
export function kids(node: XmlNode | null | undefined): readonly XmlNode[] {
  return node?.children ?? NO_CHILDREN;
}

/** First child with this local name (and namespace, when given). */
export function child(node: XmlNode | null | undefined, name: string, ns?: string): XmlNode | null {
  if (!node?.children) return null;
  for (const c of node.children) if (c.name === name && (ns === undefined || c.ns === ns)) return c;
  return null;
}

export function childrenNamed(node: XmlNode | null | undefined, name: string, ns?: string): XmlNode[] {
  if (!node?.children) return [];
  return node.children.filter((c) => c.name === name && (ns === undefined || c.ns === ns));
}

export const children = childrenNamed;

/** Text of a direct child, or null when absent. */
export function textOf(node: XmlNode | null | undefined, name: string): string | null {
  const c = child(node, name);
  return c ? c.text : null;
}

/** Trimmed text of a direct child, or undefined when absent. */
export function childText(node: XmlNode | null | undefined, name: string): string | undefined {
  const c = child(node, name);
  return c ? c.text.trim() : undefined;
}

/** Follows child names; each part may itself be dotted ("hardware.device"). */
export function path(node: XmlNode | null | undefined, ...parts: string[]): XmlNode | null {
  let cur: XmlNode | null = node ?? null;
  for (const part of parts) {
    for (const name of part.split('.')) {
      cur = child(cur, name);
      if (!cur) return null;
    }
  }
  return cur;
}

/** Depth-first search for the first descendant with this local name. */
export function find(node: XmlNode, name: string): XmlNode | null {
  for (const c of kids(node)) {
    if (c.name === name) return c;
    const deep = find(c, name);
    if (deep) return deep;
  }
  return null;
}

/** Resolves a QName value (as in `<s:Value>w:AccessDenied</s:Value>`) in the element's scope. */
export function resolveQName(node: XmlNode, qname: string): { ns: string; local: string } {
  const i = qname.indexOf(':');
  const prefix = i < 0 ? '' : qname.slice(0, i);
  const local = i < 0 ? qname : qname.slice(i + 1);
  for (let e: XmlNode | null = node; e; e = e.parent) {
    const uri = e.bindings?.[prefix];
    if (uri !== undefined) return { ns: uri, local };
  }
  return { ns: '', local };
}

/**
 * A copy of a string that does not point into the parser's chunk. V8 substrings share their
 * parent, so a kept machine name would otherwise pin a whole 64 KB response chunk in memory.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8'); // V8 makes sliced strings from 13 characters
}
