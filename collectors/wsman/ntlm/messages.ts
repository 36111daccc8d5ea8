// NTLM message codecs (MS-NLMP §2.2.1): NEGOTIATE, CHALLENGE, AUTHENTICATE and AV pairs.
// Both the client and the simulator's server use them; decoders validate lengths and offsets.
import { NegotiateFlags } from './crypto.js';

export const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const AvId = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  SingleHost: 8,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

export interface AvPair {
  id: number;
  value: Buffer;
}

export class NtlmFormatError extends Error {
  constructor(message: string) {
    super(`Malformed NTLM message: ${message}`);
    this.name = 'NtlmFormatError';
  }
}

export function encodeAvPairs(pairs: AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    if (p.id === AvId.EOL) continue;
    const h = Buffer.alloc(4);
    h.writeUInt16LE(p.id, 0);
    h.writeUInt16LE(p.value.length, 2);
    parts.push(h, p.value);
  }
  parts.push(Buffer.alloc(4)); // MsvAvEOL
  return Buffer.concat(parts);
}

export function decodeAvPairs(buf: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const id = buf.readUInt16LE(off);
    const len = buf.readUInt16LE(off + 2);
    if (id === AvId.EOL) return pairs;
    if (off + 4 + len > buf.length) throw new NtlmFormatError('AV pair runs past the end of TargetInfo');
    pairs.push({ id, value: Buffer.from(buf.subarray(off + 4, off + 4 + len)) });
    off += 4 + len;
  }
  throw new NtlmFormatError('TargetInfo has no MsvAvEOL');
}

/** The 8-byte VERSION field: Windows 10.0 build 20348, NTLM revision 15. */
export const DEFAULT_VERSION = Buffer.from([10, 0, 0x4c, 0x4f, 0, 0, 0, 15]);

function checkHeader(buf: Buffer, type: number, minLen: number): void {
  if (buf.length < minLen) throw new NtlmFormatError(`type ${type} message is ${buf.length} bytes, expected at least ${minLen}`);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new NtlmFormatError('missing NTLMSSP signature');
  const actual = buf.readUInt32LE(8);
  if (actual !== type) throw new NtlmFormatError(`expected message type ${type}, got ${actual}`);
}

function readField(buf: Buffer, at: number, what: string): Buffer {
  const len = buf.readUInt16LE(at);
  const off = buf.readUInt32LE(at + 4);
  if (len === 0) return Buffer.alloc(0);
  if (off + len > buf.length) throw new NtlmFormatError(`${what} field points past the end of the message`);
  return Buffer.from(buf.subarray(off, off + len));
}

/** Lays out fixed header + payload fields, filling the (len, maxLen, offset) descriptors. */
class PayloadWriter {
  readonly header: Buffer;
  readonly #payload: Buffer[] = [];
  #offset: number;
  constructor(headerLen: number) {
    this.header = Buffer.alloc(headerLen);
    this.#offset = headerLen;
  }
  field(at: number, data: Buffer): void {
    this.header.writeUInt16LE(data.length, at);
    this.header.writeUInt16LE(data.length, at + 2);
    this.header.writeUInt32LE(this.#offset, at + 4);
    this.#payload.push(data);
    this.#offset += data.length;
  }
  finish(): Buffer {
    return Buffer.concat([this.header, ...this.#payload]);
  }
}

// ---------- NEGOTIATE ----------
export interface NegotiateMessage {
  flags: number;
  domain: string;
  workstation: string;
}

export function encodeNegotiate(flags: number): Buffer {
  const w = new PayloadWriter(40);
  SIGNATURE.copy(w.header, 0);
  w.header.writeUInt32LE(1, 8);
  w.header.writeUInt32LE(flags >>> 0, 12);
  w.field(16, Buffer.alloc(0));
  w.field(24, Buffer.alloc(0));
  DEFAULT_VERSION.copy(w.header, 32);
  return w.finish();
}

export function decodeNegotiate(buf: Buffer): NegotiateMessage {
  checkHeader(buf, 1, 16);
  const flags = buf.readUInt32LE(12);
  const domain = buf.length >= 24 ? readField(buf, 16, 'DomainName').toString('latin1') : '';
  const workstation = buf.length >= 32 ? readField(buf, 24, 'Workstation').toString('latin1') : '';
  return { flags, domain, workstation };
}

// ---------- CHALLENGE ----------
export interface ChallengeMessage {
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  targetInfo: Buffer;
  version?: Buffer;
}

export function encodeChallenge(msg: ChallengeMessage): Buffer {
  const w = new PayloadWriter(56);
  SIGNATURE.copy(w.header, 0);
  w.header.writeUInt32LE(2, 8);
  w.field(12, Buffer.from(msg.targetName, msg.flags & NegotiateFlags.UNICODE ? 'utf16le' : 'latin1'));
  w.header.writeUInt32LE(msg.flags >>> 0, 20);
  msg.serverChallenge.copy(w.header, 24);
  w.field(40, msg.targetInfo);
  (msg.version ?? DEFAULT_VERSION).copy(w.header, 48);
  return w.finish();
}

export function decodeChallenge(buf: Buffer): ChallengeMessage {
  checkHeader(buf, 2, 32);
  const flags = buf.readUInt32LE(20);
  const targetName = readField(buf, 12, 'TargetName').toString(flags & NegotiateFlags.UNICODE ? 'utf16le' : 'latin1');
  const serverChallenge = Buffer.from(buf.subarray(24, 32));
  const targetInfo = buf.length >= 48 ? readField(buf, 40, 'TargetInfo') : Buffer.alloc(0);
  const version = buf.length >= 56 && flags & NegotiateFlags.VERSION ? Buffer.from(buf.subarray(48, 56)) : undefined;
  return { flags, serverChallenge, targetName, targetInfo, version };
}

// ---------- AUTHENTICATE ----------
export interface AuthenticateMessage {
  flags: number;
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  /** 16 bytes at offset 72 when the VERSION field is present (always when we write). */
  mic?: Buffer;
}

export const MIC_OFFSET = 72;

/** Always writes the VERSION and MIC fields (payload starts at 88); the MIC is zero until filled in. */
export function encodeAuthenticate(msg: Omit<AuthenticateMessage, 'mic'>): Buffer {
  const unicode = (msg.flags & NegotiateFlags.UNICODE) !== 0;
  const enc = (s: string) => Buffer.from(s, unicode ? 'utf16le' : 'latin1');
  const w = new PayloadWriter(88);
  SIGNATURE.copy(w.header, 0);
  w.header.writeUInt32LE(3, 8);
  w.field(28, enc(msg.domain));
  w.field(36, enc(msg.user));
  w.field(44, enc(msg.workstation));
  w.field(12, msg.lmChallengeResponse);
  w.field(20, msg.ntChallengeResponse);
  w.field(52, msg.encryptedRandomSessionKey);
  w.header.writeUInt32LE(msg.flags >>> 0, 60);
  DEFAULT_VERSION.copy(w.header, 64);
  return w.finish();
}

export function decodeAuthenticate(buf: Buffer): AuthenticateMessage {
  checkHeader(buf, 3, 64);
  const flags = buf.readUInt32LE(60);
  const unicode = (flags & NegotiateFlags.UNICODE) !== 0;
  const dec = (b: Buffer) => b.toString(unicode ? 'utf16le' : 'latin1');
  // The MIC exists when the payload starts at or after 88 (VERSION + MIC present).
  const offsets = [12, 20, 28, 36, 44, 52]
    .map((at) => ({ len: buf.readUInt16LE(at), off: buf.readUInt32LE(at + 4) }))
    .filter((f) => f.len > 0)
    .map((f) => f.off);
  const payloadStart = offsets.length ? Math.min(...offsets) : buf.length;
  return {
    flags,
    lmChallengeResponse: readField(buf, 12, 'LmChallengeResponse'),
    ntChallengeResponse: readField(buf, 20, 'NtChallengeResponse'),
    domain: dec(readField(buf, 28, 'DomainName')),
    user: dec(readField(buf, 36, 'UserName')),
    workstation: dec(readField(buf, 44, 'Workstation')),
    encryptedRandomSessionKey: readField(buf, 52, 'EncryptedRandomSessionKey'),
    mic: payloadStart >= 88 && buf.length >= 88 ? Buffer.from(buf.subarray(MIC_OFFSET, MIC_OFFSET + 16)) : undefined,
  };
}

/** Reads the message type of any NTLMSSP token (1, 2 or 3), or 0 when it is not NTLMSSP. */
export function messageType(buf: Buffer): number {
  if (buf.length < 12 || !buf.subarray(0, 8).equals(SIGNATURE)) return 0;
  return buf.readUInt32LE(8);
}
