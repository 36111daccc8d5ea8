import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load.js';
import { resolveSecret } from '../../config/secret-refs.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'collector-config-'));

const issueExample = `
redis: { url: redis://127.0.0.1:6379/0, prefix: collector }
sources:
  - name: lab-vcenter
    kind: vcenter
    url: https://vcenter.example.local/sdk   # port 443 unless given
    username: readonly@vsphere.local
    password: { env: VCENTER_PASSWORD }      # or { file: /etc/collector/vcenter.pw }
    tls: { insecure: true }
`;

describe('config', () => {
  it('accepts the documented example exactly as written, with defaults filled in', async () => {
    const { parse } = await import('yaml');
    const cfg = parseConfig(parse(issueExample));
    expect(cfg.redis).toMatchObject({ url: 'redis://127.0.0.1:6379/0', prefix: 'collector' });
    const s = cfg.sources[0]!;
    expect(s.kind).toBe('vcenter');
    if (s.kind !== 'vcenter') throw new Error('kind');
    expect(s.pollIntervalSec).toBe(20);
    expect(s.perf.vmsPerQuery).toBe(50);
    expect(s.tls).toEqual({ insecure: true });
  });

  it('accepts an empty sources list (worker-only machines)', () => {
    expect(parseConfig({ sources: [] }).sources).toEqual([]);
  });

  it('names the key, the bad value and the fix for every problem', () => {
    let err: unknown;
    try {
      parseConfig({
        redis: { url: 'http://x' },
        sources: [
          { name: 'vc', kind: 'vcenter', url: 'ftp://x', username: 'u', password: { env: 'P' }, tls: { thumbprint: 'zz' }, colour: 1 },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toMatch(/redis\.url: expected a redis:\/\/.*Fix:.*\(got "http:\/\/x"\)/);
    expect(msg).toMatch(/sources\[0\]\.url: .*https:\/\/host.*\(got "ftp:\/\/x"\)/);
    expect(msg).toMatch(/sources\[0\]\.tls\.thumbprint: expected a SHA-256 thumbprint/);
    expect(msg).toMatch(/sources\[0\]\.colour: unknown key/);
  });

  it('never echoes a password typed in plainly', () => {
    expect(() =>
      parseConfig({ sources: [{ name: 'vc', kind: 'vcenter', url: 'https://vc/sdk', username: 'u', password: 'hunter2' }] }),
    ).toThrow(/sources\[0\]\.password: expected a secret reference[\s\S]*value not shown/);
    try {
      parseConfig({ sources: [{ name: 'vc', kind: 'vcenter', url: 'https://vc/sdk', username: 'u', password: 'hunter2' }] });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('hunter2');
    }
  });

  it('rejects an unknown source kind and duplicate names', () => {
    expect(() => parseConfig({ sources: [{ name: 'x', kind: 'esx' }] })).toThrow(
      /sources\[0\]\.kind: expected kind: vcenter or kind: hyperv \(got "esx"\)/,
    );
    const vc = { kind: 'vcenter', url: 'https://vc/sdk', username: 'u', password: { env: 'P' } };
    expect(() =>
      parseConfig({
        sources: [
          { name: 'a', ...vc },
          { name: 'a', ...vc },
        ],
      }),
    ).toThrow(/source names must be unique/);
  });

  it('rejects Basic authentication over plain HTTP for Hyper-V', () => {
    expect(() =>
      parseConfig({
        sources: [{ name: 'hv', kind: 'hyperv', host: 'hv01', transport: 'http', auth: 'basic', username: 'u', password: { env: 'P' } }],
      }),
    ).toThrow(/sources\[0\]\.auth: Basic authentication over plain HTTP/);
  });

  it('resolves secrets from the environment and from files, and explains what is missing', () => {
    process.env.COLLECTOR_TEST_PW = 's3cret';
    const s = resolveSecret({ env: 'COLLECTOR_TEST_PW' }, 'sources[0].password');
    expect(s.reveal()).toBe('s3cret');
    expect(JSON.stringify({ s })).not.toContain('s3cret');
    expect(String(s)).toBe('[redacted]');
    const f = join(dir, 'pw');
    writeFileSync(f, 'from-file\n', { mode: 0o600 });
    expect(resolveSecret({ file: f }, 'k').reveal()).toBe('from-file');
    expect(() => resolveSecret({ env: 'COLLECTOR_TEST_UNSET_VAR' }, 'sources[1].password')).toThrow(
      /sources\[1\]\.password: the environment variable COLLECTOR_TEST_UNSET_VAR is not set/,
    );
    expect(() => resolveSecret({ file: join(dir, 'nope') }, 'k')).toThrow(/cannot read the secret file/);
  });

  it('the CLI reports config errors with exit code 2 and a fix, not a stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'sources:\n  - name: vc\n    kind: vcenter\n    url: https://vc/sdk\n    username: u\n    password: { env: NOPE_NOT_SET }\n',
    );
    const r = await runCli(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: sources\[0\]\.password: the environment variable NOPE_NOT_SET is not set/);
    expect(r.stderr).toMatch(/fix: /);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const missing = await runCli(['config', 'check', '--config', join(dir, 'missing.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the config file/);
  });
});
