import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions, writeOutput } from '../command-context.js';
import { parseTimeArg } from '../time-arg.js';

/** The property and input options `assess`, `export` and `upload` share. */
export function withAssessOptions(cmd: Command): Command {
  return cmd
    .option('--as-of <time>', 'end of the performance history, ISO time or epoch ms (default: now)')
    .option('--sizing <criterion>', 'performance-based or as-on-premises (default: assessment.sizingCriterion)')
    .option('--percentile <n>', '50, 90, 95 or 99 (default: assessment.percentile, 95)')
    .option('--history <span>', '1d, 7d or 30d: 1 day, 1 week, 1 month (default: assessment.history, 1d)')
    .option('--comfort <factor>', 'comfort factor, e.g. 1.3 (default: assessment.comfortFactor)')
    .option('--region <name>', 'target Azure region (default: assessment.targetRegion)')
    .option('--storage-type <type>', 'automatic, premium, standard-ssd or standard-hdd')
    .option('--inventory <file>', 'offline: inventory JSON (collector discover --out) instead of Redis')
    .option('--percentiles <file>', 'offline: percentile report JSON (collector percentiles --out), with --inventory')
    .option('--vm-sizes <file>', 'a newer VM-size catalogue (default: assessment.catalog.vmSizes or the built-in one)')
    .option('--disk-tiers <file>', 'a newer disk-tier catalogue (default: assessment.catalog.diskTiers or the built-in one)')
    .option('--group <name>', 'assess only the machines of this migration group (collector groups save)');
}

export function assessOptionsOf(opts: Record<string, string | undefined>) {
  return {
    asOf: opts.asOf === undefined ? undefined : parseTimeArg('--as-of', opts.asOf),
    sizingCriterion: opts.sizing,
    percentile: opts.percentile,
    history: opts.history,
    comfort: opts.comfort,
    region: opts.region,
    storageType: opts.storageType,
    inventory: opts.inventory,
    percentiles: opts.percentiles,
    vmSizes: opts.vmSizes,
    diskTiers: opts.diskTiers,
    group: opts.group,
  };
}

export function register(program: Command): void {
  withAssessOptions(
    withConfigOptions(
      program
        .command('assess')
        .description(
          'build the assessment (readiness, confidence, right-sizing, cost) from the inventory and the 10-minute points, as JSON (schemas/assessment.schema.json)',
        )
        .option('-o, --out <file>', 'output file ("-" for stdout)', '-'),
    ),
  ).action(async (opts) => {
    const { config, log } = loadCommandContext(opts);
    const { assess } = await import('../../assessment/assess.js');
    const a = await assess(config, assessOptionsOf(opts), log);
    await writeOutput(opts.out, `${JSON.stringify(a, null, 2)}\n`);
    const r = a.summary.readiness;
    process.stderr.write(
      `${a.summary.machines} machine(s): ${r.Ready} ready, ${r['Conditionally ready']} conditionally ready, ${r['Not ready']} not ready, ${r['Readiness unknown']} unknown; ` +
        `${a.summary.sized} sized, about ${a.summary.monthlyCost.compute + a.summary.monthlyCost.storage} ${a.summary.monthlyCost.currency}/month (${a.properties.display.sizingCriterion}, ${a.properties.display.percentile}, ${a.properties.display.history}, ${a.properties.display.comfortFactor}, prices of ${a.catalog.vmSizes.date})\n`,
    );
  });
}
