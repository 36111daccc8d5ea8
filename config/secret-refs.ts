import { readFileSync } from 'node:fs';
import { Secret } from '../common/secret-value.js';
import { registerSecretValue } from '../common/redact.js';
import { UserError } from '../common/errors.js';
import type { SecretRef } from './schema/common.js';

/** Decrypts { encrypted } references; installed by the appliance, which owns the key file. */
export type Decryptor = (ciphertext: string) => string;
let decryptor: Decryptor | undefined;
export function setSecretDecryptor(fn: Decryptor | undefined): void {
  decryptor = fn;
}

/**
 * Resolves a secret reference at the moment it is needed (so a rotated file or variable is
 * picked up on the next login). `key` is the config path, used in errors; the value never is.
 */
export function resolveSecret(ref: SecretRef, key: string): Secret {
  const secret = readSecret(ref, key);
  // Every resolved value joins the redaction registry before anyone can echo it back.
  registerSecretValue(secret.reveal());
  return secret;
}

function readSecret(ref: SecretRef, key: string): Secret {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') {
      throw new UserError(`${key}: the environment variable ${ref.env} is not set.`, {
        fix: `Set ${ref.env} in the service's environment (e.g. an EnvironmentFile in the systemd unit), or use { file: /path/to/secret }.`,
        code: 'SECRET_MISSING',
      });
    }
    return new Secret(value);
  }
  if ('file' in ref) {
    let text: string;
    try {
      text = readFileSync(ref.file, 'utf8');
    } catch (err) {
      throw new UserError(`${key}: cannot read the secret file ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, {
        fix: 'Create the file with the secret on its first line, readable by the service user only (chmod 600).',
        code: 'SECRET_MISSING',
      });
    }
    const value = text.split(/\r?\n/)[0] ?? '';
    if (!value)
      throw new UserError(`${key}: the secret file ${ref.file} is empty.`, {
        fix: 'Write the secret on the first line of the file.',
        code: 'SECRET_MISSING',
      });
    return new Secret(value);
  }
  if (!decryptor) {
    throw new UserError(`${key}: this secret is encrypted with the appliance key, which is not available here.`, {
      fix: 'Run the command on the appliance (where the key file lives) or set COLLECTOR_SECRET_KEY, or replace it with { env } / { file }.',
      code: 'SECRET_KEY_MISSING',
    });
  }
  return new Secret(decryptor(ref.encrypted));
}
