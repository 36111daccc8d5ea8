import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import type { SecretRef } from '../../config/schema/common.js';
import { resolveSecret } from '../../config/secret-refs.js';
import { writeFileAtomically } from '../../common/atomic-file.js';
import { hashPassword, verifyPassword } from './passwords.js';

/**
 * The one administrator. Its password comes from the config (web.adminPassword, a secret reference,
 * scrypt-hashed in memory at start) or is chosen in the browser on first start; the browser route is
 * guarded by a one-time setup code written to the data directory and the log, so whoever reaches the
 * port first cannot claim the appliance.
 */
export class AdminAccount {
  readonly user = 'admin';
  #hash: string | null = null;
  #setupCode: string | null = null;
  readonly #hashFile: string;
  readonly #codeFile: string;

  private constructor(dataDir: string) {
    this.#hashFile = join(dataDir, 'admin-password.scrypt');
    this.#codeFile = join(dataDir, 'setup-code');
  }

  static async open(dataDir: string, configured: SecretRef | undefined, log: Logger): Promise<AdminAccount> {
    const account = new AdminAccount(dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (configured) {
      account.#hash = await hashPassword(resolveSecret(configured, 'web.adminPassword').reveal());
    } else if (existsSync(account.#hashFile)) {
      account.#hash = readFileSync(account.#hashFile, 'utf8').trim();
    } else {
      account.#setupCode = existsSync(account.#codeFile)
        ? readFileSync(account.#codeFile, 'utf8').trim()
        : randomBytes(9).toString('base64url');
      writeFileAtomically(account.#codeFile, `${account.#setupCode}\n`);
      log.warn(
        { setupCodeFile: account.#codeFile },
        `web app: no admin password yet. Open the web app and set one with the setup code ${account.#setupCode} (also in ${account.#codeFile}).`,
      );
    }
    return account;
  }

  get needsSetup(): boolean {
    return this.#hash === null;
  }

  checkSetupCode(code: string): boolean {
    return this.#setupCode !== null && code.trim() === this.#setupCode;
  }

  async setPassword(password: string): Promise<void> {
    this.#hash = await hashPassword(password);
    writeFileAtomically(this.#hashFile, `${this.#hash}\n`);
    this.#setupCode = null;
    try {
      (await import('node:fs')).unlinkSync(this.#codeFile);
    } catch {
      /* already gone */
    }
  }

  async verify(user: string, password: string): Promise<boolean> {
    // Always run scrypt, so a wrong user name takes as long as a wrong password.
    const ok = this.#hash !== null && (await verifyPassword(password, this.#hash));
    return ok && user === this.user;
  }
}
