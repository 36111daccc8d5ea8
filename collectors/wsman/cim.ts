// CIM values as the client hands them to domain code, and small typed accessors for them.
// uint64 and every other number stay decimal strings: raw perf counters overflow 2^53.
import { WMI_BASE } from './namespaces.js';

export interface EndpointReference {
  address: string;
  resourceUri: string;
  selectors: Record<string, string>;
}

export interface CimInstance {
  className: string;
  properties: Record<string, CimValue>;
}

export type CimValue = string | null | CimValue[] | { datetime: string } | { interval: string } | CimInstance | EndpointReference;

/** `.../wmi/root/virtualization/v2/*` — with a WQL filter the class segment must be `*` (docs/winrm-wire.md §1.2). */
export function wmiResourceUri(namespace: string, className = '*'): string {
  const ns = namespace.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  return `${WMI_BASE}/${ns}/${className}`;
}

/** A WQL string literal: quotes and backslashes escaped ('Microsoft:X\\Y'). */
export function wqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function isCimInstance(v: CimValue | undefined): v is CimInstance {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'className' in v && 'properties' in v;
}

export function isEndpointReference(v: CimValue | undefined): v is EndpointReference {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'address' in v && 'selectors' in v;
}

/** A property as a list: arrays as they are, a single value as [value], null/missing as []. */
export function propArray(inst: CimInstance, name: string): CimValue[] {
  const v = inst.properties[name];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** A scalar string property (the first element if the property came as an array), or null. */
export function propString(inst: CimInstance, name: string): string | null {
  const v = inst.properties[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && 'datetime' in first) return (first as { datetime: string }).datetime;
  if (first && typeof first === 'object' && 'interval' in first) return (first as { interval: string }).interval;
  return null;
}

export function propStrings(inst: CimInstance, name: string): string[] {
  return propArray(inst, name).filter((v): v is string => typeof v === 'string');
}

/** Integer property as BigInt (uint64-safe), or null when missing, nil or not an integer. */
export function propBigInt(inst: CimInstance, name: string): bigint | null {
  const s = propString(inst, name);
  if (s === null || !/^\s*-?\d+\s*$/.test(s)) return null;
  return BigInt(s.trim());
}

export function propNumber(inst: CimInstance, name: string): number | null {
  const s = propString(inst, name);
  if (s === null || s.trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Booleans: true/false, case-insensitive (some providers write TRUE). */
export function propBoolean(inst: CimInstance, name: string): boolean | null {
  const s = propString(inst, name);
  if (s === null) return null;
  const t = s.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return null;
}

/**
 * Reads the WMI namespace and class a resource URI addresses, in either form Windows accepts:
 * `.../wsman/1/wmi/root/cimv2/Win32_X` (or `/*`), or DSP0227's `http://schemas.dmtf.org/wbem/wscim/1/*`
 * (or `.../cim-schema/2/<Class>`) with a `__cimnamespace` selector. Returns null for other URIs.
 */
export function parseWmiResourceUri(
  resourceUri: string,
  selectors: Record<string, string> = {},
): { namespace: string; className: string } | null {
  const uri = resourceUri.trim();
  if (uri.toLowerCase().startsWith(`${WMI_BASE.toLowerCase()}/`)) {
    const rest = uri.slice(WMI_BASE.length + 1).replace(/\/+$/, '');
    const i = rest.lastIndexOf('/');
    if (i <= 0) return null;
    return { namespace: rest.slice(0, i), className: rest.slice(i + 1) };
  }
  const dmtf = /^http:\/\/schemas\.dmtf\.org\/wbem\/wscim\/1\/(?:\*|cim-schema\/2\/([A-Za-z_]\w*))$/i.exec(uri);
  if (dmtf) {
    const ns = (selectors.__cimnamespace ?? 'root/cimv2').replace(/\\/g, '/');
    return { namespace: ns, className: dmtf[1] ?? '*' };
  }
  return null;
}
