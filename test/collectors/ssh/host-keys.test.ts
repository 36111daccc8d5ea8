import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FingerprintPolicy,
  KnownHostsPolicy,
  keyType,
  knownHostsLine,
  parseHostAddress,
  parseKnownHosts,
  sha256Fingerprint,
} from '../../../collectors/ssh/index.js';

/** An ssh-ed25519 key blob: string "ssh-ed25519", string 32-byte public key. */
function edBlob(): Buffer {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  const s = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([s(Buffer.from('ssh-ed25519')), s(raw)]);
}
const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};
const policy = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'ac-kh-')), 'known_hosts');
  writeFileSync(f, text);
  return new KnownHostsPolicy(f);
};

describe('host key fingerprints and known_hosts', () => {
  const a = edBlob();
  const b = edBlob();
  const at = (host: string, port = 22) => ({ host, port, label: port === 22 ? host : `${host}:${port}` });

  it('fingerprint is SHA256 base64 without padding; the pin line uses [host]:port off port 22', () => {
    expect(keyType(a)).toBe('ssh-ed25519');
    expect(sha256Fingerprint(a)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(knownHostsLine('h', 22, a)).toBe(`h ssh-ed25519 ${a.toString('base64')}`);
    expect(knownHostsLine('10.0.0.1', 2222, a)).toBe(`[10.0.0.1]:2222 ssh-ed25519 ${a.toString('base64')}`);
  });

  it('matches plain lists, wildcards, negation, [host]:port and hashed names', () => {
    const p = policy(
      [
        '# comment',
        `app01,app01.corp.local ssh-ed25519 ${a.toString('base64')}`,
        `*.lab.local,!bad.lab.local ssh-ed25519 ${a.toString('base64')}`,
        `[10.0.0.1]:2222 ssh-ed25519 ${a.toString('base64')}`,
        `${hashed('[10.0.0.2]:2200')} ssh-ed25519 ${a.toString('base64')}`,
        `${hashed('hashed-host')} ssh-ed25519 ${a.toString('base64')}`,
        'garbage line',
      ].join('\n'),
    );
    expect(p.verify(at('APP01.corp.local'), a)).toEqual({ ok: true });
    expect(p.verify(at('x.lab.local'), a)).toEqual({ ok: true });
    expect(p.verify(at('bad.lab.local'), a)).toMatchObject({ ok: false, problem: 'unknown' });
    expect(p.verify(at('10.0.0.1', 2222), a)).toEqual({ ok: true });
    expect(p.verify(at('10.0.0.1'), a)).toMatchObject({ ok: false, problem: 'unknown' }); // port 22 is another name
    expect(p.verify(at('10.0.0.2', 2200), a)).toEqual({ ok: true });
    expect(p.verify(at('hashed-host'), a)).toEqual({ ok: true });
    expect(p.load().skipped).toHaveLength(1);
    expect(p.pinnedTypes(at('app01'))).toEqual(['ssh-ed25519']);
  });

  it('another key of the same type is "changed"; a @revoked key is refused; unknown hosts get the pin line', () => {
    const p = policy(`app01 ssh-ed25519 ${a.toString('base64')}\n@revoked * ssh-ed25519 ${b.toString('base64')}\n`);
    const changed = p.verify(at('app01'), edBlob());
    expect(changed).toMatchObject({ ok: false, problem: 'changed', pinned: expect.stringContaining(sha256Fingerprint(a)) });
    expect(p.verify(at('app01'), b)).toMatchObject({ ok: false, problem: 'revoked' });
    expect(p.verify(at('new', 2022), a)).toEqual({
      ok: false,
      problem: 'unknown',
      keyType: 'ssh-ed25519',
      fingerprint: sha256Fingerprint(a),
      knownHostsLine: `[new]:2022 ssh-ed25519 ${a.toString('base64')}`,
      pinned: null,
    });
  });

  it('fingerprint pins by label, host:port or host, with or without base64 padding', () => {
    const fp = sha256Fingerprint(a);
    const p = new FingerprintPolicy({ 'app01.corp.local': `${fp}=`, '10.1.2.3:2222': fp });
    expect(p.verify(at('app01.corp.local'), a)).toEqual({ ok: true });
    expect(p.verify(at('10.1.2.3', 2222), a)).toEqual({ ok: true });
    expect(p.verify(at('app01.corp.local'), b)).toMatchObject({ ok: false, problem: 'changed' });
    expect(p.verify(at('other'), a)).toMatchObject({ ok: false, problem: 'unknown' });
  });

  it('parses host addresses', () => {
    expect(parseHostAddress('app01')).toEqual({ host: 'app01', port: 22, label: 'app01' });
    expect(parseHostAddress('10.1.2.3:2222')).toEqual({ host: '10.1.2.3', port: 2222, label: '10.1.2.3:2222' });
    expect(parseHostAddress('[fe80::1]:2200')).toEqual({ host: 'fe80::1', port: 2200, label: '[fe80::1]:2200' });
    expect(parseKnownHosts('').entries).toEqual([]);
  });
});
