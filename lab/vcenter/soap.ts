// vim25 SOAP framing as vCenter writes it: the envelope, the method response wrapper, faults, and
// the two documents clients fetch before the first call (vimServiceVersions.xml, vimService.wsdl).
import { escapeXml as esc } from '../../common/xml/escape.js';
import type { MoRef } from './model.js';

export const ENVELOPE_START =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"\n' +
  ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"\n' +
  ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n' +
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n';
export const ENVELOPE_END = '\n</soapenv:Body>\n</soapenv:Envelope>';

export function responseStart(method: string): string {
  return `${ENVELOPE_START}<${method}Response xmlns="urn:vim25">`;
}
export function responseEnd(method: string): string {
  return `</${method}Response>${ENVELOPE_END}`;
}

export function moRefXml(tag: string, ref: MoRef, typed = false): string {
  return `<${tag} type="${ref.type}"${typed ? ' xsi:type="ManagedObjectReference"' : ''}>${esc(ref.value)}</${tag}>`;
}

/**
 * A vim25 fault: `name` is the fault type (InvalidLogin, NotAuthenticated ...), `detail` the inner
 * XML of its <NameFault> element. HTTP status 500, like vCenter.
 */
export class VimFault extends Error {
  constructor(
    readonly faultName: string,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }
}

export const faults = {
  invalidLogin: () => new VimFault('InvalidLogin', 'Cannot complete login due to an incorrect user name or password.'),
  notAuthenticated: (obj: MoRef) =>
    new VimFault(
      'NotAuthenticated',
      'The session is not authenticated.',
      `${moRefXml('object', obj)}<privilegeId>System.View</privilegeId>`,
    ),
  notFound: (obj: MoRef) =>
    new VimFault(
      'ManagedObjectNotFound',
      `The object '${obj.type}:${obj.value}' has already been deleted or has not been completely created`,
      moRefXml('obj', obj),
    ),
  invalidArgument: (property: string, why = '') =>
    new VimFault(
      'InvalidArgument',
      `A specified parameter was not correct: ${property}${why ? ` (${why})` : ''}`,
      `<invalidProperty>${esc(property)}</invalidProperty>`,
    ),
  invalidProperty: (name: string) =>
    new VimFault('InvalidProperty', `Property ${name} is not valid for this object`, `<name>${esc(name)}</name>`),
  invalidRequest: (why: string) => new VimFault('InvalidRequest', why),
  methodNotFound: (receiver: MoRef, method: string) =>
    new VimFault(
      'MethodNotFound',
      `Method ${method} is not supported by the lab vCenter on ${receiver.type}`,
      `${moRefXml('receiver', receiver)}<method>${esc(method)}</method>`,
    ),
  notSupported: (what: string) => new VimFault('NotSupported', `The operation is not supported on the object: ${what}`),
};

export function faultXml(fault: VimFault): string {
  return (
    ENVELOPE_START +
    `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${esc(fault.message)}</faultstring>` +
    `<detail><${fault.faultName}Fault xmlns="urn:vim25" xsi:type="${fault.faultName}">${fault.detail}</${fault.faultName}Fault></detail>` +
    `</soapenv:Fault>${ENVELOPE_END}`
  );
}

/** A client fault for bodies that are not SOAP at all (vCenter answers these the same way). */
export function clientFaultXml(message: string): string {
  return `${ENVELOPE_START}<soapenv:Fault><faultcode>ClientFaultCode</faultcode><faultstring>${esc(message)}</faultstring></soapenv:Fault>${ENVELOPE_END}`;
}

/** The API versions this lab speaks; pyVmomi 6.7 picks the newest it knows from priorVersions. */
export const API_VERSION = '7.0.3.0';
const PRIOR_VERSIONS = ['7.0.2.0', '7.0.1.0', '7.0.0.0', '6.7.3', '6.7.2', '6.7.1', '6.7', '6.5', '6.0', '5.5', '5.1', '5.0', '4.1', '4.0'];

export function serviceVersionsXml(): string {
  return (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!--\n   Copyright lab. This document is served by the assessment-collector lab vCenter.\n-->\n' +
    '<namespaces version="1.0">\n <namespace>\n  <name>urn:vim25</name>\n' +
    `  <version>${API_VERSION}</version>\n  <priorVersions>\n` +
    PRIOR_VERSIONS.map((v) => `   <version>${v}</version>\n`).join('') +
    '  </priorVersions>\n </namespace>\n</namespaces>\n'
  );
}

/** Just enough WSDL for clients that look for the service and its import namespace. */
export function serviceWsdl(url: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8" ?>\n' +
    '<definitions targetNamespace="urn:vim25Service" xmlns="http://schemas.xmlsoap.org/wsdl/" ' +
    'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:interface="urn:vim25">\n' +
    '  <import location="vim.wsdl" namespace="urn:vim25" />\n' +
    '  <service name="VimService">\n    <port binding="interface:VimBinding" name="VimPort">\n' +
    `      <soap:address location="${esc(url)}" />\n    </port>\n  </service>\n</definitions>\n`
  );
}
