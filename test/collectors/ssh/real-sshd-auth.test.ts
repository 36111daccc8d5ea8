// Host keys and credentials against a real OpenSSH: a wrong key, a wrong password, an unknown host key and a
// changed host key each give a clear error; for the two host-key cases sshd's own log shows that no
// authentication request (so no credential) reached it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../common/errors.js';
import { createLogger } from '../../../common/log.js';
import { Secret } from '../../../common/secret-value.js';
import { LinuxCollector } from '../../../collectors/linux/index.js';
import {
  FingerprintPolicy,
  KnownHostsPolicy,
  SshAuthError,
  SshHostKeyError,
  SshHostSession,
  SshOutputLimitError,
  SshPrivateKeyError,
  SshTimeoutError,
  type HostKeyPolicy,
  type SshCredentials,
} from '../../../collectors/ssh/index.js';
import { linuxSource } from '../../../config/schema/physical.js';
import { canRunSshd, keygen, startSshd, type Sshd } from './sshd-fixture.js';

const log = createLogger({ level: 'silent' });
/** Lines sshd logs once a client asks to authenticate (DEBUG1): none may follow a refused host key. */
const AUTH_LINE = /userauth-request|Failed (publickey|password|none)|Accepted |Postponed |Invalid user|authenticating user/;

describe.skipIf(!canRunSshd)('SSH host keys and credentials against a real OpenSSH', () => {
  let d: Sshd;
  const key = () => new Secret(readFileSync(d.userKeyFile, 'utf8'));
  const addr = () => ({ host: '127.0.0.1', port: d.port, label: `127.0.0.1:${d.port}` });
  const knownHosts = (name: string, text: string) => {
    const f = join(d.dir, name);
    writeFileSync(f, text);
    return new KnownHostsPolicy(f);
  };
  async function attempt(policy: HostKeyPolicy, creds: SshCredentials): Promise<{ err: unknown; log: string }> {
    const before = d.log().length;
    const s = new SshHostSession(addr(), policy, () => creds, { readyTimeoutMs: 10_000 });
    let err: unknown = null;
    try {
      const r = await s.exec('id -un', { timeoutMs: 10_000, maxBytes: 4096 });
      expect(r.stdout.trim()).toBe(d.user);
    } catch (e) {
      err = e;
    } finally {
      await s.close();
    }
    await new Promise((r) => setTimeout(r, 400)); // sshd's child flushes its log as the connection ends
    return { err, log: d.log().slice(before) };
  }

  beforeAll(async () => {
    d = await startSshd();
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('connects with the pinned key (plain, hashed known_hosts, SHA256 fingerprint) and the right key or password', async () => {
    expect((await attempt(knownHosts('kh-plain', `${d.knownHostsLine}\n`), { username: d.user, privateKey: key() })).err).toBeNull();
    const hashedFile = join(d.dir, 'kh-hashed');
    writeFileSync(hashedFile, `${d.knownHostsLine}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', hashedFile], { stdio: 'ignore' });
    expect(readFileSync(hashedFile, 'utf8')).toMatch(/^\|1\|/);
    expect((await attempt(new KnownHostsPolicy(hashedFile), { username: d.user, privateKey: key() })).err).toBeNull();
    expect(
      (
        await attempt(new FingerprintPolicy({ [`127.0.0.1:${d.port}`]: d.fingerprint }), {
          username: d.user,
          password: new Secret(d.password),
        })
      ).err,
    ).toBeNull();
  });

  it('an unknown host key is refused with its fingerprint and the line to pin it; no credential reaches sshd', async () => {
    const r = await attempt(
      knownHosts('kh-other', '[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n'),
      { username: d.user, password: new Secret(d.password), privateKey: key() },
    );
    expect(r.err).toBeInstanceOf(SshHostKeyError);
    const e = r.err as SshHostKeyError;
    expect(e.problem).toBe('unknown');
    expect(e.fingerprint).toBe(d.fingerprint);
    expect(e.knownHostsLine).toBe(d.knownHostsLine);
    expect(e.message).toContain(d.fingerprint);
    expect(e.message).not.toContain(d.password);
    expect(r.log).toMatch(/Connection from 127\.0\.0\.1/);
    expect(r.log).not.toMatch(AUTH_LINE);
  });

  it('a changed host key is refused as a possible interception; no credential reaches sshd', async () => {
    const otherPub = keygen(join(d.dir, 'other_host'));
    const r = await attempt(knownHosts('kh-changed', `[127.0.0.1]:${d.port} ${otherPub.split(' ').slice(0, 2).join(' ')}\n`), {
      username: d.user,
      password: new Secret(d.password),
    });
    const e = r.err as SshHostKeyError;
    expect(e).toBeInstanceOf(SshHostKeyError);
    expect(e.problem).toBe('changed');
    expect(e.message).toMatch(/intercept/);
    expect(e.message).toContain(d.fingerprint);
    expect(r.log).toMatch(/Connection from 127\.0\.0\.1/);
    expect(r.log).not.toMatch(AUTH_LINE);
    // The same through fingerprints.
    const r2 = await attempt(new FingerprintPolicy({ '127.0.0.1': 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), {
      username: d.user,
      password: new Secret(d.password),
    });
    expect((r2.err as SshHostKeyError).problem).toBe('changed');
    expect(r2.log).not.toMatch(AUTH_LINE);
  });

  it('a wrong key and a wrong password are refused credentials, named as such', async () => {
    const wrongKeyFile = join(d.dir, 'wrong_key');
    keygen(wrongKeyFile);
    const policy = knownHosts('kh-ok', `${d.knownHostsLine}\n`);
    const k = await attempt(policy, { username: d.user, privateKey: new Secret(readFileSync(wrongKeyFile, 'utf8')) });
    expect(k.err).toBeInstanceOf(SshAuthError);
    expect((k.err as SshAuthError).methods).toEqual(['publickey']);
    expect(k.log).toMatch(/Failed publickey/);
    const p = await attempt(policy, { username: d.user, password: new Secret('not-the-password') });
    expect(p.err).toBeInstanceOf(SshAuthError);
    expect((p.err as Error).message).toMatch(/refused the credentials of user/);
    expect((p.err as Error).message).not.toContain('not-the-password');
    expect(p.log).toMatch(/Failed password/);
    // A passphrase-protected key without its passphrase is reported as that, before connecting.
    const locked = join(d.dir, 'locked_key');
    keygen(locked, 'ed25519', 'pass phrase');
    const l = await attempt(policy, { username: d.user, privateKey: new Secret(readFileSync(locked, 'utf8')) });
    expect(l.err).toBeInstanceOf(SshPrivateKeyError);
    expect((l.err as Error).message).toMatch(/encrypted and no passphrase/);
  });

  it('a command past its deadline or its byte cap is stopped, and the connection stays usable', async () => {
    const s = new SshHostSession(
      addr(),
      knownHosts('kh-limits', `${d.knownHostsLine}\n`),
      () => ({ username: d.user, privateKey: key() }),
      { readyTimeoutMs: 10_000 },
    );
    try {
      const t = Date.now();
      await expect(s.exec('sleep 20', { timeoutMs: 1_000, maxBytes: 4096 })).rejects.toBeInstanceOf(SshTimeoutError);
      expect(Date.now() - t).toBeLessThan(3_000);
      await expect(s.exec('head -c 5000000 /dev/zero', { timeoutMs: 10_000, maxBytes: 1_000_000 })).rejects.toBeInstanceOf(
        SshOutputLimitError,
      );
      expect((await s.exec('echo still here', { timeoutMs: 10_000, maxBytes: 4096 })).stdout).toBe('still here\n');
      expect(s.connects).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('the collector turns each into an error whose fix names the source keys and the exact line to pin', async () => {
    const khFile = join(d.dir, 'kh-collector');
    writeFileSync(khFile, '');
    const cfg = linuxSource.parse({
      name: 'lnx',
      kind: 'linux',
      hosts: [`127.0.0.1:${d.port}`],
      username: d.user,
      privateKey: { file: d.userKeyFile },
      hostKeys: { file: khFile },
    });
    const c = new LinuxCollector(cfg, { log });
    const err = await c.discover().then(
      () => null,
      (e: unknown) => e,
    );
    await c.close();
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('SSH_HOST_KEY');
    expect((err as UserError).fix).toContain(`append the line "${d.knownHostsLine}" to ${khFile}`);
    // After pinning, the next discovery succeeds (the file is re-read; the back-off is reset by discovery).
    copyFileSync(join(d.dir, 'kh-ok'), khFile);
    const c2 = new LinuxCollector(cfg, { log });
    try {
      expect((await c2.discover()).machines).toHaveLength(1);
    } finally {
      await c2.close();
    }
    // An account whose shell is nologin: the command never runs; the error says so and names the fix.
    execFileSync('usermod', ['-s', '/usr/sbin/nologin', d.user]);
    const c3 = new LinuxCollector(cfg, { log });
    try {
      const e = await c3.discover().then(
        () => null,
        (x: unknown) => x,
      );
      expect((e as UserError).code).toBe('LINUX_COMMAND');
      expect((e as UserError).message).toMatch(/did not run to its end \(exit code 1: This account is currently not available/);
      expect((e as UserError).fix).toMatch(/POSIX login shell/);
    } finally {
      execFileSync('usermod', ['-s', '/bin/sh', d.user]);
      await c3.close();
    }
    const bad = new LinuxCollector(linuxSource.parse({ ...cfg, password: { env: 'AC_TEST_NO_SUCH_PW_VAR_X' }, privateKey: undefined }), {
      log,
    });
    process.env.AC_TEST_NO_SUCH_PW_VAR_X = 'wrong-password';
    try {
      const e = await bad.discover().then(
        () => null,
        (x: unknown) => x,
      );
      expect((e as UserError).code).toBe('SSH_AUTH');
      expect((e as UserError).fix).toMatch(/sources\.lnx\.username.*sources\.lnx\.password/);
    } finally {
      delete process.env.AC_TEST_NO_SUCH_PW_VAR_X;
      await bad.close();
    }
  });
});
