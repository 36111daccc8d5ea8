import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretStore } from '../../appliance/credential-store.js';
import { runCli } from '../helpers/cli.js';
import { REDIS_BASE, tempDir, uniquePrefix, writeConfig } from './fixtures.js';

// Finding 7: with the key file deleted, a new key was created silently and every credential entered in
// the web app became undecryptable.
const tmp = tempDir('keys');
const prefix = uniquePrefix('keys');
afterAll(() => tmp.cleanup());

function setup(name: string): { dir: string; config: string; keyFile: string; store: SecretStore } {
  const dir = join(tmp.dir, name);
  const keyFile = join(dir, 'data', 'secret.key');
  const store = SecretStore.open(keyFile, {});
  const config = writeConfig(
    dir,
    `# hand-written comment\nredis: { url: ${REDIS_BASE}/11, prefix: ${prefix} }\nweb: { enabled: false, dataDir: data }\nsources:\n  - name: vc01 # production\n    kind: vcenter\n    url: https://127.0.0.1:1/sdk\n    username: ro@vsphere.local\n    password: { encrypted: "${store.encrypt('first-credential-1')}" }\n  - name: hv01\n    kind: hyperv\n    host: hv01\n    username: HV01\\\\collector\n    password: { encrypted: "${store.encrypt('second-credential-2')}" }\n    enabled: false\n`,
  );
  return { dir, config, keyFile, store };
}
const env = { COLLECTOR_SECRET_KEY: '', COLLECTOR_LOG_LEVEL: 'error' };

describe('appliance key: missing or wrong key', () => {
  it('key file deleted: collector run refuses to start (exit 2, error:/fix:) and creates or changes nothing', async () => {
    const s = setup('deleted');
    rmSync(s.keyFile);
    const configBefore = readFileSync(s.config);
    const dataBefore = readdirSync(join(s.dir, 'data')).sort();
    const r = await runCli(['run', '--config', s.config, '--no-web', '--no-status'], { env, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: the appliance key file .*secret\.key is missing/m);
    expect(r.stderr).toMatch(/^fix: Restore .*secret\.key/m);
    expect(existsSync(s.keyFile)).toBe(false);
    expect(readdirSync(join(s.dir, 'data')).sort()).toEqual(dataBefore);
    expect(readFileSync(s.config).equals(configBefore)).toBe(true);
  });

  it('wrong key: refuses to start and leaves key and config untouched', async () => {
    const s = setup('wrong');
    writeFileSync(s.keyFile, `${'ab'.repeat(32)}\n`);
    const keyBefore = readFileSync(s.keyFile);
    const configBefore = readFileSync(s.config);
    const r = await runCli(['run', '--config', s.config, '--no-web', '--no-status'], { env, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: 2 of 2 encrypted credential\(s\) in the config cannot be decrypted/m);
    expect(r.stderr).toMatch(/^fix: Restore the original key file/m);
    expect(readFileSync(s.keyFile).equals(keyBefore)).toBe(true);
    expect(readFileSync(s.config).equals(configBefore)).toBe(true);
  });

  it('no encrypted credentials yet: the key file is still created on first use', () => {
    const keyFile = join(tmp.dir, 'fresh', 'secret.key');
    SecretStore.open(keyFile, {}, { create: true });
    expect(existsSync(keyFile)).toBe(true);
    expect(() => SecretStore.open(join(tmp.dir, 'fresh', 'other.key'), {}, { create: false })).toThrow(/is missing/);
  });
});

describe('collector secrets rotate', () => {
  it('re-encrypts every credential under a new key, keeps comments, leaves no backup behind', async () => {
    const s = setup('rotate');
    const oldKey = readFileSync(s.keyFile, 'utf8');
    const before = parse(readFileSync(s.config, 'utf8'));
    const r = await runCli(['secrets', 'rotate', '--config', s.config], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/re-encrypted 2 credential\(s\)/);
    const newKey = readFileSync(s.keyFile, 'utf8');
    expect(newKey).not.toBe(oldKey);
    const text = readFileSync(s.config, 'utf8');
    expect(text).toContain('# hand-written comment');
    expect(text).toContain('# production');
    const after = parse(text);
    const fresh = SecretStore.open(s.keyFile, {}, { create: false });
    expect(after.sources[0].password.encrypted).not.toBe(before.sources[0].password.encrypted);
    expect(fresh.decrypt(after.sources[0].password.encrypted)).toBe('first-credential-1');
    expect(fresh.decrypt(after.sources[1].password.encrypted)).toBe('second-credential-2');
    expect(() => s.store.decrypt(after.sources[0].password.encrypted)).toThrow();
    expect(readdirSync(join(s.dir, 'data')).filter((f) => f.startsWith('secret.key'))).toEqual(['secret.key']);
  });

  it('refuses when the current key cannot open a credential, changing nothing', async () => {
    const s = setup('rotate-wrong');
    writeFileSync(s.keyFile, `${'cd'.repeat(32)}\n`);
    const configBefore = readFileSync(s.config);
    const r = await runCli(['secrets', 'rotate', '--config', s.config], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /m);
    expect(readFileSync(s.config).equals(configBefore)).toBe(true);
    expect(readFileSync(s.keyFile, 'utf8')).toBe(`${'cd'.repeat(32)}\n`);
    expect(readdirSync(join(s.dir, 'data')).filter((f) => f.startsWith('secret.key'))).toEqual(['secret.key']);
  });
});
