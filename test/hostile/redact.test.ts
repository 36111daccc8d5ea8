import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../common/log.js';
import { clearSecretValues, redact, redactSnippet, registerSecretValue } from '../../common/redact.js';
import { errorMessage } from '../../common/errors.js';
import { resolveSecret } from '../../config/secret-refs.js';
import { exportCell } from '../../common/csv-safe.js';

const PW = `s3cr&t<"pa'ss> +/=`;
afterEach(() => clearSecretValues());

describe('the redaction step (common/redact.ts)', () => {
  it('removes a registered value in plain, URL, form, HTML/XML, JSON and base64 forms', () => {
    registerSecretValue(PW);
    const html = PW.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    const samples = [
      `plain ${PW} end`,
      `url ${encodeURIComponent(PW)} end`,
      `form ${new URLSearchParams({ p: PW }).toString().slice(2)} end`,
      `html ${html} end`,
      `json ${JSON.stringify({ e: `x ${PW}` })}`,
      `b64 ${Buffer.from(PW).toString('base64')} end`,
      `basic ${Buffer.from(`user:${PW}`).toString('base64')} end`,
      `basic2 ${Buffer.from(`u1:${PW}`).toString('base64')} end`,
      `basic3 ${Buffer.from(`us1:${PW}`).toString('base64url')} end`,
    ];
    for (const text of samples) {
      const out = redact(text);
      expect(out, text).toContain('[redacted]');
      expect(out, text).not.toContain('s3cr');
      expect(out, text).not.toContain(encodeURIComponent(PW));
    }
    expect(redact('nothing to hide here')).toBe('nothing to hide here');
  });

  it('a resolved { env } secret is registered; error text, CSV cells and snippets cut mid-secret are clean', () => {
    process.env.REDACT_TEST_PW = PW;
    resolveSecret({ env: 'REDACT_TEST_PW' }, 'sources[0].password');
    expect(errorMessage(new Error(`vCenter said: bad password ${PW}`))).toBe('vCenter said: bad password [redacted]');
    expect(exportCell(`=${PW}`)).toBe("'=[redacted]");
    const cut = `error page: password is ${PW}`.slice(0, 30);
    expect(cut).toContain('s3cr&t');
    expect(redactSnippet(cut)).toBe('error page: password is [redacted]');
    delete process.env.REDACT_TEST_PW;
  });

  it('pino: secret fields by path and secret values in any field or message', () => {
    registerSecretValue(PW);
    let out = '';
    const sink = new Writable({
      write: (c, _e, cb) => {
        out += c;
        cb();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' }, hooks: { streamWrite: redact } }, sink);
    log.warn({ password: 'field-value-1', headers: { authorization: 'Basic abc', cookie: 'c=1' }, err: `echo ${PW}` }, `message ${PW}`);
    expect(out).not.toContain('field-value-1');
    expect(out).not.toContain('Basic abc');
    expect(out).not.toContain('s3cr');
    expect(out).toContain('[redacted]');
  });
});
