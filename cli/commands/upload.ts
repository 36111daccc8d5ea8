import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions } from '../command-context.js';
import { assessOptionsOf, withAssessOptions } from './assess.js';

export function register(program: Command): void {
  withAssessOptions(
    withConfigOptions(
      program
        .command('upload')
        .description(
          'put the assessment in the durable outbox for Azure (Azure Migrate import file, Logs Ingestion batches; keyed by content hash: never queued twice) and, with --send, deliver it',
        )
        .option('--assessment <file>', 'upload this assessment JSON (collector assess --out) instead of building one')
        .option('--dry-run', 'show what would be sent where (files, rows, requests) without queuing or sending anything')
        .option('--send', 'run the sender in this process until the outbox is empty (the appliance service sends on its own)')
        .option('--no-enqueue', 'do not add an assessment; only send or replay what the outbox holds')
        .option('--replay-failed', 'move batches parked as failed back into the outbox first (after fixing the cause)')
        .option('--timeout <sec>', 'with --send: stop waiting after this many seconds; pending batches stay in the outbox', '600'),
    ),
  ).action(async (opts) => {
    const { config, log } = loadCommandContext(opts);
    const { runUpload } = await import('../run/upload.js');
    const code = await runUpload(config, log, { ...opts, assessOptions: assessOptionsOf(opts) });
    if (code !== 0) process.exitCode = code;
  });
}
