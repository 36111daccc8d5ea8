// Channel binding token for NTLM over HTTPS (RFC 5929 tls-server-end-point, MS-NLMP MsvAvChannelBindings):
// MD5 of a gss_channel_bindings_struct whose application data is "tls-server-end-point:" + H(cert DER).
import { createHash } from 'node:crypto';
import { md5 } from './crypto.js';

// Signature algorithm OIDs -> the hash RFC 5929 says to use (MD5/SHA-1 are upgraded to SHA-256).
const SIG_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** One byte of a certificate, or an error naming the truncation. */
function byteAt(der: Buffer, i: number): number {
  const b = der[i];
  if (b === undefined) throw new Error(`truncated DER: no byte at offset ${i} of ${der.length}`);
  return b;
}

/** Reads one DER TLV header at `off`: returns the content start and length. */
function tlv(der: Buffer, off: number): { tag: number; start: number; len: number } {
  const tag = byteAt(der, off);
  let len = byteAt(der, off + 1);
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + byteAt(der, start + i);
    start += n;
  }
  return { tag, start, len };
}

function oidToString(b: Buffer): string {
  const first = byteAt(b, 0);
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    const byte = byteAt(b, i);
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The certificate's signatureAlgorithm OID (Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature }). */
export function signatureAlgorithmOid(der: Buffer): string | null {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    const alg = tlv(der, tbs.start + tbs.len);
    const oid = tlv(der, alg.start);
    if (oid.tag !== 0x06) return null;
    return oidToString(der.subarray(oid.start, oid.start + oid.len));
  } catch {
    return null;
  }
}

export function certificateHash(der: Buffer): Buffer {
  const oid = signatureAlgorithmOid(der);
  const alg = (oid && SIG_HASH[oid]) ?? 'sha256';
  return createHash(alg).update(der).digest();
}

/** The 16-byte MsvAvChannelBindings value for a TLS server certificate (DER). */
export function channelBindingHash(certDer: Buffer): Buffer {
  const appData = Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), certificateHash(certDer)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(appData.length);
  return md5(Buffer.alloc(16), len, appData);
}
