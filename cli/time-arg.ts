import { UserError } from '../common/errors.js';

/** Parses a command-line time: ISO 8601 (2026-01-01T00:00:00Z) or epoch milliseconds. */
export function parseTimeArg(option: string, v: string): number {
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t))
    throw new UserError(`${option}: ${JSON.stringify(v)} is not a time.`, {
      fix: `Give an ISO 8601 time such as 2026-01-01T00:00:00Z, or epoch milliseconds.`,
    });
  return t;
}
