// Building vim25 request XML as strings: every text value goes through escapeXml.

/** A managed object reference: `<tag type="VirtualMachine">vm-42</tag>`. */
export interface MoRef {
  type: string;
  value: string;
}

import { escapeXml } from '../../../common/xml/escape.js';

export { escapeXml };

/** `<name>text</name>` with the text escaped. */
export function el(name: string, text: string | number | boolean): string {
  return `<${name}>${escapeXml(String(text))}</${name}>`;
}

/** `<name type="T">value</name>`. */
export function moRef(name: string, ref: MoRef): string {
  return `<${name} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${name}>`;
}

/** `<name xsi:type="T">inner</name>` for polymorphic arguments (inner is already XML). */
export function typed(name: string, xsiType: string, inner: string): string {
  return `<${name} xsi:type="${escapeXml(xsiType)}">${inner}</${name}>`;
}

/** The SOAP 1.1 envelope around one vim25 method call; `body` is the argument XML after `_this`. */
export function envelope(method: string, self: MoRef, body = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${method} xmlns="urn:vim25">${moRef('_this', self)}${body}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}
