// Server-side envelope writing: responses, both item renderings, and faults as Windows sends them.
import { randomUUID } from 'node:crypto';
import type { CimValue } from '../../collectors/wsman/cim.js';
import { isCimInstance, isEndpointReference } from '../../collectors/wsman/cim.js';
import { ACTION, ANONYMOUS, NS } from '../../collectors/wsman/namespaces.js';
import { escapeXml } from '../../common/xml/escape.js';
import type { RenderedItem, WsmanServerFaultKind } from './types.js';

const ENV_OPEN = `<s:Envelope xml:lang="en-US" xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:n="${NS.n}" xmlns:w="${NS.w}" xmlns:p="${NS.p}">`;

export function envelope(action: string, relatesTo: string | null, body: string): string {
  return (
    ENV_OPEN +
    '<s:Header>' +
    `<a:Action>${escapeXml(action)}</a:Action>` +
    `<a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID>` +
    `<a:To>${ANONYMOUS}</a:To>` +
    (relatesTo ? `<a:RelatesTo>${escapeXml(relatesTo)}</a:RelatesTo>` : '') +
    '</s:Header>' +
    `<s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** Bytes the envelope adds around the items of a batch (headers, context, EndOfSequence), with margin. */
export const ENVELOPE_OVERHEAD = 1536;

function renderValue(name: string, v: CimValue, q: string, fragment: boolean): string {
  if (Array.isArray(v)) return v.map((x) => renderValue(name, x, q, fragment)).join('');
  const tag = `${q}${name}`;
  if (v === null) return `<${tag} xsi:nil="true"/>`;
  if (typeof v === 'string') return `<${tag}>${escapeXml(v)}</${tag}>`;
  const cimQ = fragment ? '' : 'cim:';
  if ('datetime' in v) return `<${tag}><${cimQ}Datetime>${escapeXml(v.datetime)}</${cimQ}Datetime></${tag}>`;
  if ('interval' in v) return `<${tag}><${cimQ}Interval>${escapeXml(v.interval)}</${cimQ}Interval></${tag}>`;
  if (isEndpointReference(v)) {
    const sel = Object.entries(v.selectors)
      .map(([k, s]) => `<w:Selector Name="${escapeXml(k)}">${escapeXml(s)}</w:Selector>`)
      .join('');
    return (
      `<${tag}><a:Address>${escapeXml(v.address)}</a:Address><a:ReferenceParameters>` +
      `<w:ResourceURI>${escapeXml(v.resourceUri)}</w:ResourceURI><w:SelectorSet>${sel}</w:SelectorSet>` +
      `</a:ReferenceParameters></${tag}>`
    );
  }
  if (isCimInstance(v)) {
    const inner = Object.entries(v.properties)
      .map(([k, x]) => renderValue(k, x, q, fragment))
      .join('');
    return `<${tag}>${inner}</${tag}>`;
  }
  throw new Error(`cannot render property ${name}`);
}

/**
 * SELECT * -> <p:Class xmlns:p=".../Class" xsi:type="p:Class_Type"> with p:-qualified properties;
 * projection -> <w:XmlFragment> with unqualified properties (docs/winrm-wire.md §1.3).
 */
export function renderItem(item: RenderedItem): string {
  const props = Object.entries(item.properties);
  if (item.fragment) {
    return `<w:XmlFragment xmlns:xsi="${NS.xsi}">${props.map(([k, v]) => renderValue(k, v, '', true)).join('')}</w:XmlFragment>`;
  }
  const cls = escapeXml(item.className);
  const ns = escapeXml(`${item.namespaceUri.replace(/\/+$/, '')}/${item.className}`);
  return (
    `<p:${cls} xmlns:p="${ns}" xmlns:xsi="${NS.xsi}" xmlns:cim="${NS.cim}" xsi:type="p:${cls}_Type">` +
    props.map(([k, v]) => renderValue(k, v, 'p:', false)).join('') +
    `</p:${cls}>`
  );
}

/** Method output: <p:Method_OUTPUT xmlns:p="<resource URI>"> with p:-qualified parameters. */
export function renderMethodOutput(resourceUri: string, method: string, item: RenderedItem): string {
  const name = escapeXml(item.className || `${method}_OUTPUT`);
  const props = Object.entries(item.properties)
    .map(([k, v]) => renderValue(k, v, 'p:', false))
    .join('');
  return `<p:${name} xmlns:p="${escapeXml(resourceUri)}" xmlns:xsi="${NS.xsi}" xmlns:cim="${NS.cim}">${props}</p:${name}>`;
}

export function enumerateResponseBody(context: string | null, items: string[] | null, endOfSequence: boolean): string {
  return (
    '<n:EnumerateResponse>' +
    (context ? `<n:EnumerationContext>${context}</n:EnumerationContext>` : '') +
    (items ? `<w:Items>${items.join('')}</w:Items>` : '') +
    (endOfSequence ? '<w:EndOfSequence/>' : '') +
    '</n:EnumerateResponse>'
  );
}

/** On the final batch the context is omitted, as Windows does (wsl loops while it is present). */
export function pullResponseBody(context: string | null, items: string[], endOfSequence: boolean): string {
  return (
    '<n:PullResponse>' +
    (context && !endOfSequence ? `<n:EnumerationContext>${context}</n:EnumerationContext>` : '') +
    `<n:Items>${items.join('')}</n:Items>` +
    (endOfSequence ? '<n:EndOfSequence/>' : '') +
    '</n:PullResponse>'
  );
}

interface FaultSpec {
  code: 'Sender' | 'Receiver';
  subcode: string; // prefixed with a declared prefix: w, n (wsen) or a
  wsmanCode: number;
  action: string;
  detail?: string;
  /** WMI errors come nested in a ProviderFault. */
  provider?: boolean;
}

const DETAIL = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail';

export const FAULTS: Record<WsmanServerFaultKind, FaultSpec> = {
  AccessDenied: { code: 'Sender', subcode: 'w:AccessDenied', wsmanCode: 5, action: ACTION.wsmanFault },
  InvalidNamespace: { code: 'Receiver', subcode: 'w:InternalError', wsmanCode: 2147749902, action: ACTION.wsmanFault, provider: true },
  InvalidClass: { code: 'Receiver', subcode: 'w:InternalError', wsmanCode: 2147749904, action: ACTION.wsmanFault, provider: true },
  InvalidQuery: {
    code: 'Sender',
    subcode: 'n:CannotProcessFilter',
    wsmanCode: 2147749911,
    action: ACTION.enumerationFault,
    provider: true,
  },
  CannotProcessFilter: { code: 'Sender', subcode: 'n:CannotProcessFilter', wsmanCode: 2150858778, action: ACTION.enumerationFault },
  InvalidSelectors: {
    code: 'Sender',
    subcode: 'w:InvalidSelectors',
    wsmanCode: 2150858813,
    action: ACTION.wsmanFault,
    detail: `${DETAIL}/UnexpectedSelectors`,
  },
  InvalidResourceURI: { code: 'Sender', subcode: 'w:InvalidParameter', wsmanCode: 2150858810, action: ACTION.wsmanFault },
  ResourceNotFound: {
    code: 'Sender',
    subcode: 'a:DestinationUnreachable',
    wsmanCode: 2150858752,
    action: ACTION.addressingFault,
    detail: `${DETAIL}/ResourceNotFound`,
  },
  TimedOut: { code: 'Receiver', subcode: 'w:TimedOut', wsmanCode: 2150858793, action: ACTION.wsmanFault },
  QuotaLimit: { code: 'Sender', subcode: 'w:QuotaLimit', wsmanCode: 2150858815, action: ACTION.wsmanFault },
  InvalidEnumerationContext: {
    code: 'Receiver',
    subcode: 'n:InvalidEnumerationContext',
    wsmanCode: 2150858779,
    action: ACTION.enumerationFault,
  },
  EncodingLimit: {
    code: 'Sender',
    subcode: 'w:EncodingLimit',
    wsmanCode: 2150858805,
    action: ACTION.wsmanFault,
    detail: `${DETAIL}/MaxEnvelopeSize`,
  },
  ActionNotSupported: { code: 'Sender', subcode: 'a:ActionNotSupported', wsmanCode: 2150858771, action: ACTION.addressingFault },
  InvalidMessageInformationHeader: {
    code: 'Sender',
    subcode: 'a:InvalidMessageInformationHeader',
    wsmanCode: 2150858767,
    action: ACTION.addressingFault,
  },
  UnsupportedFeature: { code: 'Sender', subcode: 'w:UnsupportedFeature', wsmanCode: 2150858818, action: ACTION.wsmanFault },
  InternalError: { code: 'Receiver', subcode: 'w:InternalError', wsmanCode: 2150858770, action: ACTION.wsmanFault },
};

export function renderFault(kind: WsmanServerFaultKind, message: string, relatesTo: string | null, machine: string): string {
  const f = FAULTS[kind];
  const msg = escapeXml(message);
  const m = escapeXml(machine);
  const inner = f.provider
    ? `<f:ProviderFault provider="WMI Provider" path="%systemroot%\\system32\\WsmWmiPl.dll"><f:WSManFault Code="${f.wsmanCode}" Machine="${m}"><f:Message>${msg}</f:Message></f:WSManFault></f:ProviderFault>`
    : msg;
  const body =
    '<s:Fault>' +
    `<s:Code><s:Value>s:${f.code}</s:Value><s:Subcode><s:Value>${f.subcode}</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">${msg}</s:Text></s:Reason>` +
    '<s:Detail>' +
    (f.detail ? `<w:FaultDetail>${f.detail}</w:FaultDetail>` : '') +
    `<f:WSManFault xmlns:f="${NS.f}" Code="${f.wsmanCode}" Machine="${m}"><f:Message>${inner}</f:Message></f:WSManFault>` +
    '</s:Detail></s:Fault>';
  return envelope(f.action, relatesTo, body);
}
