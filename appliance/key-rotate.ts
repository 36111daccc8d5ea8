import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { isMap, isScalar, parseDocument, visit } from 'yaml';
import { UserError } from '../common/errors.js';
import { parseConfig } from '../config/load.js';
import { writeFileAtomically } from '../common/atomic-file.js';
import { SECRET_KEY_ENV, SecretStore } from './credential-store.js';

export interface RotateResult {
  keyFile: string;
  reencrypted: number;
}

/**
 * Re-encrypts every { encrypted } credential of the config under a new key. Order, so that a crash
 * at any step leaves a key that opens the config on disk:
 *   1. the new key goes to secret.key.new, the old one is copied to secret.key.old (the backup);
 *   2. the config is rewritten atomically under the new key;
 *   3. secret.key.new is renamed over secret.key; only then the backup is removed.
 * A crash between 2 and 3 is the one case where secret.key is stale: startup says to rename .new.
 */
export function rotateKey(configFile: string, keyFile: string, env: NodeJS.ProcessEnv = process.env): RotateResult {
  if (env[SECRET_KEY_ENV]) {
    throw new UserError(`the appliance key comes from ${SECRET_KEY_ENV}, which this command cannot change.`, {
      fix: `Unset ${SECRET_KEY_ENV} and keep the key in the key file, or rotate it by hand: re-enter the credentials after changing the variable.`,
      code: 'SECRET_KEY_ENV',
    });
  }
  const newFile = `${keyFile}.new`;
  const backup = `${keyFile}.old`;
  if (existsSync(newFile)) {
    throw new UserError(`${newFile} exists: an earlier rotation did not finish.`, {
      fix: `If the service starts with the current key, delete ${newFile}; otherwise rename it to ${keyFile}. Then run the rotation again.`,
      code: 'SECRET_ROTATE_PENDING',
    });
  }
  const old = SecretStore.open(keyFile, {}, { create: false });
  const key = randomBytes(32);
  const next = SecretStore.fromKey(key);

  const doc = parseDocument(readFileSync(configFile, 'utf8'));
  const [yamlError] = doc.errors;
  if (yamlError) {
    const firstLine = yamlError.message.split('\n')[0];
    throw new UserError(`${configFile}: not valid YAML: ${firstLine}`, { fix: 'Fix the YAML first.', code: 'CONFIG_YAML' });
  }
  let reencrypted = 0;
  // Decrypt everything first: a credential the current key cannot open stops the rotation untouched.
  visit(doc, {
    Map(_, map) {
      if (!isMap(map) || map.items.length !== 1) return;
      const [pair] = map.items;
      if (!pair || !isScalar(pair.key) || pair.key.value !== 'encrypted') return;
      if (!isScalar(pair.value) || typeof pair.value.value !== 'string') return;
      pair.value.value = next.encrypt(old.decrypt(pair.value.value));
      reencrypted++;
    },
  });
  const text = doc.toString({ lineWidth: 0 });
  parseConfig(doc.toJS(), configFile);

  writeNewFile(newFile, `${key.toString('hex')}\n`);
  copyFileSync(keyFile, backup);
  writeFileAtomically(configFile, text);
  renameSync(newFile, keyFile);
  unlinkSync(backup);
  return { keyFile, reencrypted };
}

function writeNewFile(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
