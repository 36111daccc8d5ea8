// Acceptor side of NTLMv2 (MS-NLMP §3.2) for the simulator: issues the CHALLENGE, verifies the
// NTProofStr against local accounts, checks the MIC and (when sent) the channel binding.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { fileTime, hmacMd5, NegotiateFlags as F, ntowfv2, computeNtlmv2 } from '../../collectors/wsman/ntlm/crypto.js';
import { rc4 } from '../../collectors/wsman/ntlm/rc4.js';
import {
  AvId,
  decodeAuthenticate,
  decodeAvPairs,
  decodeNegotiate,
  encodeAvPairs,
  encodeChallenge,
  MIC_OFFSET,
} from '../../collectors/wsman/ntlm/messages.js';
import { NtlmSession } from '../../collectors/wsman/ntlm/session.js';

/** The flags a Windows server keeps from the client's NEGOTIATE. */
const SERVER_KEEPS =
  F.UNICODE |
  F.REQUEST_TARGET |
  F.SIGN |
  F.SEAL |
  F.NTLM |
  F.ALWAYS_SIGN |
  F.EXTENDED_SESSIONSECURITY |
  F.TARGET_INFO |
  F.VERSION |
  F.NEGOTIATE_128 |
  F.KEY_EXCH |
  F.NEGOTIATE_56;

export class NtlmAuthFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmAuthFailure';
  }
}

export interface NtlmServerOptions {
  computerName: string;
  domainName?: string;
  /** Password for the account as the client names it (domain may be empty), or undefined. */
  lookup(user: string, domain: string): string | undefined;
  /** Expected MsvAvChannelBindings (HTTPS); checked when the client sends a non-zero value. */
  channelBinding?: Buffer;
  testing?: { serverChallenge?: Buffer; timestamp?: Buffer };
}

export interface NtlmAcceptResult {
  /** "DOMAIN\user" as sent (or "user" without a domain). */
  account: string;
  session: NtlmSession;
  /** True when the client sent a channel binding and it matched this server's certificate. */
  channelBound: boolean;
}

export class NtlmServerContext {
  readonly #opts: NtlmServerOptions;
  #negotiate: Buffer | undefined;
  #challenge: Buffer | undefined;
  #serverChallenge: Buffer = Buffer.alloc(0);

  constructor(opts: NtlmServerOptions) {
    this.#opts = opts;
  }

  challenge(negotiateBuf: Buffer): Buffer {
    const neg = decodeNegotiate(negotiateBuf);
    this.#negotiate = negotiateBuf;
    this.#serverChallenge = this.#opts.testing?.serverChallenge ?? randomBytes(8);
    const name = this.#opts.computerName.toUpperCase();
    const domain = (this.#opts.domainName ?? name).toUpperCase();
    const utf = (s: string) => Buffer.from(s, 'utf16le');
    const targetInfo = encodeAvPairs([
      { id: AvId.NbDomainName, value: utf(domain) },
      { id: AvId.NbComputerName, value: utf(name) },
      { id: AvId.DnsDomainName, value: utf(domain.toLowerCase()) },
      { id: AvId.DnsComputerName, value: utf(name.toLowerCase()) },
      { id: AvId.Timestamp, value: this.#opts.testing?.timestamp ?? fileTime() },
    ]);
    const flags = ((neg.flags & SERVER_KEEPS) | F.TARGET_TYPE_SERVER | F.TARGET_INFO | F.UNICODE | F.NTLM) >>> 0;
    this.#challenge = encodeChallenge({ flags, serverChallenge: this.#serverChallenge, targetName: domain, targetInfo });
    return this.#challenge;
  }

  authenticate(authBuf: Buffer): NtlmAcceptResult {
    if (!this.#negotiate || !this.#challenge) throw new NtlmAuthFailure('AUTHENTICATE without a preceding NEGOTIATE on this connection');
    const msg = decodeAuthenticate(authBuf);
    if (msg.ntChallengeResponse.length <= 24) throw new NtlmAuthFailure('NTLMv1 responses are refused; NTLMv2 is required');
    const password = this.#opts.lookup(msg.user, msg.domain);
    const account = msg.domain ? `${msg.domain}\\${msg.user}` : msg.user;
    if (password === undefined) throw new NtlmAuthFailure(`unknown account ${account}`);
    const ntowf = ntowfv2(password, msg.user, msg.domain);
    const temp = msg.ntChallengeResponse.subarray(16);
    const clientChallenge = temp.subarray(16, 24);
    const r = computeNtlmv2(ntowf, this.#serverChallenge, clientChallenge, temp);
    if (!timingSafeEqual(r.ntProofStr, msg.ntChallengeResponse.subarray(0, 16))) {
      throw new NtlmAuthFailure(`wrong password for ${account}`);
    }
    const flags = msg.flags;
    let exportedSessionKey: Buffer = r.sessionBaseKey;
    if (flags & F.KEY_EXCH) {
      if (msg.encryptedRandomSessionKey.length !== 16) throw new NtlmAuthFailure('KEY_EXCH without a 16-byte session key');
      exportedSessionKey = rc4(r.sessionBaseKey, msg.encryptedRandomSessionKey);
    }
    const pairs = decodeAvPairs(temp.subarray(28, temp.length - 4));
    const avFlags = pairs.find((p) => p.id === AvId.Flags)?.value.readUInt32LE(0) ?? 0;
    if (avFlags & 0x2) {
      if (!msg.mic) throw new NtlmAuthFailure('MsvAvFlags announces a MIC but the message has none');
      const zeroed = Buffer.from(authBuf);
      zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
      const mic = hmacMd5(exportedSessionKey, this.#negotiate, this.#challenge, zeroed);
      if (!timingSafeEqual(mic, msg.mic)) throw new NtlmAuthFailure('MIC check failed: the NTLM messages were altered');
    }
    const cbt = pairs.find((p) => p.id === AvId.ChannelBindings)?.value;
    if (this.#opts.channelBinding && cbt && !cbt.equals(Buffer.alloc(16)) && !cbt.equals(this.#opts.channelBinding)) {
      throw new NtlmAuthFailure('channel binding mismatch: the client saw a different TLS certificate');
    }
    const channelBound = !!(this.#opts.channelBinding && cbt?.equals(this.#opts.channelBinding));
    return { account, session: new NtlmSession(exportedSessionKey, flags, 'server'), channelBound };
  }
}
