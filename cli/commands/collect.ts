import type { Command } from 'commander';
import { withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('collect')
      .description('poll performance from every configured source and write samples as NDJSON (schemas/sample.schema.json)')
      .requiredOption('-o, --out <file>', 'where to write the samples, one JSON object per line ("-" for stdout)')
      .option('--once', 'one poll per source (with its backfill of the realtime hour), then exit')
      .option(
        '--state-dir <dir>',
        "keep each source's high-water marks in <dir>/<source>.json, so a later run neither repeats nor skips samples",
      )
      .option('-s, --source <name...>', 'only these sources (default: every enabled source)'),
  ).action(async (opts) => {
    const { runCollect } = await import('../run/collect.js');
    await runCollect(opts);
  });
}
