// vim25 property values and how vCenter encodes them. A data object is a record of lazy fields, so
// resolving "config.hardware.numCPU" builds only that path; encoding writes strings directly.
//
// Encoding rules (as vCenter writes them):
// - a property value (<val>, xsd:anyType) always carries xsi:type: xsd:string, VirtualHardware,
//   ArrayOfVirtualDevice, ManagedObjectReference, an enum type name ...;
// - inside a data object, fields are plain elements; nested data objects carry xsi:type (the actual
//   subtype: VirtualDisk, VirtualVmxnet3 ...), arrays are repeated elements named after the field;
// - inside an ArrayOfX, items are named X (ArrayOfVirtualDevice > <VirtualDevice xsi:type="VirtualDisk">).
import { escapeXml as esc } from '../../common/xml/escape.js';
import { isoTime } from './iso-time.js';
import type { MoRef } from './model.js';

export type Primitive = 'string' | 'int' | 'long' | 'short' | 'boolean' | 'dateTime';
export type Fields = Record<string, () => Val | undefined>;
export type Val =
  | { k: 'p'; t: Primitive; v: string | number | boolean }
  | { k: 'enum'; t: string; v: string }
  | { k: 'ref'; ref: MoRef }
  | { k: 'obj'; t: string; f: Fields }
  | { k: 'arr'; t: string; items: Val[] };

export const str = (v: string | null | undefined): Val | undefined => (v == null ? undefined : { k: 'p', t: 'string', v });
export const int = (v: number): Val => ({ k: 'p', t: 'int', v });
export const long = (v: number): Val => ({ k: 'p', t: 'long', v });
export const bool = (v: boolean): Val => ({ k: 'p', t: 'boolean', v });
export const time = (ms: number): Val => ({ k: 'p', t: 'dateTime', v: isoTime(ms, true) });
export const enumVal = (t: string, v: string): Val => ({ k: 'enum', t, v });
export const moref = (r: MoRef | null | undefined): Val | undefined => (r ? { k: 'ref', ref: r } : undefined);
export const obj = (t: string, f: Fields): Val => ({ k: 'obj', t, f });
/** `t` is the declared item type: string, int, ManagedObjectReference, VirtualDevice ... */
export const arr = (t: string, items: Val[]): Val => ({ k: 'arr', t, items });
export const refs = (list: MoRef[]): Val =>
  arr(
    'ManagedObjectReference',
    list.map((r) => ({ k: 'ref', ref: r })),
  );
export const strings = (list: string[]): Val =>
  arr(
    'string',
    list.map((v) => ({ k: 'p', t: 'string', v })),
  );

export const NO_SUCH_PATH = Symbol('no such property path');

/**
 * Walks a property path ("config.hardware.device") through lazy data objects. Returns undefined when a
 * step is unset, NO_SUCH_PATH when a step does not exist in the type (vCenter: InvalidProperty).
 */
export function resolvePath(root: Fields, path: string): Val | undefined | typeof NO_SUCH_PATH {
  let fields: Fields = root;
  const steps = path.split('.');
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] ?? '';
    const get = Object.hasOwn(fields, step) ? fields[step] : undefined;
    if (!get) return NO_SUCH_PATH;
    const v = get();
    if (i === steps.length - 1) return v;
    if (v === undefined) return undefined;
    if (v.k !== 'obj') return NO_SUCH_PATH;
    fields = v.f;
  }
  return undefined;
}

const arrayTypeName = (t: string): string => `ArrayOf${t.charAt(0).toUpperCase()}${t.slice(1)}`;

function primitiveText(v: string | number | boolean): string {
  return typeof v === 'string' ? esc(v) : String(v);
}

function fieldsXml(f: Fields): string {
  let out = '';
  for (const [name, get] of Object.entries(f)) {
    const v = get();
    if (v !== undefined) out += fieldXml(name, v);
  }
  return out;
}

/** A field of a data object. */
export function fieldXml(name: string, v: Val): string {
  switch (v.k) {
    case 'p':
    case 'enum':
      return `<${name}>${primitiveText(v.v)}</${name}>`;
    case 'ref':
      return `<${name} type="${v.ref.type}">${esc(v.ref.value)}</${name}>`;
    case 'obj':
      return `<${name} xsi:type="${v.t}">${fieldsXml(v.f)}</${name}>`;
    case 'arr': {
      let out = '';
      for (const item of v.items) out += fieldXml(name, item);
      return out;
    }
  }
}

/** A value in an xsd:anyType position (<val>, <returnval> of a property read): always typed. */
export function anyXml(tag: string, v: Val): string {
  switch (v.k) {
    case 'p':
      return `<${tag} xsi:type="xsd:${v.t}">${primitiveText(v.v)}</${tag}>`;
    case 'enum':
      return `<${tag} xsi:type="${v.t}">${esc(v.v)}</${tag}>`;
    case 'ref':
      return `<${tag} type="${v.ref.type}" xsi:type="ManagedObjectReference">${esc(v.ref.value)}</${tag}>`;
    case 'obj':
      return `<${tag} xsi:type="${v.t}">${fieldsXml(v.f)}</${tag}>`;
    case 'arr': {
      const itemTag = v.t;
      let out = `<${tag} xsi:type="${arrayTypeName(v.t)}">`;
      for (const item of v.items) {
        if (item.k === 'p' || item.k === 'enum') out += `<${itemTag}>${primitiveText(item.v)}</${itemTag}>`;
        else out += anyXml(itemTag, item);
      }
      return out + `</${tag}>`;
    }
  }
}
