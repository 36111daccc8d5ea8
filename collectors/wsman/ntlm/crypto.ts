// NTLMv2 key derivation (MS-NLMP §3.3.2, §3.4.4-5), on node:crypto for MD5/HMAC-MD5 and js-md4 for MD4
// (OpenSSL 3 has MD4 only in the legacy provider).
import { createHash, createHmac } from 'node:crypto';
import md4 from 'js-md4';
import { rc4 } from './rc4.js';

export function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function utf16le(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

/** NTOWFv1 = MD4(UTF-16LE(password)): the NT hash. */
export function ntHash(password: string): Buffer {
  return Buffer.from(md4.arrayBuffer(utf16le(password)));
}

/** NTOWFv2 = HMAC_MD5(NT hash, UTF-16LE(UPPER(user) + domain)); the domain is used as sent, not upper-cased. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return ntowfv2FromHash(ntHash(password), user, domain);
}

export function ntowfv2FromHash(hash: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(hash, utf16le(user.toUpperCase() + domain));
}

/** The NTLMv2 "temp" blob: version, time, client challenge and the AV pairs the client signs. */
export function ntlmv2Temp(timestamp: Buffer, clientChallenge: Buffer, avPairs: Buffer): Buffer {
  return Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), timestamp, clientChallenge, Buffer.alloc(4), avPairs, Buffer.alloc(4)]);
}

export interface Ntlmv2Response {
  ntProofStr: Buffer;
  /** NtChallengeResponse = NTProofStr || temp */
  ntChallengeResponse: Buffer;
  /** LMv2 response (sent as 24 zero bytes when a MIC is sent, per MS-NLMP §3.1.5.1.2). */
  lmChallengeResponse: Buffer;
  sessionBaseKey: Buffer;
}

export function computeNtlmv2(ntowf: Buffer, serverChallenge: Buffer, clientChallenge: Buffer, temp: Buffer): Ntlmv2Response {
  const ntProofStr = hmacMd5(ntowf, serverChallenge, temp);
  return {
    ntProofStr,
    ntChallengeResponse: Buffer.concat([ntProofStr, temp]),
    lmChallengeResponse: Buffer.concat([hmacMd5(ntowf, serverChallenge, clientChallenge), clientChallenge]),
    sessionBaseKey: hmacMd5(ntowf, ntProofStr),
  };
}

/** KXKEY for NTLMv2 is the session base key; with KEY_EXCH the client sends RC4K(KXKEY, random session key). */
export function encryptSessionKey(keyExchangeKey: Buffer, randomSessionKey: Buffer): Buffer {
  return rc4(keyExchangeKey, randomSessionKey);
}

const CLIENT_SIGN = Buffer.from('session key to client-to-server signing key magic constant\0', 'latin1');
const SERVER_SIGN = Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1');
const CLIENT_SEAL = Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1');
const SERVER_SEAL = Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1');

export interface SessionKeys {
  clientSignKey: Buffer;
  serverSignKey: Buffer;
  clientSealKey: Buffer;
  serverSealKey: Buffer;
}

/** SIGNKEY/SEALKEY (MS-NLMP §3.4.5.2-3) with extended session security. */
export function deriveSessionKeys(exportedSessionKey: Buffer, flags: number): SessionKeys {
  let sealBase = exportedSessionKey;
  if (!(flags & NegotiateFlags.NEGOTIATE_128)) {
    sealBase = exportedSessionKey.subarray(0, flags & NegotiateFlags.NEGOTIATE_56 ? 7 : 5);
  }
  return {
    clientSignKey: md5(exportedSessionKey, CLIENT_SIGN),
    serverSignKey: md5(exportedSessionKey, SERVER_SIGN),
    clientSealKey: md5(sealBase, CLIENT_SEAL),
    serverSealKey: md5(sealBase, SERVER_SEAL),
  };
}

/** NEGOTIATE flags (MS-NLMP §2.2.2.5). */
export const NegotiateFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  OEM_DOMAIN_SUPPLIED: 0x00001000,
  OEM_WORKSTATION_SUPPLIED: 0x00002000,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  IDENTIFY: 0x00100000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  NEGOTIATE_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  NEGOTIATE_56: 0x80000000,
} as const;

/** Windows FILETIME (100 ns ticks since 1601-01-01) as 8 little-endian bytes. */
export function fileTime(ms = Date.now()): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(ms) + 11_644_473_600_000n) * 10_000n);
  return b;
}
