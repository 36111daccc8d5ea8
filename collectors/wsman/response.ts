// Client-side reading of response envelopes: items in both shapes (full class elements and
// w:XmlFragment projections), nil, arrays, cim:Datetime/Interval, EPRs and nested instances.
import type { CimInstance, CimValue, EndpointReference } from './cim.js';
import { NS } from './namespaces.js';
import { child, children, parseXml, path, type XmlElement } from './xml.js';

const XSI_NIL = `{${NS.xsi}}nil`;
const XSI_TYPE = `{${NS.xsi}}type`;

function isNil(el: XmlElement): boolean {
  const v = el.attrs[XSI_NIL];
  return v !== undefined && v.trim().toLowerCase() === 'true';
}

function parseEpr(el: XmlElement): EndpointReference {
  const params = child(el, 'ReferenceParameters');
  const selectors: Record<string, string> = {};
  for (const s of children(child(params, 'SelectorSet'), 'Selector')) selectors[s.attrs.Name ?? ''] = s.text;
  return { address: child(el, 'Address')?.text.trim() ?? '', resourceUri: child(params, 'ResourceURI')?.text.trim() ?? '', selectors };
}

function valueOf(el: XmlElement): CimValue {
  if (isNil(el)) return null;
  if (el.children.length === 0) return el.text;
  const first = el.children[0];
  if (el.children.length === 1 && (first.local === 'Datetime' || first.local === 'Date' || first.local === 'Time')) {
    return { datetime: first.text.trim() };
  }
  if (el.children.length === 1 && first.local === 'Interval') return { interval: first.text.trim() };
  if (child(el, 'Address') && child(el, 'ReferenceParameters')) return parseEpr(el);
  return { className: classNameOf(el, el.local), properties: propertiesOf(el) };
}

function classNameOf(el: XmlElement, fallback: string): string {
  const t = el.attrs[XSI_TYPE];
  if (t) {
    const local = t.slice(t.indexOf(':') + 1);
    return local.endsWith('_Type') ? local.slice(0, -5) : local;
  }
  return fallback;
}

/** Children become properties; a name seen more than once becomes an array, in document order. */
function propertiesOf(el: XmlElement): Record<string, CimValue> {
  const props: Record<string, CimValue> = {};
  for (const c of el.children) {
    const v = valueOf(c);
    if (!Object.hasOwn(props, c.local)) {
      props[c.local] = v;
    } else {
      const prev = props[c.local];
      // valueOf never returns an array, so an array here is one this loop built.
      if (Array.isArray(prev)) prev.push(v);
      else props[c.local] = [prev, v];
    }
  }
  return props;
}

/** One item of w:Items / n:Items (or the body of a GetResponse) as a CimInstance. */
export function itemToInstance(el: XmlElement, fallbackClass = ''): CimInstance {
  if (el.local === 'XmlFragment') return { className: fallbackClass, properties: propertiesOf(el) };
  return { className: classNameOf(el, el.local), properties: propertiesOf(el) };
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
export function parseWithItems(text: string, fallbackClass: string): { envelope: XmlElement; items: CimInstance[] } {
  const items: CimInstance[] = [];
  const envelope = parseXml(text, {
    detach: (el) => {
      const parent = el.parent;
      if (!parent || parent.local !== 'Items' || (parent.ns !== NS.w && parent.ns !== NS.n)) return false;
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
export function parseEnumerationBatch(envelope: XmlElement, fallbackClass: string, detached: CimInstance[] = []): EnumerationBatch {
  const body = child(envelope, 'Body');
  const resp = child(body, 'EnumerateResponse') ?? child(body, 'PullResponse');
  if (!resp) throw new Error(`expected EnumerateResponse or PullResponse, got ${body?.children[0]?.local ?? 'an empty body'}`);
  const ctx = child(resp, 'EnumerationContext')?.text.trim() ?? '';
  const items = child(resp, 'Items');
  return {
    items: items && items.children.length ? detached.concat(items.children.map((i) => itemToInstance(i, fallbackClass))) : detached,
    context: ctx || null,
    endOfSequence: child(resp, 'EndOfSequence') !== undefined,
  };
}

/** GetResponse / method output: the single element in the body. */
export function parseBodyInstance(envelope: XmlElement): CimInstance {
  const body = child(envelope, 'Body');
  const el = body?.children[0];
  if (!el) throw new Error('the response body is empty');
  const inst = itemToInstance(el);
  // Method outputs are named <Method>_OUTPUT; keep that as the class name so callers can check it.
  return inst;
}

export function headerValue(envelope: XmlElement, local: string): string | null {
  return path(envelope, 'Header', local)?.text.trim() ?? null;
}
