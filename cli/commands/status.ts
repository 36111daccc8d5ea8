import type { Command } from 'commander';
import { setup, withConfigOptions } from '../shared.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('status')
      .description('what is pending, parked (failed, with the reason) and sent in the Azure outbox')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => {
    const { config } = setup(opts);
    const { outboxStatus, formatOutboxStatus } = await import('../../assessment/upload-command.js');
    const st = await outboxStatus(config);
    process.stdout.write(opts.json ? `${JSON.stringify({ outbox: st }, null, 2)}\n` : formatOutboxStatus(st, config));
  });
}
