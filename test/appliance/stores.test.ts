import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../appliance/config-store.js';
import { SecretStore, SECRET_KEY_ENV } from '../../appliance/credential-store.js';
import { ConfigError } from '../../config/load.js';
import { resolveSecret, setSecretDecryptor } from '../../config/secret-refs.js';
import { tempDir, writeConfig } from './fixtures.js';

const tmp = tempDir('stores');
afterAll(() => {
  setSecretDecryptor(undefined);
  tmp.cleanup();
});

describe('SecretStore', () => {
  it('creates a 0600 key file once and decrypts what it encrypted, also after reopening', () => {
    const keyFile = join(tmp.dir, 'keys', 'secret.key');
    const a = SecretStore.open(keyFile, {});
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const c = a.encrypt('p@ss wörd');
    expect(c).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(c).not.toContain('p@ss');
    expect(a.encrypt('p@ss wörd')).not.toBe(c); // fresh IV each time
    const b = SecretStore.open(keyFile, {});
    expect(b.decrypt(c)).toBe('p@ss wörd');
  });

  it('takes the key from COLLECTOR_SECRET_KEY and refuses a key of the wrong size', () => {
    const hex = 'ab'.repeat(32);
    const s = SecretStore.open(join(tmp.dir, 'unused.key'), { [SECRET_KEY_ENV]: hex });
    expect(s.origin).toContain(SECRET_KEY_ENV);
    expect(SecretStore.fromKey(Buffer.from(hex, 'hex')).decrypt(s.encrypt('x'))).toBe('x');
    expect(() => SecretStore.open(join(tmp.dir, 'unused.key'), { [SECRET_KEY_ENV]: 'short' })).toThrow(/256-bit key[\s\S]*/);
  });

  it('fails loudly on a tampered ciphertext or a different key', () => {
    const s = SecretStore.fromKey(Buffer.alloc(32, 1));
    const c = s.encrypt('Zebra-Plaintext-42');
    const parts = c.split(':');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => s.decrypt([...parts.slice(0, 3), flipped.toString('base64url')].join(':'))).toThrow(/cannot be decrypted/);
    expect(() => SecretStore.fromKey(Buffer.alloc(32, 2)).decrypt(c)).toThrow(/cannot be decrypted/);
    try {
      SecretStore.fromKey(Buffer.alloc(32, 2)).decrypt(c);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('Zebra-Plaintext-42');
    }
  });

  it('installs the decryptor so config/secret-refs.ts resolves { encrypted } references', () => {
    const s = SecretStore.fromKey(Buffer.alloc(32, 3));
    s.install();
    expect(resolveSecret({ encrypted: s.encrypt('hunter2-long') }, 'sources[0].password').reveal()).toBe('hunter2-long');
  });
});

describe('ConfigStore', () => {
  const yaml = `# Appliance configuration (hand-written)
redis:
  url: redis://127.0.0.1:6379/7 # test db
sources:
  # the production vCenter
  - name: vc01
    kind: vcenter
    url: https://vc01.example.local/sdk
    username: readonly@vsphere.local # read-only role
    password: { env: VC01_PASSWORD }
`;

  it('adds, edits and removes sources keeping comments, and never leaves a temp file', async () => {
    const file = writeConfig(tmp.dir, yaml);
    const store = new ConfigStore(file);
    await store.upsertSource({
      name: 'hv',
      kind: 'hyperv',
      host: 'hv01',
      username: 'HV01\\collector',
      password: { encrypted: 'v1:a:b:c' },
    });
    let text = readFileSync(file, 'utf8');
    expect(text).toContain('# Appliance configuration (hand-written)');
    expect(text).toContain('# the production vCenter');
    expect(text).toContain('# read-only role');
    expect(store.sources().map((s) => s.name)).toEqual(['vc01', 'hv']);

    const vc = store.rawSource('vc01')!;
    expect(vc).not.toHaveProperty('pollIntervalSec'); // the raw entry, defaults not filled in
    await store.upsertSource({ ...vc, name: 'vc-prod', tls: { insecure: true } }, 'vc01');
    text = readFileSync(file, 'utf8');
    expect(text).toContain('# read-only role');
    expect(text).toContain('name: vc-prod');
    expect(store.sources()[0]).toMatchObject({ name: 'vc-prod', tls: { insecure: true } });

    await store.removeSource('hv');
    expect(store.sources().map((s) => s.name)).toEqual(['vc-prod']);
    expect(readFileSync(file, 'utf8')).not.toContain('hv01');
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('validates the whole file before writing: a bad change names the key and leaves the file untouched', async () => {
    const file = writeConfig(tmp.dir, yaml);
    const store = new ConfigStore(file);
    const before = readFileSync(file, 'utf8');
    const err = await store
      .upsertSource({ name: 'bad', kind: 'vcenter', url: 'ftp://nope', username: 'u', password: { env: 'X' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/sources\[1\]\.url: expected the vCenter SDK URL/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    await expect(store.upsertSource({ name: 'vc01', kind: 'hyperv', host: 'h', username: 'u', password: { env: 'X' } })).rejects.toThrow(
      /already exists/,
    );
    await expect(store.removeSource('nope')).rejects.toThrow(/no source called nope/);
  });

  it('serialises concurrent changes so none is lost', async () => {
    const file = writeConfig(tmp.dir, yaml);
    const store = new ConfigStore(file);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.upsertSource({ name: `h${i}`, kind: 'hyperv', host: `h${i}`, username: 'u', password: { env: 'X' } }),
      ),
    );
    expect(
      store
        .sources()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'vc01']);
  });

  it('keeps the file private when it creates it', async () => {
    const file = join(tmp.dir, 'new.yaml');
    await new ConfigStore(file).upsertSource({ name: 'a', kind: 'hyperv', host: 'h', username: 'u', password: { env: 'X' } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'sources: [\n', 'utf8');
    await expect(new ConfigStore(file).removeSource('a')).rejects.toThrow(/not valid YAML/);
  });
});
