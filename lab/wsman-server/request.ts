// Server-side reading of request envelopes: header checks as Windows applies them (MS-WSMV §3.1.4).
import { ANONYMOUS } from '../../collectors/wsman/namespaces.js';
import { child, children, path, type XmlNode } from '../../common/xml/reader.js';
import { WsmanServerFault } from './types.js';

export interface WsmanRequest {
  action: string;
  messageId: string;
  resourceUri: string;
  selectors: Record<string, string>;
  maxEnvelopeSize: number;
  operationTimeoutMs: number | null;
  body: XmlNode | null;
}

/** xs:duration such as PT60.000S or P0DT0H1M0S -> ms (null if absent or unreadable). */
export function parseDuration(text: string | undefined): number | null {
  if (!text) return null;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m) return null;
  const [, d, h, mi, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Math.round(Number(s ?? 0) * 1000);
}

export function readRequest(env: XmlNode, serverMaxEnvelope: number): WsmanRequest {
  const header = child(env, 'Header');
  const body = child(env, 'Body');
  const text = (local: string) => child(header, local)?.text.trim() ?? '';
  const messageId = text('MessageID');
  if (!messageId) throw new WsmanServerFault('InvalidMessageInformationHeader', 'The MessageID header is missing or empty.');
  const replyTo = path(header, 'ReplyTo', 'Address')?.text.trim();
  if (replyTo && replyTo !== ANONYMOUS) {
    throw new WsmanServerFault(
      'UnsupportedFeature',
      'The WS-Management service supports only anonymous ReplyTo addresses (AddressingMode).',
    );
  }
  for (const local of ['Locale', 'DataLocale']) {
    const el = child(header, local);
    const mu = el ? Object.entries(el.attrs).find(([k]) => k === 'mustUnderstand' || k.endsWith('}mustUnderstand'))?.[1] : undefined;
    if (mu === 'true' || mu === '1')
      throw new WsmanServerFault('UnsupportedFeature', `The ${local} header must carry mustUnderstand="false".`);
  }
  let maxEnvelopeSize = serverMaxEnvelope;
  const mes = text('MaxEnvelopeSize');
  if (mes) {
    const n = Number(mes);
    if (!Number.isInteger(n) || n < 8192) {
      throw new WsmanServerFault('EncodingLimit', `MaxEnvelopeSize ${mes} is below the minimum of 8192.`);
    }
    maxEnvelopeSize = Math.min(n, serverMaxEnvelope);
  }
  const selectors: Record<string, string> = {};
  for (const s of children(child(header, 'SelectorSet'), 'Selector')) selectors[s.attrs.Name ?? ''] = s.text;
  return {
    action: text('Action'),
    messageId,
    resourceUri: text('ResourceURI'),
    selectors,
    maxEnvelopeSize,
    operationTimeoutMs: parseDuration(text('OperationTimeout')),
    body,
  };
}
