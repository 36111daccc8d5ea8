import { UserError } from '../common/errors.js';
import { registerSecretValue } from '../common/redact.js';

/** Every { encrypted: "..." } value in a config (parsed or raw YAML object), wherever it sits. */
export function encryptedValues(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) encryptedValues(item, out);
  else if (node !== null && typeof node === 'object') {
    const rec = node as Record<string, unknown>;
    if (typeof rec.encrypted === 'string' && Object.keys(rec).length === 1) out.push(rec.encrypted);
    else for (const value of Object.values(rec)) encryptedValues(value, out);
  }
  return out;
}

/**
 * Proves the key opens every stored credential before anything starts: a wrong key found at the first
 * poll would leave the service running and failing, and the web app would save new secrets under it.
 */
export function checkKeyOpens(store: { decrypt(c: string): string; origin: string }, encrypted: string[]): void {
  let failed = 0;
  for (const c of encrypted) {
    try {
      registerSecretValue(store.decrypt(c));
    } catch {
      failed++;
    }
  }
  if (failed === 0) return;
  throw new UserError(
    `${failed} of ${encrypted.length} encrypted credential(s) in the config cannot be decrypted with the appliance key (${store.origin}); the service will not start.`,
    {
      fix: 'Restore the original key file from a backup (or the original COLLECTOR_SECRET_KEY); if a `collector secrets rotate` was interrupted, rename secret.key.new to secret.key. Otherwise re-enter those credentials (or use { env } / { file }).',
      code: 'SECRET_KEY_WRONG',
    },
  );
}
