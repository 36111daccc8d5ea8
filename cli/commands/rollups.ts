import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions, writeOutput } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('rollups')
      .description("print a series' 10-minute points: window start (UTC), peak and number of samples")
      .requiredOption('--machine <id>', 'machine id (as in the inventory or the sample file)')
      .requiredOption('--metric <name>', 'metric, e.g. cpu.usage.percent')
      .option('--instance <id>', 'disk or NIC id; "" (default) for cpu and memory', '')
      .option('--from <time>', 'ISO time or epoch ms (default: 24 hours before --to)')
      .option('--to <time>', 'ISO time or epoch ms, exclusive (default: now)')
      .option('--json', 'JSON output (schemas/points.schema.json)')
      .option('--out <file>', 'write to a file instead of stdout', '-'),
  ).action(async (opts) => {
    const { config } = loadCommandContext(opts);
    const { UserError } = await import('../../common/errors.js');
    const { isMetricName, METRICS } = await import('../../model/index.js');
    const { parseTimeArg } = await import('../time-arg.js');
    if (!isMetricName(opts.metric))
      throw new UserError(`--metric: ${JSON.stringify(opts.metric)} is not a metric.`, { fix: `Use one of: ${METRICS.join(', ')}` });
    const to = opts.to ? parseTimeArg('--to', opts.to) : Date.now();
    const from = opts.from ? parseTimeArg('--from', opts.from) : to - 86_400_000;
    if (!(to > from)) throw new UserError('--from must be before --to.', { fix: 'Swap them or widen the range.' });
    const { createRedis } = await import('../../queue/redis.js');
    const { readPoints } = await import('../../rollup/point-store.js');
    const redis = createRedis(config.redis, { name: 'collector-rollups' });
    try {
      const points = await readPoints(redis, config.redis.prefix, {
        machine: opts.machine,
        metric: opts.metric,
        instance: opts.instance,
        from,
        to,
      });
      let text: string;
      if (opts.json) {
        text = `${JSON.stringify({ machine: opts.machine, metric: opts.metric, instance: opts.instance, from: new Date(from).toISOString(), to: new Date(to).toISOString(), points: points.map((p) => ({ windowStart: new Date(p.windowStart).toISOString(), peak: p.peak, samples: p.samples })) }, null, 2)}\n`;
      } else {
        const rows = points.map(
          (p) => `${new Date(p.windowStart).toISOString()}  ${String(p.peak).padStart(14)}  ${String(p.samples).padStart(7)}`,
        );
        text =
          [
            `${'WINDOW START (UTC)'.padEnd(24)}  ${'PEAK'.padStart(14)}  ${'SAMPLES'.padStart(7)}`,
            ...rows,
            `${points.length} point(s)`,
          ].join('\n') + '\n';
      }
      await writeOutput(opts.out, text);
    } finally {
      redis.disconnect();
    }
  });
}
