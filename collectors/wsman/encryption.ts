// MS-WSMV §2.2.9.1.1 multipart/encrypted framing for NTLM session encryption (docs/winrm-wire.md §2.2), byte-exact.
// Parsing locates the part headers and reads exactly 4 + siglen + Length bytes: the ciphertext may
// contain anything, including the boundary.
import type { NtlmSession } from './ntlm/session.js';

export const ENCRYPTED_CONTENT_TYPE =
  'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';

const BOUNDARY = '--Encrypted Boundary\r\n';
const TRAILER = Buffer.from('--Encrypted Boundary--\r\n', 'latin1');
const OCTET_HEADER = '\tContent-Type: application/octet-stream\r\n';

export class EncryptionFramingError extends Error {
  constructor(message: string) {
    super(`Invalid encrypted message: ${message}`);
    this.name = 'EncryptionFramingError';
  }
}

export function isEncryptedContentType(contentType: string | undefined): boolean {
  return !!contentType && /multipart\/encrypted/i.test(contentType) && /HTTP-SPNEGO-session-encrypted/i.test(contentType);
}

/** Seals a SOAP message into the multipart body. `charset` describes the plaintext bytes. */
export function encryptMessage(session: NtlmSession, plaintext: Buffer, charset = 'UTF-8'): Buffer {
  const { signature, sealed } = session.wrap(plaintext);
  const head = Buffer.from(
    BOUNDARY +
      '\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n' +
      `\tOriginalContent: type=application/soap+xml;charset=${charset};Length=${plaintext.length}\r\n` +
      BOUNDARY +
      OCTET_HEADER,
    'latin1',
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(signature.length);
  return Buffer.concat([head, len, signature, sealed, TRAILER]);
}

export interface DecryptedMessage {
  plaintext: Buffer;
  /** The charset named in OriginalContent (UTF-8 or UTF-16). */
  charset: string;
}

export function decryptMessage(session: NtlmSession, body: Buffer): DecryptedMessage {
  // The headers are ASCII and come before any ciphertext, so searching from the start is safe.
  const octet = body.indexOf(OCTET_HEADER, 0, 'latin1');
  if (octet < 0) throw new EncryptionFramingError('no application/octet-stream part');
  const head = body.subarray(0, octet).toString('latin1');
  if (!head.startsWith('--Encrypted Boundary')) throw new EncryptionFramingError('does not start with --Encrypted Boundary');
  const m = /OriginalContent:\s*type=[^;\r\n]+(?:;\s*charset=([^;\r\n]+))?;\s*Length=(\d+)/i.exec(head);
  if (!m) throw new EncryptionFramingError('no OriginalContent header with a Length');
  const length = Number(m[2]);
  const start = octet + OCTET_HEADER.length;
  if (start + 4 > body.length) throw new EncryptionFramingError('truncated before the signature length');
  const sigLen = body.readUInt32LE(start);
  if (sigLen !== 16) throw new EncryptionFramingError(`signature length ${sigLen}, expected 16 (NTLM)`);
  const sigStart = start + 4;
  const dataStart = sigStart + sigLen;
  if (dataStart + length > body.length) throw new EncryptionFramingError(`sealed data is shorter than Length=${length}`);
  const plaintext = session.unwrap(body.subarray(dataStart, dataStart + length), body.subarray(sigStart, dataStart));
  return { plaintext, charset: (m[1] ?? 'UTF-8').trim() };
}

/** Decodes SOAP bytes in the charset the peer declared (Windows' own client sends UTF-16). */
export function decodeSoap(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? '').toLowerCase();
  if (cs.startsWith('utf-16') || (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)) {
    const text = (cs === 'utf-16be' ? swap16(bytes) : bytes).toString('utf16le');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function swap16(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c.swap16();
  return c;
}

export function charsetOf(contentType: string | undefined): string | undefined {
  return /charset="?([^;"\s]+)/i.exec(contentType ?? '')?.[1];
}
