// Credentials for the SSH layer. A private key file is read whole (secret references in files are
// otherwise one line); nothing read here is ever put in an error or a log record.
import { readFileSync } from 'node:fs';
import { UserError } from '../../common/errors.js';
import { Secret } from '../../common/secret-value.js';
import { resolveSecret } from '../../config/secret-refs.js';
import type { LinuxSourceConfig } from '../../config/schema/physical.js';
import type { SshCredentials } from '../ssh/index.js';

/** What a Linux source and a linux guest credential share. */
export type LinuxCredentialConfig = Pick<LinuxSourceConfig, 'name' | 'username' | 'password' | 'privateKey' | 'privateKeyPassphrase'>;

/** `where` names the config list in messages: "sources" (a Linux source) or "guestCredentials". */
export function resolveCredentials(cfg: LinuxCredentialConfig, where = 'sources'): SshCredentials {
  const key = `${where}.${cfg.name}`;
  let privateKey: Secret | undefined;
  if (cfg.privateKey) {
    if ('file' in cfg.privateKey) {
      try {
        privateKey = new Secret(readFileSync(cfg.privateKey.file, 'utf8'));
      } catch (err) {
        throw new UserError(
          `${key}.privateKey: cannot read the key file ${cfg.privateKey.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
          {
            fix: 'Point privateKey: { file: ... } at the OpenSSH private key, readable by the service user only (chmod 600).',
            code: 'SECRET_MISSING',
          },
        );
      }
    } else {
      // From the environment, a key may arrive with literal "\n" sequences (systemd EnvironmentFile lines).
      privateKey = new Secret(resolveSecret(cfg.privateKey, `${key}.privateKey`).reveal().replace(/\\n/g, '\n'));
    }
  }
  return {
    username: cfg.username,
    privateKey,
    passphrase: cfg.privateKeyPassphrase ? resolveSecret(cfg.privateKeyPassphrase, `${key}.privateKeyPassphrase`) : undefined,
    password: cfg.password ? resolveSecret(cfg.password, `${key}.password`) : undefined,
  };
}
