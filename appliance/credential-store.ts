import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../common/errors.js';
import { setSecretDecryptor } from '../config/secret-refs.js';
import { registerSecretValue } from '../common/redact.js';
import { checkKeyOpens, encryptedValues } from './key-guard.js';

/**
 * Credentials typed into the web app are stored in the YAML as { encrypted: "v1:<iv>:<tag>:<data>" }
 * (AES-256-GCM, base64url parts). The key comes from COLLECTOR_SECRET_KEY (64 hex chars or 44 base64
 * chars) or from a key file created 0600 on first start. GCM authenticates: a tampered or foreign
 * ciphertext fails loudly instead of decrypting to garbage.
 */
export const SECRET_KEY_ENV = 'COLLECTOR_SECRET_KEY';
const VERSION = 'v1';

export class SecretStore {
  readonly #key: Buffer;
  /** Where the key came from, for the log (never the key itself). */
  readonly origin: string;

  private constructor(key: Buffer, origin: string) {
    this.#key = key;
    this.origin = origin;
  }

  /**
   * The key from the environment, else the key file. The file is created on first use only when
   * `create` allows it: with credentials already encrypted, a new key would orphan them all.
   */
  static open(keyFile: string, env: NodeJS.ProcessEnv = process.env, opts: { create?: boolean } = {}): SecretStore {
    const fromEnv = env[SECRET_KEY_ENV];
    if (fromEnv) return new SecretStore(parseKey(fromEnv, `the environment variable ${SECRET_KEY_ENV}`), `environment ${SECRET_KEY_ENV}`);
    return new SecretStore(readOrCreateKeyFile(keyFile, opts.create ?? true), `key file ${keyFile}`);
  }

  static fromKey(key: Buffer): SecretStore {
    if (key.length !== 32) throw new Error('AES-256 needs a 32-byte key');
    return new SecretStore(Buffer.from(key), 'memory');
  }

  encrypt(plain: string): string {
    registerSecretValue(plain);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join(':');
  }

  decrypt(text: string): string {
    const parts = text.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new UserError('an encrypted secret in the config is not in the expected "v1:iv:tag:data" form.', {
        fix: 'Enter the credential again in the web app (Sources → Edit), or replace it with { env } / { file }.',
        code: 'SECRET_UNREADABLE',
      });
    }
    const [, iv = '', tag = '', data = ''] = parts; // four parts, checked above
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new UserError(`an encrypted secret in the config cannot be decrypted with the appliance key (${this.origin}).`, {
        fix: 'The key file or COLLECTOR_SECRET_KEY changed since the secret was saved: restore the original key, or enter the credential again in the web app.',
        code: 'SECRET_UNREADABLE',
      });
    }
  }

  /** Lets config/secret-refs.ts resolve { encrypted } references with this key. */
  install(): void {
    setSecretDecryptor((c) => this.decrypt(c));
  }
}

function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  if (key?.length !== 32) {
    throw new UserError(`${where} does not hold a 256-bit key.`, {
      fix: 'Use 64 hex characters or 44 base64 characters, e.g. the output of `openssl rand -hex 32`.',
      code: 'SECRET_KEY_INVALID',
    });
  }
  return key;
}

function readOrCreateKeyFile(file: string, create: boolean): Buffer {
  try {
    return parseKey(readFileSync(file, 'utf8'), `the key file ${file}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (!create) throw keyMissing(file);
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  let fd: number;
  try {
    // 'wx': never overwrite a key another process created a moment ago (that would orphan its secrets).
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseKey(readFileSync(file, 'utf8'), `the key file ${file}`);
    throw new UserError(`cannot create the secret key file ${file} (${(err as NodeJS.ErrnoException).code ?? err}).`, {
      fix: 'Make the data directory writable by the service user, or set COLLECTOR_SECRET_KEY.',
      code: 'SECRET_KEY_UNWRITABLE',
    });
  }
  try {
    writeSync(fd, `${key.toString('hex')}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o600);
  return key;
}

function keyMissing(file: string): UserError {
  return new UserError(
    `the appliance key file ${file} is missing, but the config holds credentials encrypted with it; the service will not start and creates no new key (that would make them undecryptable).`,
    {
      fix: `Restore ${file} from a backup (or set ${SECRET_KEY_ENV} to the original key). Without it, replace each { encrypted } password in the config with { env } / { file }, or remove those sources and enter them again in the web app.`,
      code: 'SECRET_KEY_MISSING',
    },
  );
}

/** The appliance's data directory: web.dataDir, relative to the config file's folder. */
export function applianceDataDir(configFile: string, dataDir: string): string {
  return isAbsolute(dataDir) ? dataDir : resolve(dirname(resolve(configFile)), dataDir);
}

/**
 * Opens the appliance key (COLLECTOR_SECRET_KEY or <dataDir>/secret.key) and installs the decryptor,
 * so every role resolving { encrypted } passwords can. Call it before any collector starts.
 */
export function openApplianceSecrets(configFile: string, dataDir: string, config?: unknown): SecretStore {
  const encrypted = config === undefined ? [] : encryptedValues(config);
  const store = SecretStore.open(applianceKeyFile(configFile, dataDir), process.env, { create: encrypted.length === 0 });
  checkKeyOpens(store, encrypted);
  store.install();
  return store;
}

export function applianceKeyFile(configFile: string, dataDir: string): string {
  return join(applianceDataDir(configFile, dataDir), 'secret.key');
}
