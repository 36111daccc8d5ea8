import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions, writeOutput } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('percentiles')
      .description(
        'p50/p90/p95/p99 and max of the complete 10-minute points per machine and series over a history, with data-point availability and confidence stars (schemas/percentiles.schema.json)',
      )
      .option('--as-of <time>', 'end of the history, ISO time or epoch ms (default: now); aligned down to 10 minutes')
      .option('--history <span>', '1d, 7d or 30d', '7d')
      .option('--out <file>', 'output file ("-" for stdout)', '-'),
  ).action(async (opts) => {
    const { config } = loadCommandContext(opts);
    const { UserError } = await import('../../common/errors.js');
    const { isHistory } = await import('../../rollup/window.js');
    const { parseTimeArg } = await import('../time-arg.js');
    if (!isHistory(opts.history))
      throw new UserError(`--history: ${JSON.stringify(opts.history)} is not a history.`, {
        fix: 'Use 1d, 7d or 30d (Azure Migrate: 1 day, 1 week, 1 month).',
      });
    const asOf = opts.asOf ? parseTimeArg('--as-of', opts.asOf) : Date.now();
    const { createRedis } = await import('../../queue/redis.js');
    const { percentilesReport } = await import('../../rollup/percentile-report.js');
    const redis = createRedis(config.redis, { name: 'collector-percentiles' });
    try {
      const report = await percentilesReport(redis, config.redis.prefix, { asOf, history: opts.history });
      await writeOutput(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    } finally {
      redis.disconnect();
    }
  });
}
