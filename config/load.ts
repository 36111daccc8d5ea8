import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../common/errors.js';
import { configSchema, type CollectorConfig } from './schema/index.js';
import { caFilesOf, checkCaFile, checkConfigSize, documentToJS } from './limits.js';

export type { CollectorConfig };
export type { SourceConfig, VcenterSourceConfig, HypervSourceConfig } from './schema/index.js';

/** One problem in a config file: the key, the bad value and the fix, in words. */
export interface ConfigProblem {
  key: string;
  value: unknown;
  message: string;
}

export class ConfigError extends UserError {
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}${describeGot(p)}`);
    super(`${file}: the configuration is not valid:\n${lines.join('\n')}`, {
      fix: 'Correct the keys above; `collector --help` and README.md ("Configuration") list every key.',
      code: 'CONFIG_INVALID',
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function describeGot(p: ConfigProblem): string {
  if (p.value === undefined) return ' (missing)';
  // A value under a secret-looking key is never echoed: it may be the password itself.
  if (/(password|secret|token|key)$/i.test(p.key)) return ' (value not shown)';
  return ` (got ${showValue(p.value)})`;
}

function showValue(v: unknown): string {
  if (v !== null && typeof v === 'object') {
    // Never echo a whole object back: it may hold a password typed in by mistake.
    return Array.isArray(v) ? 'a list' : `an object with keys ${Object.keys(v).join(', ') || '(none)'}`;
  }
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(top level)';
}

function issueToProblem(issue: z.core.$ZodIssue & { input?: unknown }, raw: unknown): ConfigProblem[] {
  const key = keyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({
      key: keyPath([...issue.path, k]),
      value: valueAt(raw, [...issue.path, k]),
      message: `unknown key. Fix: remove it or check its spelling against README.md ("Configuration")`,
    }));
  }
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    const path = issue.path[issue.path.length - 1] === 'kind' ? issue.path : [...issue.path, 'kind'];
    return [{ key: keyPath(path), value: valueAt(raw, path), message: 'expected kind: vcenter or kind: hyperv' }];
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = `required. Fix: add ${key}`;
  else if (issue.code === 'invalid_type' && /^Invalid input/.test(message)) message = `expected ${issue.expected}`;
  else if ((issue.code === 'too_small' || issue.code === 'too_big') && /^Too (small|big)/.test(message))
    message = `${message.replace(/^Too (small|big): expected/, 'expected')}`;
  return [{ key, value: issue.input ?? valueAt(raw, issue.path), message }];
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Validates an already-parsed config object (from YAML, the web app or a test). */
export function parseConfig(raw: unknown, file = 'config'): CollectorConfig {
  const result = configSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.flatMap((i) => issueToProblem(i as z.core.$ZodIssue & { input?: unknown }, raw)),
    );
  }
  return result.data;
}

/** Reads and validates a YAML config file. */
export function loadConfig(file: string): CollectorConfig {
  const path = resolve(file);
  let text: string;
  try {
    checkConfigSize(path);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read the config file ${path} (${code ?? err}).`, {
      fix:
        code === 'ENOENT'
          ? 'Check the --config path; README.md ("Configuration") has a complete example.'
          : 'Make the file readable by the user running collector.',
      code: 'CONFIG_UNREADABLE',
    });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new UserError(`${path}: not valid YAML: ${doc.errors[0]?.message.split('\n')[0]}`, {
      fix: 'Fix the YAML syntax at the line shown (indentation with spaces, "key: value").',
      code: 'CONFIG_YAML',
    });
  }
  const config = parseConfig(documentToJS(doc, path), path);
  for (const [key, file] of caFilesOf(config)) checkCaFile(file, key);
  return config;
}
