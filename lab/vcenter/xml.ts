// XML for the lab vCenter: requests are small, so they are parsed (with saxes) into a light element
// tree; responses can be large, so they are built as strings and streamed in chunks.
import { SaxesParser } from 'saxes';

/** One element of a parsed request, with namespace prefixes stripped from names and xsi:type. */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Requests larger than this are refused: the real subset clients send is far smaller. */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
const MAX_DEPTH = 64;

export class XmlRequestError extends Error {}

const localName = (qname: string): string => {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
};

/** Parses a request body; DOCTYPE (and so any entity declaration) is refused. */
export function parseXml(text: string): XmlNode {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  let failure: Error | null = null;
  parser.on('doctype', () => {
    failure ??= new XmlRequestError('DOCTYPE is not allowed in a SOAP request');
  });
  parser.on('error', (err) => {
    failure ??= new XmlRequestError(`malformed XML: ${err.message}`);
  });
  parser.on('opentag', (tag) => {
    if (stack.length > MAX_DEPTH) {
      failure ??= new XmlRequestError(`XML nested deeper than ${MAX_DEPTH} elements`);
      return;
    }
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(tag.attributes as Record<string, string>)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
      // A prefixed "type" is xsi:type (its value loses its prefix too); a bare "type" is a MoRef's type.
      if (k !== 'type' && localName(k) === 'type') attrs['xsi:type'] = localName(v);
      else attrs[localName(k)] = v;
    }
    const node: XmlNode = { name: localName(tag.name), attrs, children: [], text: '' };
    stack[stack.length - 1].children.push(node);
    stack.push(node);
  });
  parser.on('text', (t) => {
    if (stack.length > 1) stack[stack.length - 1].text += t;
  });
  parser.on('cdata', (t) => {
    if (stack.length > 1) stack[stack.length - 1].text += t;
  });
  parser.on('closetag', () => {
    if (stack.length > 1) stack.pop();
  });
  try {
    parser.write(text).close();
  } catch (err) {
    failure ??= new XmlRequestError(`malformed XML: ${(err as Error).message}`);
  }
  if (failure) throw failure;
  return root;
}

export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

export function children(node: XmlNode, name: string): XmlNode[] {
  return node.children.filter((c) => c.name === name);
}

export function childText(node: XmlNode, name: string): string | undefined {
  const c = child(node, name);
  return c ? c.text.trim() : undefined;
}

/** The xsi:type of an element (prefix stripped), when present. */
export function xsiType(node: XmlNode): string | undefined {
  return node.attrs['xsi:type'];
}

export { escapeXml as esc } from '../../common/xml/escape.js';

/** vim25 dateTime, as vCenter writes it (UTC, "Z"). */
export function isoTime(ms: number, withMillis = false): string {
  const s = new Date(ms).toISOString();
  return withMillis ? s : s.slice(0, 19) + 'Z';
}
