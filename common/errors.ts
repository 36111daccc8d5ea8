import { redact } from './redact.js';

/**
 * An error meant for the administrator: it names the problem and the fix. The CLI prints
 * `message` (and `fix`) without a stack trace; anything else is treated as a bug.
 */
export class UserError extends Error {
  readonly fix: string | undefined;
  readonly code: string;
  constructor(message: string, opts: { fix?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UserError';
    this.fix = opts.fix;
    this.code = opts.code ?? 'USER_ERROR';
  }
}

/** An error's text, with known secret values removed: it goes to logs, status and pages. */
export function errorMessage(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}
