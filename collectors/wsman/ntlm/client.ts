// Client side of NTLMv2 with extended session security, key exchange and MIC (MS-NLMP §3.1).
import { randomBytes } from 'node:crypto';
import { computeNtlmv2, encryptSessionKey, fileTime, hmacMd5, NegotiateFlags as F, ntlmv2Temp, ntowfv2 } from './crypto.js';
import {
  AvId,
  decodeAvPairs,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  MIC_OFFSET,
  type AvPair,
} from './messages.js';
import { NtlmSession } from './session.js';

/** What we ask for: Unicode, NTLM, sign + seal, extended session security, 128-bit, key exchange, version. */
export const CLIENT_NEGOTIATE_FLAGS =
  F.UNICODE |
  F.OEM |
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

/** "DOMAIN\user" -> { domain, user }; "user@domain" and "user" are sent as the user name with an empty domain. */
export function splitAccount(account: string): { domain: string; user: string } {
  const i = account.indexOf('\\');
  if (i < 0) return { domain: '', user: account };
  return { domain: account.slice(0, i), user: account.slice(i + 1) };
}

export interface NtlmClientOptions {
  account: string;
  password: string;
  workstation?: string;
  /** MsvAvChannelBindings (see cbt.ts) for NTLM over HTTPS. */
  channelBinding?: Buffer;
  /** Fixed inputs for test vectors only. */
  testing?: { clientChallenge?: Buffer; randomSessionKey?: Buffer; timestamp?: Buffer };
}

export class NtlmClientContext {
  readonly #opts: NtlmClientOptions;
  #negotiate: Buffer | undefined;
  #session: NtlmSession | undefined;

  constructor(opts: NtlmClientOptions) {
    this.#opts = opts;
  }

  negotiate(): Buffer {
    this.#negotiate = encodeNegotiate(CLIENT_NEGOTIATE_FLAGS);
    return this.#negotiate;
  }

  /**
   * Answers a CHALLENGE with an AUTHENTICATE message and derives the session keys. The channel
   * binding may be given here because over HTTPS it is known only once the TLS socket exists.
   */
  authenticate(challengeBuf: Buffer, channelBinding = this.#opts.channelBinding): Buffer {
    if (!this.#negotiate) throw new Error('negotiate() must be called before authenticate()');
    const challenge = decodeChallenge(challengeBuf);
    if (!(challenge.flags & F.EXTENDED_SESSIONSECURITY) || !(challenge.flags & F.NTLM)) {
      throw new Error('the server does not offer NTLMv2 with extended session security; refusing to fall back to NTLMv1');
    }
    const { domain, user } = splitAccount(this.#opts.account);
    const t = this.#opts.testing ?? {};
    const clientChallenge = t.clientChallenge ?? randomBytes(8);
    const serverPairs = challenge.targetInfo.length ? decodeAvPairs(challenge.targetInfo) : [];
    const serverTime = serverPairs.find((p) => p.id === AvId.Timestamp)?.value;
    const timestamp = t.timestamp ?? serverTime ?? fileTime();

    // The pairs the client signs: the server's, plus MsvAvFlags (MIC present) and channel bindings.
    const pairs: AvPair[] = serverPairs.filter((p) => p.id !== AvId.Flags && p.id !== AvId.ChannelBindings);
    let avFlags = 0;
    const existingFlags = serverPairs.find((p) => p.id === AvId.Flags);
    if (existingFlags) avFlags = existingFlags.value.readUInt32LE(0);
    const sendMic = serverTime !== undefined;
    if (sendMic) avFlags |= 0x2;
    if (avFlags) {
      const v = Buffer.alloc(4);
      v.writeUInt32LE(avFlags);
      pairs.push({ id: AvId.Flags, value: v });
    }
    if (channelBinding) pairs.push({ id: AvId.ChannelBindings, value: channelBinding });
    const avBytes = serverPairs.length || pairs.length ? encodeAvPairs(pairs) : Buffer.alloc(0);

    const ntowf = ntowfv2(this.#opts.password, user, domain);
    const temp = ntlmv2Temp(timestamp, clientChallenge, avBytes);
    const r = computeNtlmv2(ntowf, challenge.serverChallenge, clientChallenge, temp);

    const flags = challenge.flags;
    let exportedSessionKey: Buffer = r.sessionBaseKey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if (flags & F.KEY_EXCH) {
      exportedSessionKey = t.randomSessionKey ?? randomBytes(16);
      encryptedRandomSessionKey = encryptSessionKey(r.sessionBaseKey, exportedSessionKey);
    }
    const msg = encodeAuthenticate({
      flags,
      lmChallengeResponse: sendMic ? Buffer.alloc(24) : r.lmChallengeResponse,
      ntChallengeResponse: r.ntChallengeResponse,
      domain,
      user,
      workstation: this.#opts.workstation ?? '',
      encryptedRandomSessionKey,
    });
    if (sendMic) {
      hmacMd5(exportedSessionKey, this.#negotiate, challengeBuf, msg).copy(msg, MIC_OFFSET);
    }
    this.#session = new NtlmSession(exportedSessionKey, flags, 'client');
    return msg;
  }

  get session(): NtlmSession {
    if (!this.#session) throw new Error('NTLM handshake not complete');
    return this.#session;
  }
}
