// SOAP faults (docs/winrm-wire.md §3): the client turns them into typed errors; the server renders them.
import {
  WsmanAccessDeniedError,
  WsmanEnumerationContextError,
  type WsmanError,
  WsmanFault,
  WsmanInvalidNamespaceError,
  WsmanTimeoutError,
  type FaultInfo,
} from './errors.js';
import { NS } from './namespaces.js';
import { child, path, resolveQName, type XmlNode } from '../../common/xml/reader.js';

/** WSManFault codes (wsmerror.h) and WMI HRESULTs the client recognises. */
export const FAULT_CODES = {
  accessDenied: [5, 2147942405, 2147749891],
  enumerationContext: [2150858779, 2150858759],
  operationTimeout: [2150858793],
  pullTimeout: [2150858780],
  invalidNamespace: [2147749902],
  invalidClass: [2147749904],
  invalidQuery: [2147749911],
  notFound: [2147749890],
} as const;

function innermostMessage(el: XmlNode | null): string | null {
  if (!el) return null;
  // f:WSManFault > f:Message > (text | f:ProviderFault > f:WSManFault > f:Message ...)
  const msg = child(el, 'Message');
  if (!msg) return null;
  const provider = child(msg, 'ProviderFault');
  if (provider) {
    const nested = innermostMessage(child(provider, 'WSManFault'));
    if (nested) return nested;
    const text = provider.text.trim();
    if (text) return text;
  }
  return msg.text.trim() || null;
}

function innermostCode(el: XmlNode | null): number | null {
  if (!el) return null;
  const nested = path(el, 'Message', 'ProviderFault', 'WSManFault');
  const inner = nested ? innermostCode(nested) : null;
  const own = el.attrs.Code !== undefined && /^\d+$/.test(el.attrs.Code) ? Number(el.attrs.Code) : null;
  return inner ?? own;
}

/** Reads s:Fault from a parsed envelope, or null if the body holds no fault. */
export function parseFault(envelope: XmlNode): FaultInfo | null {
  const fault = path(envelope, 'Body', 'Fault');
  if (!fault) return null;
  const code = path(fault, 'Code', 'Value');
  const sub = path(fault, 'Code', 'Subcode', 'Value');
  const subQ = sub ? resolveQName(sub, sub.text.trim()) : { ns: '', local: '' };
  const reason = path(fault, 'Reason', 'Text')?.text.trim() ?? '';
  const detail = child(fault, 'Detail');
  const wsmanFault = child(detail, 'WSManFault');
  const wsmanCode = innermostCode(wsmanFault);
  return {
    code: code ? resolveQName(code, code.text.trim()).local : '',
    subcode: subQ.local,
    subcodeNamespace: subQ.ns,
    wsmanFaultCode: wsmanCode,
    detail: child(detail, 'FaultDetail')?.text.trim() ?? null,
    message: innermostMessage(wsmanFault) ?? reason,
    machine: wsmanFault?.attrs.Machine ?? null,
  };
}

const has = (list: readonly number[], code: number | null) => code !== null && list.includes(code);

/** Maps a fault to the most specific error class a caller can act on. */
export function faultToError(endpoint: string, f: FaultInfo, resourceUri?: string): WsmanError {
  if (f.subcode === 'AccessDenied' || has(FAULT_CODES.accessDenied, f.wsmanFaultCode))
    return new WsmanAccessDeniedError(endpoint, f.message, f);
  if (f.subcode === 'InvalidEnumerationContext' || has(FAULT_CODES.enumerationContext, f.wsmanFaultCode)) {
    return new WsmanEnumerationContextError(endpoint, f.message, f);
  }
  if (has(FAULT_CODES.invalidNamespace, f.wsmanFaultCode) || /invalid namespace/i.test(f.message)) {
    return new WsmanInvalidNamespaceError(endpoint, f.message, f, resourceUri);
  }
  if (f.subcode === 'TimedOut' || has(FAULT_CODES.operationTimeout, f.wsmanFaultCode) || has(FAULT_CODES.pullTimeout, f.wsmanFaultCode)) {
    return new WsmanTimeoutError(endpoint, `the host reports the operation timed out (${f.message.trim()})`, f);
  }
  if (has(FAULT_CODES.invalidClass, f.wsmanFaultCode)) {
    return new WsmanFault(endpoint, f, 'The WMI class does not exist on this host: check the Windows version and installed roles.');
  }
  if (has(FAULT_CODES.invalidQuery, f.wsmanFaultCode) || f.subcode === 'CannotProcessFilter') {
    return new WsmanFault(endpoint, f, 'The host refused the WQL query: this is a bug in the query, please report it.');
  }
  if (f.subcode === 'EncodingLimit') {
    return new WsmanFault(endpoint, f, 'Raise the MaxEnvelopeSize the client sends (maxEnvelopeSize), or lower MaxElements.');
  }
  if (f.subcode === 'QuotaLimit') {
    return new WsmanFault(
      endpoint,
      f,
      'The host has too many concurrent WS-Management operations; lower the collector concurrency or raise MaxConcurrentOperationsPerUser.',
    );
  }
  return new WsmanFault(endpoint, f);
}

/** True for wsen:TimedOut on a Pull: no data yet, the context stays valid, so pull again. */
export function isPullTimeout(f: FaultInfo): boolean {
  return (f.subcode === 'TimedOut' && f.subcodeNamespace === NS.n) || has(FAULT_CODES.pullTimeout, f.wsmanFaultCode);
}
