import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { redact } from './redact.js';

export type { Logger };

/** Every path where a credential, cookie or token could appear in a log record. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'cookie',
  '*.cookie',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers.authorization',
  '*.headers.cookie',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'sessionKey',
  '*.sessionKey',
  'passwd',
  '*.passwd',
  'apiKey',
  '*.apiKey',
  'privateKey',
  '*.privateKey',
  'setupCode',
  '*.setupCode',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
  'headers["x-csrf-token"]',
  '*.headers["x-csrf-token"]',
];

/** Scrubs credentials out of free text (error messages, response snippets): the one step in common/redact.ts. */
export function redactText(text: string): string {
  return redact(text);
}

export interface LogOptions {
  level?: string;
  /** Readable output for a person at a terminal; JSON lines otherwise (service mode). */
  pretty?: boolean;
  name?: string;
}

/** One logger for the whole process, written to stderr so stdout stays free for command output. */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.COLLECTOR_LOG_LEVEL ?? 'info';
  const usePretty = opts.pretty ?? (process.stderr.isTTY === true && !process.env.INVOCATION_ID);
  const base = { level, name: opts.name, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, hooks: { streamWrite: redact } };
  if (usePretty) {
    return pino(base, pretty({ destination: 2, colorize: true, sync: true, ignore: 'pid,hostname' }));
  }
  return pino(base, pino.destination({ fd: 2, sync: false }));
}

let shared: Logger | undefined;
/** The process-wide logger; the CLI configures it once from --log-level and the config. */
export function logger(): Logger {
  shared ??= createLogger();
  return shared;
}
export function setLogger(l: Logger): void {
  shared = l;
}
