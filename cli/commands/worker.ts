import type { Command } from 'commander';
import { withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('worker')
      .description(
        'run rollup workers only, against the configured Redis: start more on other machines to scale out (a config with sources: [] is enough)',
      )
      .option('--concurrency <n>', 'sample batches processed at once (default rollup.workerConcurrency)', (v) => Number.parseInt(v, 10))
      .option('--no-status', 'no live status on a terminal'),
  ).action(async (opts) => {
    const { runService } = await import('../run/service.js');
    await runService(opts, { collect: false, rollup: true });
  });
}
