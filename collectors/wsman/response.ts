// Client-side reading of response envelopes: items in both shapes (full class elements and
// w:XmlFragment projections), nil, arrays, cim:Datetime/Interval, EPRs and nested instances.
import type { CimInstance, CimValue, EndpointReference } from './cim.js';
import { NS } from './namespaces.js';
import { child, children, kids, parseXml, path, type ParseOptions, type XmlNode } from '../../common/xml/reader.js';

const XSI_NIL = `{${NS.xsi}}nil`;
const XSI_TYPE = `{${NS.xsi}}type`;

function isNil(el: XmlNode): boolean {
  const v = el.attrs[XSI_NIL];
  return v !== undefined && v.trim().toLowerCase() === 'true';
}

function parseEpr(el: XmlNode): EndpointReference {
  const params = child(el, 'ReferenceParameters');
  const selectors: Record<string, string> = {};
  for (const s of children(child(params, 'SelectorSet'), 'Selector')) selectors[s.attrs.Name ?? ''] = s.text;
  return { address: child(el, 'Address')?.text.trim() ?? '', resourceUri: child(params, 'ResourceURI')?.text.trim() ?? '', selectors };
}

function cimValueOf(el: XmlNode): CimValue {
  if (isNil(el)) return null;
  const first = el.children?.[0];
  if (!el.children || !first) return el.text;
  const only = el.children.length === 1;
  if (only && (first.name === 'Datetime' || first.name === 'Date' || first.name === 'Time')) return { datetime: first.text.trim() };
  if (only && first.name === 'Interval') return { interval: first.text.trim() };
  if (child(el, 'Address') && child(el, 'ReferenceParameters')) return parseEpr(el);
  return { className: classNameOf(el, el.name), properties: propertiesOf(el) };
}

function classNameOf(el: XmlNode, fallback: string): string {
  const t = el.attrs[XSI_TYPE];
  if (t) {
    const local = t.slice(t.indexOf(':') + 1);
    return local.endsWith('_Type') ? local.slice(0, -5) : local;
  }
  return fallback;
}

/** Children become properties; a name seen more than once becomes an array, in document order. */
function propertiesOf(el: XmlNode): Record<string, CimValue> {
  const props: Record<string, CimValue> = {};
  for (const c of kids(el)) {
    const v = cimValueOf(c);
    const prev = props[c.name];
    if (!Object.hasOwn(props, c.name) || prev === undefined) {
      props[c.name] = v;
    } else {
      // cimValueOf never returns an array, so an array here is one this loop built.
      if (Array.isArray(prev)) prev.push(v);
      else props[c.name] = [prev, v];
    }
  }
  return props;
}

/** One item of w:Items / n:Items (or the body of a GetResponse) as a CimInstance. */
export function itemToInstance(el: XmlNode, fallbackClass = ''): CimInstance {
  if (el.name === 'XmlFragment') return { className: fallbackClass, properties: propertiesOf(el) };
  return { className: classNameOf(el, el.name), properties: propertiesOf(el) };
}

export interface EnumerationBatch {
  items: CimInstance[];
  context: string | null;
  endOfSequence: boolean;
}

/**
 * Parses a response, converting each item of w:Items / n:Items to a CimInstance as soon as it is
 * complete (the item's XML subtree is dropped right away, keeping memory flat on large batches).
 */
export function parseWithItems(
  text: string,
  fallbackClass: string,
  limits: ParseOptions = {},
): { envelope: XmlNode; items: CimInstance[] } {
  const items: CimInstance[] = [];
  const envelope = parseXml(text, {
    ...limits,
    detach: (el) => {
      const parent = el.parent;
      if (parent?.name !== 'Items' || (parent.ns !== NS.w && parent.ns !== NS.n)) return false;
      items.push(itemToInstance(el, fallbackClass));
      return true;
    },
  });
  return { envelope, items };
}

/**
 * EnumerateResponse or PullResponse: the newest context, the items, and EndOfSequence in any
 * namespace. `items` are those parseWithItems() already took out of the tree, if it was used.
 */
export function parseEnumerationBatch(envelope: XmlNode, fallbackClass: string, detached: CimInstance[] = []): EnumerationBatch {
  const body = child(envelope, 'Body');
  const resp = child(body, 'EnumerateResponse') ?? child(body, 'PullResponse');
  if (!resp) throw new Error(`expected EnumerateResponse or PullResponse, got ${kids(body)[0]?.name ?? 'an empty body'}`);
  const ctx = child(resp, 'EnumerationContext')?.text.trim() ?? '';
  const items = child(resp, 'Items');
  return {
    items: items?.children ? detached.concat(items.children.map((i) => itemToInstance(i, fallbackClass))) : detached,
    context: ctx || null,
    endOfSequence: child(resp, 'EndOfSequence') !== null,
  };
}

/** GetResponse / method output: the single element in the body. */
export function parseBodyInstance(envelope: XmlNode): CimInstance {
  const body = child(envelope, 'Body');
  const el = kids(body)[0];
  if (!el) throw new Error('the response body is empty');
  const inst = itemToInstance(el);
  // Method outputs are named <Method>_OUTPUT; keep that as the class name so callers can check it.
  return inst;
}

export function headerValue(envelope: XmlNode, local: string): string | null {
  return path(envelope, 'Header', local)?.text.trim() ?? null;
}
