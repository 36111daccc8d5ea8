// PropertyCollector: RetrievePropertiesEx / ContinueRetrievePropertiesEx / CancelRetrievePropertiesEx
// and the older RetrieveProperties. Filter specs are read from the request (ObjectSpec + TraversalSpec
// + SelectionSpec by name, PropertySpec with pathSet or all), the selected objects are resolved once
// per retrieval, and each page is written object by object as strings.
import { faults } from './soap.js';
import { KNOWN_TYPES, isA, type MoRef } from './model.js';
import { propertiesOf, type PropertyContext } from './properties.js';
import { NO_SUCH_PATH, anyXml, resolvePath, type Val } from './values.js';
import { escapeXml as esc } from '../../common/xml/escape.js';
import { child, childText, children, type XmlNode } from '../../common/xml/reader.js';

interface PropertySpec {
  type: string;
  all: boolean;
  pathSet: string[];
}
interface SelectionSpec {
  name?: string;
  /** Present for a TraversalSpec; a plain SelectionSpec only refers to a named TraversalSpec. */
  traversal?: { type: string; path: string; skip: boolean; selectSet: SelectionSpec[] };
}
interface ObjectSpec {
  obj: MoRef;
  skip: boolean;
  selectSet: SelectionSpec[];
}
export interface FilterSpec {
  propSet: PropertySpec[];
  objectSet: ObjectSpec[];
}

export function parseMoRef(node: XmlNode | null | undefined, what: string): MoRef {
  const type = node?.refType;
  const value = node?.text.trim();
  if (!node || !type || !value) throw faults.invalidArgument(what, 'a ManagedObjectReference with a type and a value is required');
  return { type, value };
}

const bool = (text: string | undefined) => text === 'true' || text === '1';

function parseSelection(node: XmlNode): SelectionSpec {
  const name = childText(node, 'name') || undefined;
  const type = node.type;
  if (type === 'TraversalSpec' || child(node, 'path')) {
    const t = childText(node, 'type');
    const path = childText(node, 'path');
    if (!t || !path) throw faults.invalidArgument('selectSet', 'a TraversalSpec needs type and path');
    return {
      name,
      traversal: { type: t, path, skip: bool(childText(node, 'skip')), selectSet: children(node, 'selectSet').map(parseSelection) },
    };
  }
  if (!name) throw faults.invalidArgument('selectSet', 'a SelectionSpec needs the name of a TraversalSpec');
  return { name };
}

export function parseFilterSpec(node: XmlNode): FilterSpec {
  const propSet = children(node, 'propSet').map((p) => {
    const type = childText(p, 'type');
    if (!type) throw faults.invalidArgument('propSet.type');
    if (!KNOWN_TYPES.has(type)) throw faults.invalidArgument('propSet.type', `unknown type ${type}`);
    return { type, all: bool(childText(p, 'all')), pathSet: children(p, 'pathSet').map((x) => x.text.trim()) };
  });
  const objectSet = children(node, 'objectSet').map((o) => ({
    obj: parseMoRef(child(o, 'obj'), 'objectSet.obj'),
    skip: bool(childText(o, 'skip')),
    selectSet: children(o, 'selectSet').map(parseSelection),
  }));
  if (propSet.length === 0) throw faults.invalidArgument('specSet.propSet', 'at least one PropertySpec is required');
  return { propSet, objectSet };
}

/** Managed object references a traversal path leads to (single or array property). */
function follow(ctx: PropertyContext, r: MoRef, path: string): MoRef[] {
  // ContainerView.view is the hot path (tens of thousands of VMs): take the resolved list as is.
  if (r.type === 'ContainerView' && path === 'view') return ctx.view(r.value)?.view ?? [];
  const props = propertiesOf(ctx, r);
  if (!props) return [];
  const v = resolvePath(props, path);
  if (v === NO_SUCH_PATH) throw faults.invalidProperty(path);
  if (!v) return [];
  if (v.k === 'ref') return [v.ref];
  if (v.k === 'arr') return v.items.flatMap((i) => (i.k === 'ref' ? [i.ref] : []));
  return [];
}

/** Every object the spec selects, each once, in traversal order. */
export function selectObjects(ctx: PropertyContext, specs: FilterSpec[]): MoRef[] {
  const out: MoRef[] = [];
  const added = new Set<string>();
  for (const spec of specs) {
    const named = new Map<string, NonNullable<SelectionSpec['traversal']> & { name: string }>();
    const collect = (sel: SelectionSpec[]) => {
      for (const s of sel) {
        if (s.traversal && s.name && !named.has(s.name)) {
          named.set(s.name, { ...s.traversal, name: s.name });
          collect(s.traversal.selectSet);
        } else if (s.traversal) collect(s.traversal.selectSet);
      }
    };
    for (const o of spec.objectSet) collect(o.selectSet);
    const walked = new Set<string>();
    const visit = (r: MoRef, selectSet: SelectionSpec[], skip: boolean) => {
      const id = `${r.type}:${r.value}`;
      if (!skip && !added.has(id)) {
        added.add(id);
        out.push(r);
      }
      for (const s of selectSet) {
        const t = s.traversal ?? (s.name ? named.get(s.name) : undefined);
        if (!t) throw faults.invalidArgument('selectSet', `no TraversalSpec named ${s.name}`);
        if (!isA(r.type, t.type)) continue;
        const key = `${s.name ?? t.path}|${id}`;
        if (walked.has(key)) continue;
        walked.add(key);
        for (const next of follow(ctx, r, t.path)) visit(next, t.selectSet, t.skip);
      }
    };
    for (const o of spec.objectSet) {
      if (!propertiesOf(ctx, o.obj)) throw faults.notFound(o.obj);
      visit(o.obj, o.selectSet, o.skip);
    }
  }
  return out;
}

/** Which paths to return for each concrete type: the union of every PropertySpec that applies. */
export class PathPlan {
  readonly #specs: PropertySpec[];
  readonly #cache = new Map<string, { all: boolean; paths: string[] } | null>();
  constructor(specs: FilterSpec[]) {
    this.#specs = specs.flatMap((s) => s.propSet);
  }
  for(type: string): { all: boolean; paths: string[] } | null {
    let plan = this.#cache.get(type);
    if (plan === undefined) {
      const applicable = this.#specs.filter((p) => isA(type, p.type));
      plan = applicable.length ? { all: applicable.some((p) => p.all), paths: [...new Set(applicable.flatMap((p) => p.pathSet))] } : null;
      this.#cache.set(type, plan);
    }
    return plan;
  }
}

/** Drops objects no PropertySpec applies to and checks every requested path exists (InvalidProperty). */
export function planObjects(ctx: PropertyContext, objects: MoRef[], plan: PathPlan): MoRef[] {
  const kept = objects.filter((o) => plan.for(o.type) !== null);
  const checked = new Set<string>();
  for (const o of kept) {
    if (checked.has(o.type)) continue;
    checked.add(o.type);
    const props = propertiesOf(ctx, o);
    const paths = plan.for(o.type)?.paths ?? [];
    if (props) for (const p of paths) if (resolvePath(props, p) === NO_SUCH_PATH) throw faults.invalidProperty(p);
  }
  return kept;
}

/** One ObjectContent: <tag><obj/><propSet>...</propSet>...</tag>. */
export function objectContentXml(ctx: PropertyContext, tag: string, r: MoRef, plan: PathPlan): string {
  const props = propertiesOf(ctx, r);
  const p = plan.for(r.type);
  if (!props || !p) return '';
  const paths = p.all ? [...new Set([...Object.keys(props), ...p.paths])] : p.paths;
  let out = `<${tag}><obj type="${r.type}">${esc(r.value)}</obj>`;
  for (const path of paths) {
    const v = resolvePath(props, path);
    if (v === undefined || v === NO_SUCH_PATH) continue;
    out += propXml(path, v);
  }
  return out + `</${tag}>`;
}

function propXml(path: string, v: Val): string {
  return `<propSet><name>${esc(path)}</name>${anyXml('val', v)}</propSet>`;
}

/** A retrieval in progress between RetrievePropertiesEx and the last ContinueRetrievePropertiesEx. */
export interface Retrieval {
  objects: MoRef[];
  plan: PathPlan;
  cursor: number;
  pageSize: number;
  sessionKey: string;
}

/** Streams one RetrieveResult page; returns whether more remain. */
export function* pageXml(ctx: PropertyContext, r: Retrieval, token: string | null): Generator<string> {
  const end = Math.min(r.objects.length, r.cursor + r.pageSize);
  if (r.objects.length === 0) return;
  yield `<returnval>${token ? `<token>${esc(token)}</token>` : ''}`;
  for (const ref of r.objects.slice(r.cursor, end)) yield objectContentXml(ctx, 'objects', ref, r.plan);
  yield '</returnval>';
  r.cursor = end;
}
