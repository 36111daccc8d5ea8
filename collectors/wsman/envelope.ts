// Request envelopes (client side), built as strings with escaping; field order follows pywinrm,
// Ruby WinRM and the MS-WSMV examples (docs/winrm-wire.md §1.3).
import { randomUUID } from 'node:crypto';
import { ACTION, ANONYMOUS, NS, WQL_DIALECT } from './namespaces.js';
import { escapeXml } from '../../common/xml/escape.js';

export interface HeaderOptions {
  to: string;
  resourceUri: string;
  action: string;
  messageId?: string;
  maxEnvelopeSize: number;
  operationTimeoutSec: number;
  sessionId?: string;
  selectors?: Record<string, string>;
}

export function newMessageId(): string {
  return `uuid:${randomUUID().toUpperCase()}`;
}

const ENVELOPE_OPEN = `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:n="${NS.n}" xmlns:w="${NS.w}" xmlns:p="${NS.p}" xmlns:b="${NS.b}">`;

function selectorSet(selectors: Record<string, string> | undefined): string {
  if (!selectors || Object.keys(selectors).length === 0) return '';
  const items = Object.entries(selectors)
    .map(([k, v]) => `<w:Selector Name="${escapeXml(k)}">${escapeXml(v)}</w:Selector>`)
    .join('');
  return `<w:SelectorSet>${items}</w:SelectorSet>`;
}

function header(h: HeaderOptions, messageId: string): string {
  return (
    '<s:Header>' +
    `<a:To>${escapeXml(h.to)}</a:To>` +
    `<w:ResourceURI s:mustUnderstand="true">${escapeXml(h.resourceUri)}</w:ResourceURI>` +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">${ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<a:Action s:mustUnderstand="true">${escapeXml(h.action)}</a:Action>` +
    `<w:MaxEnvelopeSize s:mustUnderstand="true">${h.maxEnvelopeSize}</w:MaxEnvelopeSize>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>' +
    '<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>' +
    (h.sessionId ? `<p:SessionId s:mustUnderstand="false">${escapeXml(h.sessionId)}</p:SessionId>` : '') +
    `<w:OperationTimeout>PT${h.operationTimeoutSec.toFixed(3)}S</w:OperationTimeout>` +
    selectorSet(h.selectors) +
    '</s:Header>'
  );
}

export interface BuiltRequest {
  messageId: string;
  xml: string;
}

function build(h: HeaderOptions, body: string): BuiltRequest {
  const messageId = h.messageId ?? newMessageId();
  return { messageId, xml: `${ENVELOPE_OPEN}${header(h, messageId)}<s:Body>${body}</s:Body></s:Envelope>` };
}

type Common = Omit<HeaderOptions, 'action'>;

/** Enumerate, optimized (first batch inline), with an optional WQL filter. */
export function enumerateRequest(h: Common, opts: { wql?: string; maxElements: number }): BuiltRequest {
  const filter = opts.wql ? `<w:Filter Dialect="${WQL_DIALECT}">${escapeXml(opts.wql)}</w:Filter>` : '';
  return build(
    { ...h, action: ACTION.enumerate },
    `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>${opts.maxElements}</w:MaxElements>${filter}</n:Enumerate>`,
  );
}

export function pullRequest(h: Common, context: string, maxElements: number): BuiltRequest {
  return build(
    { ...h, action: ACTION.pull },
    `<n:Pull><n:EnumerationContext>${escapeXml(context)}</n:EnumerationContext><n:MaxElements>${maxElements}</n:MaxElements></n:Pull>`,
  );
}

export function releaseRequest(h: Common, context: string): BuiltRequest {
  return build(
    { ...h, action: ACTION.release },
    `<n:Release><n:EnumerationContext>${escapeXml(context)}</n:EnumerationContext></n:Release>`,
  );
}

export function getRequest(h: Common): BuiltRequest {
  return build({ ...h, action: ACTION.get }, '');
}

/** Invoke a CIM method: Action = resourceUri/method, body <p:Method_INPUT> with one element per value. */
export function invokeRequest(h: Common, method: string, params: Record<string, string | string[]>): BuiltRequest {
  const m = escapeXml(method);
  const args = Object.entries(params)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `<x:${escapeXml(k)}>${escapeXml(x)}</x:${escapeXml(k)}>`))
    .join('');
  return build(
    { ...h, action: `${h.resourceUri}/${method}` },
    `<x:${m}_INPUT xmlns:x="${escapeXml(h.resourceUri)}">${args}</x:${m}_INPUT>`,
  );
}
