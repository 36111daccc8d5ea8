import { readFileSync } from 'node:fs';
import { UserError } from './errors.js';

export interface JsonFileContext {
  /** How the file was named to us, for the message: "--inventory", "assessment.catalog.vmSizes". */
  label: string;
  /** What the file is, when the label does not say: "the vm-sizes catalogue". */
  what?: string;
  /** What to do when the file cannot be read, and when it is not JSON. */
  unreadableFix: string;
  invalidFix: string;
  /** Error codes for the two cases. */
  codes?: { unreadable: string; invalid: string };
}

/** Reads and parses a JSON file an administrator pointed us at; both failures are UserErrors that name the fix. */
export function readJsonFile(file: string, ctx: JsonFileContext): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `${ctx.label}: cannot read ${ctx.what ? `${ctx.what} ` : ''}${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
      {
        fix: ctx.unreadableFix,
        code: ctx.codes?.unreadable ?? 'INPUT_UNREADABLE',
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${ctx.label}: ${file} is not valid JSON (${(err as Error).message}).`, {
      fix: ctx.invalidFix,
      code: ctx.codes?.invalid ?? 'INPUT_INVALID',
    });
  }
}
