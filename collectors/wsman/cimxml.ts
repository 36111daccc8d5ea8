// Embedded instances (EmbeddedInstance string properties such as GuestIntrinsicExchangeItems and the
// SettingData out-parameter) are CIM-XML text (DSP0201): <INSTANCE CLASSNAME=...><PROPERTY ...>.
import type { CimInstance, CimValue } from './cim.js';
import { escapeXml } from '../../common/xml/escape.js';
import { children, child, kids, parseXml, type XmlNode } from '../../common/xml/reader.js';

export class CimXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CimXmlError';
  }
}

export function parseEmbeddedInstance(cimXml: string): CimInstance {
  let root: XmlNode;
  try {
    root = parseXml(cimXml.trim());
  } catch (e) {
    throw new CimXmlError(`embedded instance is not valid CIM-XML: ${(e as Error).message}`);
  }
  if (root.name !== 'INSTANCE') throw new CimXmlError(`embedded instance: expected <INSTANCE>, found <${root.name}>`);
  const properties: Record<string, CimValue> = {};
  for (const p of kids(root)) {
    const name = p.attrs.NAME;
    if (!name) continue;
    if (p.name === 'PROPERTY') {
      const v = child(p, 'VALUE');
      properties[name] = v ? v.text : null;
    } else if (p.name === 'PROPERTY.ARRAY') {
      const arr = child(p, 'VALUE.ARRAY');
      properties[name] = arr ? children(arr, 'VALUE').map((v) => v.text) : null;
    } else if (p.name === 'PROPERTY.REFERENCE') {
      const ref = child(p, 'VALUE.REFERENCE');
      properties[name] = ref ? flattenText(ref) : null;
    }
  }
  return { className: root.attrs.CLASSNAME ?? '', properties };
}

function flattenText(el: XmlNode): string {
  return el.text + kids(el).map(flattenText).join('');
}

function scalarText(v: CimValue): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'datetime' in v) return (v as { datetime: string }).datetime;
  if (v && typeof v === 'object' && 'interval' in v) return (v as { interval: string }).interval;
  throw new CimXmlError('embedded instances can only hold strings, datetimes and arrays of them');
}

/**
 * Renders CIM-XML for an embedded instance. `types` gives the CIM type per property
 * (e.g. { Source: 'uint16' }); the default is string (datetime for { datetime } values).
 */
export function renderEmbeddedInstance(inst: CimInstance, types: Record<string, string> = {}): string {
  const parts: string[] = [`<INSTANCE CLASSNAME="${escapeXml(inst.className)}">`];
  for (const [name, value] of Object.entries(inst.properties)) {
    const isDate = value !== null && typeof value === 'object' && !Array.isArray(value) && 'datetime' in value;
    const type = escapeXml(types[name] ?? (isDate ? 'datetime' : 'string'));
    const n = escapeXml(name);
    if (Array.isArray(value)) {
      const vals = value.map((v) => `<VALUE>${escapeXml(scalarText(v))}</VALUE>`).join('');
      parts.push(`<PROPERTY.ARRAY NAME="${n}" TYPE="${type}"><VALUE.ARRAY>${vals}</VALUE.ARRAY></PROPERTY.ARRAY>`);
    } else if (value === null) {
      parts.push(`<PROPERTY NAME="${n}" TYPE="${type}"></PROPERTY>`);
    } else {
      parts.push(`<PROPERTY NAME="${n}" TYPE="${type}"><VALUE>${escapeXml(scalarText(value))}</VALUE></PROPERTY>`);
    }
  }
  parts.push('</INSTANCE>');
  return parts.join('');
}
