import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('ingest')
      .description(
        'replay a sample file (ndjson, as `collector collect` writes) through the samples queue and workers; returns when it is rolled up. Replaying the same file again changes nothing. Lines that break the sample contract are quarantined, the others rolled up; exit code 1 when any was refused.',
      )
      .argument('<samples.ndjson>', 'sample file, one JSON sample per line ("-" for stdin)')
      .option('--batch <n>', 'samples per queue job', (v) => Number.parseInt(v, 10), 5000)
      .option('--no-worker', 'do not start a worker in this process; wait for workers elsewhere'),
  ).action(async (file: string, opts) => {
    const { config, log } = loadCommandContext(opts);
    const { UserError } = await import('../../common/errors.js');
    if (!(Number.isInteger(opts.batch) && opts.batch >= 1 && opts.batch <= 1_000_000))
      throw new UserError(`--batch: expected 1 to 1000000 (got ${opts.batch}).`, { fix: 'e.g. --batch 5000' });
    const { ingestFile } = await import('../run/ingest.js');
    const r = await ingestFile(config, log, file, { batchSize: opts.batch, worker: opts.worker });
    process.stdout.write(`${JSON.stringify(r)}\n`);
    if (r.refused > 0) {
      // The valid samples are rolled up; the refused lines are kept for inspection, and the exit code says so.
      process.stderr.write(
        `warning: ${r.refused} line(s) refused and quarantined (Redis ${config.redis.prefix}:quarantine), first: ${r.firstRefused}\n`,
      );
      process.stderr.write(
        'fix: Each line must be one JSON sample as `collector collect` writes it (schemas/sample.schema.json, docs/pipeline.md); correct the lines and ingest them again.\n',
      );
      process.exitCode = 1;
    }
  });
}
