import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger, redactText, setLogger, type Logger } from '../common/log.js';
import { loadConfig, type CollectorConfig } from '../config/load.js';

export interface CommonOptions {
  config?: string;
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
}

/** Adds the options every command that reads a config shares. */
export function withConfigOptions(cmd: Command, required = true): Command {
  if (required) cmd.requiredOption('-c, --config <file>', 'YAML configuration file');
  else cmd.option('-c, --config <file>', 'YAML configuration file');
  return cmd
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (overrides log.level)')
    .option('--log-format <format>', 'json (service mode) or pretty (terminal); default: pretty on a terminal');
}

/** Loads the config and sets up the process logger from it and the command line. */
export function loadCommandContext(opts: CommonOptions): { config: CollectorConfig; log: Logger } {
  // Commands that read a config declare --config required; the check covers one that forgot to.
  if (!opts.config) throw new UserError('no configuration file given.', { fix: 'Pass --config FILE (README.md, "Configuration").' });
  const config = loadConfig(opts.config);
  const log = createLogger({
    level: opts.logLevel ?? config.log.level,
    pretty: opts.logFormat ? opts.logFormat === 'pretty' : undefined,
  });
  setLogger(log);
  return { config, log };
}

/** Writes text to a file, or to stdout when the path is "-". */
export async function writeOutput(path: string, output: string): Promise<void> {
  const text = redactText(output); // exports and reports leave the process here
  if (path === '-') {
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    return;
  }
  const out = createWriteStream(path);
  out.end(text);
  await once(out, 'finish');
}

/** The one place a command failure becomes output: a user error prints its fix, anything else its stack. */
export function reportFatal(err: unknown): never {
  if (err instanceof UserError) {
    process.stderr.write(`error: ${redactText(err.message)}\n`);
    if (err.fix) process.stderr.write(`fix: ${redactText(err.fix)}\n`);
    process.exit(2);
  }
  process.stderr.write(`unexpected error: ${redactText(err instanceof Error ? (err.stack ?? err.message) : errorMessage(err))}\n`);
  process.exit(1);
}
