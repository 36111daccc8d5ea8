import type { Command } from 'commander';
import { withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('run')
      .description(
        'run the appliance loop: collectors on their cadence feed the samples queue, rollup workers turn samples into 10-minute points (SIGTERM/SIGINT: finish polls, drain in-flight jobs, log out, exit)',
      )
      .option('--no-collect', 'do not run the collectors (workers only)')
      .option('--no-rollup', 'do not run rollup workers (collect only; workers run elsewhere)')
      .option('--concurrency <n>', 'sample batches a worker processes at once (default rollup.workerConcurrency)', (v) =>
        Number.parseInt(v, 10),
      )
      .option('--no-web', 'do not run the web app (management UI, /healthz, /readyz, /metrics on web.port)')
      .option('--no-status', 'no live status on a terminal (JSON status lines every minute instead)'),
  ).action(async (opts) => {
    const { runService } = await import('../run/service.js');
    await runService(opts, { collect: opts.collect, rollup: opts.rollup, web: opts.web, sink: true });
  });
}
