// PropertyCollector retrieval (govmomi: property.Collector): one paged, streaming implementation.
import { TreeBuilder, child, childrenNamed, textOf, type XmlEvents, type XmlNode } from '../../../common/xml/reader.js';
import { el, moRef, typed, type MoRef } from '../soap/xml.js';
import { toMoRef, type VimCaller } from './caller.js';

export interface PropertySpec {
  type: string;
  /** Property paths to read; with `all`, every property. */
  pathSet?: readonly string[];
  all?: boolean;
}

export interface TraversalSpec {
  name?: string;
  type: string;
  path: string;
  skip?: boolean;
  selectSet?: readonly TraversalSpec[];
}

export interface ObjectSpec {
  obj: MoRef;
  skip?: boolean;
  selectSet?: readonly TraversalSpec[];
}

export interface PropertyFilterSpec {
  propSet: readonly PropertySpec[];
  objectSet: readonly ObjectSpec[];
}

/** One object of the answer: its reference, its properties (path -> value element) and the paths it could not read. */
export interface ObjectContent {
  obj: MoRef;
  props: Map<string, XmlNode>;
  /** missingSet paths (e.g. of an inaccessible VM); absent when there were none. */
  missing?: string[];
}

export interface RetrieveOptions {
  /** RetrieveOptions.maxObjects: objects per page (the server may send fewer). */
  maxObjects?: number;
  /** Called after each page with the page's object count; return false to stop (the rest is cancelled). */
  onPage?: (objects: number) => boolean | undefined;
}

export interface RetrieveResult {
  pages: number;
  objects: number;
  /** True when onPage stopped the retrieval before the last page. */
  stopped: boolean;
}

function traversalXml(t: TraversalSpec): string {
  const inner =
    (t.name === undefined ? '' : el('name', t.name)) +
    el('type', t.type) +
    el('path', t.path) +
    (t.skip === undefined ? '' : el('skip', t.skip)) +
    (t.selectSet ?? []).map(traversalXml).join('');
  return typed('selectSet', 'TraversalSpec', inner);
}

/** The specSet argument of RetrievePropertiesEx, elements in WSDL order. */
export function filterSpecXml(spec: PropertyFilterSpec): string {
  let xml = '<specSet>';
  for (const p of spec.propSet) {
    xml += `<propSet>${el('type', p.type)}${p.all === undefined ? '' : el('all', p.all)}${(p.pathSet ?? []).map((x) => el('pathSet', x)).join('')}</propSet>`;
  }
  for (const o of spec.objectSet) {
    xml += `<objectSet>${moRef('obj', o.obj)}${o.skip === undefined ? '' : el('skip', o.skip)}${(o.selectSet ?? []).map(traversalXml).join('')}</objectSet>`;
  }
  return `${xml}</specSet>`;
}

/**
 * RetrievePropertiesEx, then ContinueRetrievePropertiesEx while a token comes back; each object
 * goes to `onObject` as soon as it is parsed (only one object is ever held as a tree). When
 * onPage stops early, or onObject throws, CancelRetrievePropertiesEx frees the server's cursor.
 */
export async function retrieveProperties(
  caller: VimCaller,
  collector: MoRef,
  spec: PropertyFilterSpec,
  onObject: (obj: ObjectContent) => void,
  opts: RetrieveOptions = {},
): Promise<RetrieveResult> {
  const result: RetrieveResult = { pages: 0, objects: 0, stopped: false };
  const options = opts.maxObjects === undefined ? '<options/>' : `<options>${el('maxObjects', opts.maxObjects)}</options>`;
  // Resolves with the page's continuation token (null after the last page).
  const page = async (method: string, body: string): Promise<string | null> => {
    const stream = new ObjectContentStream(onObject);
    try {
      await caller.callStream(method, collector, body, stream);
    } catch (err) {
      // The consumer failed mid-page (the token comes before the objects): the server still holds the rest.
      if (stream.token && stream.consumerFailed) await cancel(caller, collector, stream.token);
      throw err;
    }
    result.pages++;
    result.objects += stream.objects;
    const more = opts.onPage?.(stream.objects) !== false;
    if (stream.token && !more) {
      await cancel(caller, collector, stream.token);
      result.stopped = true;
      return null;
    }
    return stream.token;
  };
  let token = await page('RetrievePropertiesEx', filterSpecXml(spec) + options);
  while (token) token = await page('ContinueRetrievePropertiesEx', el('token', token));
  return result;
}

/** CancelRetrievePropertiesEx, best effort: the server forgets an idle cursor anyway. */
async function cancel(caller: VimCaller, collector: MoRef, token: string): Promise<void> {
  await caller.call('CancelRetrievePropertiesEx', collector, el('token', token)).catch(() => undefined);
}

/** Every object the spec selects, read in one go (small answers: one object's properties). */
export async function retrieveAll(caller: VimCaller, collector: MoRef, spec: PropertyFilterSpec): Promise<ObjectContent[]> {
  const all: ObjectContent[] = [];
  await retrieveProperties(caller, collector, spec, (o) => all.push(o));
  return all;
}

/** An object's properties from its `<objects>` element. */
export function objectContent(node: XmlNode): ObjectContent | null {
  const obj = toMoRef(child(node, 'obj'));
  if (!obj) return null;
  const props = new Map<string, XmlNode>();
  for (const p of childrenNamed(node, 'propSet')) {
    const name = textOf(p, 'name');
    const val = child(p, 'val');
    if (name && val) props.set(name, val);
  }
  const content: ObjectContent = { obj, props };
  const missing = childrenNamed(node, 'missingSet');
  if (missing.length) content.missing = missing.map((m) => textOf(m, 'path') ?? '');
  return content;
}

/**
 * Events of a RetrievePropertiesExResponse / ContinueRetrievePropertiesExResponse: returnval >
 * objects* (each built as a small tree, handed on, then dropped) and token.
 */
class ObjectContentStream implements XmlEvents {
  token: string | null = null;
  objects = 0;
  consumerFailed = false;
  #depth = 0;
  #builder: TreeBuilder | null = null;
  #text = '';
  constructor(private readonly onObject: (obj: ObjectContent) => void) {}

  open(name: string, type: string | null, refType: string | null): void {
    this.#depth++;
    if (this.#depth === 3 && name === 'objects') this.#builder = new TreeBuilder();
    this.#text = '';
    this.#builder?.open(name, type, refType);
  }
  text(text: string): void {
    if (this.#builder) this.#builder.text(text);
    else this.#text += text;
  }
  close(): void {
    if (this.#builder) {
      this.#builder.close();
      if (this.#depth === 3) this.#emit(this.#builder.root);
    } else if (this.#depth === 3) {
      this.token = this.#text.trim() || null;
    }
    this.#depth--;
  }
  #emit(root: XmlNode | null): void {
    this.#builder = null;
    const content = root && objectContent(root);
    if (!content) return;
    this.objects++;
    try {
      this.onObject(content);
    } catch (err) {
      this.consumerFailed = true;
      throw err;
    }
  }
}
