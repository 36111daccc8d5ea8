// MS-NLMP §4.2.4 (NTLMv2) test vectors: keys, responses, messages and GSS_WrapEx, for both sides.
import { describe, expect, it } from 'vitest';
import {
  computeNtlmv2,
  deriveSessionKeys,
  encryptSessionKey,
  NegotiateFlags,
  ntlmv2Temp,
  ntowfv2,
} from '../../../collectors/wsman/ntlm/crypto.js';
import { decodeAuthenticate, decodeAvPairs, decodeChallenge, encodeNegotiate, AvId } from '../../../collectors/wsman/ntlm/messages.js';
import { NtlmClientContext } from '../../../collectors/wsman/ntlm/client.js';
import { NtlmServerContext, NtlmAuthFailure } from '../../../lab/wsman-server/ntlm-acceptor.js';
import { NtlmSession, NtlmIntegrityError } from '../../../collectors/wsman/ntlm/session.js';
import { rc4, Rc4 } from '../../../collectors/wsman/ntlm/rc4.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const SERVER_CHALLENGE = hex('0123456789abcdef');
const CLIENT_CHALLENGE = hex('aaaaaaaaaaaaaaaa');
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
const TIME = Buffer.alloc(8);
const TARGET_INFO = hex('02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000');
// §4.2.4.3 CHALLENGE_MESSAGE and AUTHENTICATE_MESSAGE.
const SPEC_CHALLENGE = hex(
  '4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000',
);
const SPEC_AUTHENTICATE = hex(`
  4e544c4d5353500003000000180018006c00000054005400840000000c000c00
  480000000800080054000000100010005c00000010001000d8000000358288e2
  0501280a0000000f44006f006d00610069006e00550073006500720043004f00
  4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa
  aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000
  00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00
  01000c005300650072007600650072000000000000000000c5dad2544fc97990
  94ce1ce90bc9d03e`);
const PLAINTEXT = Buffer.from('Plaintext', 'utf16le');
const SEALED = hex('54e50165bf1936dc996020c1811b0f06fb5f');
const SIGNATURE = hex('010000007fb38ec5c55d497600000000');
const SPEC_FLAGS = 0xe28a8233;

describe('MS-NLMP 4.2.4 NTLMv2 vectors', () => {
  it('RC4 matches a published test vector (Key/Plaintext)', () => {
    expect(rc4(Buffer.from('Key'), Buffer.from('Plaintext')).toString('hex')).toBe('bbf316e8d940af0ad3');
    // Streaming across calls equals one call.
    const s = new Rc4(Buffer.from('Key'));
    expect(Buffer.concat([s.update(Buffer.from('Plain')), s.update(Buffer.from('text'))]).toString('hex')).toBe('bbf316e8d940af0ad3');
  });

  it('derives NTOWFv2, NTProofStr, the session base key and the encrypted session key', () => {
    const ntowf = ntowfv2('Password', 'User', 'Domain');
    expect(ntowf.toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
    const temp = ntlmv2Temp(TIME, CLIENT_CHALLENGE, TARGET_INFO);
    expect(temp.toString('hex')).toBe(
      '01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000',
    );
    const r = computeNtlmv2(ntowf, SERVER_CHALLENGE, CLIENT_CHALLENGE, temp);
    expect(r.ntProofStr.toString('hex')).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(r.lmChallengeResponse.toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    expect(r.sessionBaseKey.toString('hex')).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
    expect(encryptSessionKey(r.sessionBaseKey, RANDOM_SESSION_KEY).toString('hex')).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
  });

  it('derives the sealing and signing keys', () => {
    const k = deriveSessionKeys(RANDOM_SESSION_KEY, SPEC_FLAGS);
    expect(k.clientSealKey.toString('hex')).toBe('59f600973cc4960a25480a7c196e4c58');
    expect(k.clientSignKey.toString('hex')).toBe('4788dc861b4782f35d43fd98fe1a2d39');
  });

  it('GSS_WrapEx seals "Plaintext" and signs it as in §4.2.4.4, and the peer unwraps it', () => {
    const client = new NtlmSession(RANDOM_SESSION_KEY, SPEC_FLAGS, 'client');
    const w = client.wrap(PLAINTEXT);
    expect(w.sealed.toString('hex')).toBe(SEALED.toString('hex'));
    expect(w.signature.toString('hex')).toBe(SIGNATURE.toString('hex'));
    const server = new NtlmSession(RANDOM_SESSION_KEY, SPEC_FLAGS, 'server');
    expect(server.unwrap(SEALED, SIGNATURE).equals(PLAINTEXT)).toBe(true);
    // The streams continue: message 2 in each direction round-trips, seq advances.
    const w2 = client.wrap(Buffer.from('second'));
    expect(w2.signature.readUInt32LE(12)).toBe(1);
    expect(server.unwrap(w2.sealed, w2.signature).toString()).toBe('second');
    const back = server.wrap(Buffer.from('reply'));
    expect(client.unwrap(back.sealed, back.signature).toString()).toBe('reply');
  });

  it('rejects a tampered or replayed message', () => {
    const client = new NtlmSession(RANDOM_SESSION_KEY, SPEC_FLAGS, 'client');
    const server = new NtlmSession(RANDOM_SESSION_KEY, SPEC_FLAGS, 'server');
    const w = client.wrap(Buffer.from('hello world'));
    const bad = Buffer.from(w.sealed);
    bad[0] = (bad[0] ?? 0) ^ 1;
    expect(() => server.unwrap(bad, w.signature)).toThrow(NtlmIntegrityError);
  });

  it('decodes the spec CHALLENGE message', () => {
    const c = decodeChallenge(SPEC_CHALLENGE);
    expect(c.flags >>> 0).toBe(SPEC_FLAGS);
    expect(c.targetName).toBe('Server');
    expect(c.serverChallenge.equals(SERVER_CHALLENGE)).toBe(true);
    expect(decodeAvPairs(c.targetInfo).map((p) => [p.id, p.value.toString('utf16le')])).toEqual([
      [AvId.NbDomainName, 'Domain'],
      [AvId.NbComputerName, 'Server'],
    ]);
  });

  it('the client answers the spec CHALLENGE with the spec AUTHENTICATE fields', () => {
    const ctx = new NtlmClientContext({
      account: 'Domain\\User',
      password: 'Password',
      workstation: 'COMPUTER',
      testing: { clientChallenge: CLIENT_CHALLENGE, randomSessionKey: RANDOM_SESSION_KEY, timestamp: TIME },
    });
    ctx.negotiate();
    const mine = decodeAuthenticate(ctx.authenticate(SPEC_CHALLENGE));
    const spec = decodeAuthenticate(SPEC_AUTHENTICATE);
    expect(mine.ntChallengeResponse.toString('hex')).toBe(spec.ntChallengeResponse.toString('hex'));
    expect(mine.lmChallengeResponse.toString('hex')).toBe(spec.lmChallengeResponse.toString('hex'));
    expect(mine.encryptedRandomSessionKey.toString('hex')).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
    expect([mine.domain, mine.user, mine.workstation]).toEqual(['Domain', 'User', 'COMPUTER']);
    expect(spec.mic).toBeUndefined();
    const w = ctx.session.wrap(PLAINTEXT);
    expect(w.sealed.toString('hex')).toBe(SEALED.toString('hex'));
    expect(w.signature.toString('hex')).toBe(SIGNATURE.toString('hex'));
  });

  it('the server accepts the spec AUTHENTICATE message and unwraps the spec sealed message', () => {
    const lookup = (user: string, domain: string) => (user === 'User' && domain === 'Domain' ? 'Password' : undefined);
    const server = new NtlmServerContext({
      computerName: 'Server',
      domainName: 'Domain',
      lookup,
      testing: { serverChallenge: SERVER_CHALLENGE },
    });
    server.challenge(encodeNegotiate(SPEC_FLAGS));
    const res = server.authenticate(SPEC_AUTHENTICATE);
    expect(res.account).toBe('Domain\\User');
    expect(res.session.unwrap(SEALED, SIGNATURE).equals(PLAINTEXT)).toBe(true);

    const wrong = new NtlmServerContext({
      computerName: 'Server',
      lookup: () => 'NotThePassword',
      testing: { serverChallenge: SERVER_CHALLENGE },
    });
    wrong.challenge(encodeNegotiate(SPEC_FLAGS));
    expect(() => wrong.authenticate(SPEC_AUTHENTICATE)).toThrow(NtlmAuthFailure);
  });

  it('client and server complete a handshake with timestamp, MIC and channel binding', () => {
    const cbt = Buffer.alloc(16, 7);
    const server = new NtlmServerContext({
      computerName: 'HV01',
      lookup: (u) => (u === 'collector' ? 's3cret!' : undefined),
      channelBinding: cbt,
    });
    const client = new NtlmClientContext({ account: 'HV01\\collector', password: 's3cret!', channelBinding: cbt });
    const challenge = server.challenge(client.negotiate());
    const auth = client.authenticate(challenge);
    const decoded = decodeAuthenticate(auth);
    expect(decoded.mic?.equals(Buffer.alloc(16))).toBe(false);
    const res = server.authenticate(auth);
    expect(res.account).toBe('HV01\\collector');
    const w = client.session.wrap(Buffer.from('<s:Envelope/>'));
    expect(res.session.unwrap(w.sealed, w.signature).toString()).toBe('<s:Envelope/>');
    expect(client.session.flags & NegotiateFlags.KEY_EXCH).toBeTruthy();

    // A flipped MIC byte is detected.
    const server2 = new NtlmServerContext({ computerName: 'HV01', lookup: () => 's3cret!' });
    const client2 = new NtlmClientContext({ account: 'collector', password: 's3cret!' });
    const auth2 = client2.authenticate(server2.challenge(client2.negotiate()));
    auth2[72] = (auth2[72] ?? 0) ^ 0xff;
    expect(() => server2.authenticate(auth2)).toThrow(/MIC/);

    // A different certificate's binding is refused.
    const server3 = new NtlmServerContext({ computerName: 'HV01', lookup: () => 's3cret!', channelBinding: Buffer.alloc(16, 9) });
    const client3 = new NtlmClientContext({ account: 'collector', password: 's3cret!', channelBinding: cbt });
    expect(() => server3.authenticate(client3.authenticate(server3.challenge(client3.negotiate())))).toThrow(/channel binding/);
  });
});
