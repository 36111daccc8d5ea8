import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('status')
      .description('what is pending, parked (failed, with the reason) and sent in the Azure outbox')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => {
    const { config } = loadCommandContext(opts);
    const { outboxStatus, formatOutboxStatus } = await import('../run/upload.js');
    const st = await outboxStatus(config);
    process.stdout.write(opts.json ? `${JSON.stringify({ outbox: st }, null, 2)}\n` : formatOutboxStatus(st, config));
  });
}
