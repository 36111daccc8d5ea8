// NTLM session security with extended session security (MS-NLMP §3.4.2-4): GSS_WrapEx / GSS_UnwrapEx.
// One RC4 stream and one sequence number per direction, kept for the life of the authenticated connection.
import { timingSafeEqual } from 'node:crypto';
import { hmacMd5, deriveSessionKeys, NegotiateFlags } from './crypto.js';
import { Rc4 } from './rc4.js';

export class NtlmIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmIntegrityError';
  }
}

interface Direction {
  signKey: Buffer;
  rc4: Rc4;
  seq: number;
}

export interface Wrapped {
  /** NTLMSSP_MESSAGE_SIGNATURE: 01000000 | checksum(8) | seq(4) */
  signature: Buffer;
  sealed: Buffer;
}

export class NtlmSession {
  readonly flags: number;
  readonly #out: Direction;
  readonly #in: Direction;

  /** `role` decides which keys are outgoing: a client sends with the client-to-server keys. */
  constructor(exportedSessionKey: Buffer, flags: number, role: 'client' | 'server') {
    this.flags = flags;
    const k = deriveSessionKeys(exportedSessionKey, flags);
    const c2s: Direction = { signKey: k.clientSignKey, rc4: new Rc4(k.clientSealKey), seq: 0 };
    const s2c: Direction = { signKey: k.serverSignKey, rc4: new Rc4(k.serverSealKey), seq: 0 };
    this.#out = role === 'client' ? c2s : s2c;
    this.#in = role === 'client' ? s2c : c2s;
  }

  get canSeal(): boolean {
    return (this.flags & NegotiateFlags.SEAL) !== 0;
  }

  /** Seals the message FIRST, then signs the plaintext and encrypts the checksum with the same stream. */
  wrap(plaintext: Buffer): Wrapped {
    const d = this.#out;
    const sealed = d.rc4.update(plaintext);
    const signature = this.#sign(d, plaintext);
    d.seq = (d.seq + 1) >>> 0;
    return { signature, sealed };
  }

  unwrap(sealed: Buffer, signature: Buffer): Buffer {
    const d = this.#in;
    if (signature.length !== 16 || signature.readUInt32LE(0) !== 1) {
      throw new NtlmIntegrityError('the message signature is not an NTLMv2 (extended session security) signature');
    }
    const plaintext = d.rc4.update(sealed);
    const expected = this.#sign(d, plaintext);
    d.seq = (d.seq + 1) >>> 0;
    if (!timingSafeEqual(expected.subarray(4, 12), signature.subarray(4, 12))) {
      throw new NtlmIntegrityError('the message signature does not match (wrong session key or tampered message)');
    }
    if (!expected.subarray(12, 16).equals(signature.subarray(12, 16))) {
      throw new NtlmIntegrityError(`out-of-sequence message: expected seq ${expected.readUInt32LE(12)}, got ${signature.readUInt32LE(12)}`);
    }
    return plaintext;
  }

  #sign(d: Direction, plaintext: Buffer): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(d.seq);
    let checksum = hmacMd5(d.signKey, seq, plaintext).subarray(0, 8);
    if (this.flags & NegotiateFlags.KEY_EXCH) checksum = d.rc4.update(checksum);
    return Buffer.concat([Buffer.from([1, 0, 0, 0]), checksum, seq]);
  }
}
