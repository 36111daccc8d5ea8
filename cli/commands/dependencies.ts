import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions, writeOutput } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('dependencies')
      .description(
        "export the hourly TCP dependencies seen inside the guests: CSV in the column layout of Azure Migrate's dependency export, or JSON (schemas/dependencies.schema.json)",
      )
      .option('--from <time>', 'start, ISO time or epoch ms (default: 30 days before --to)')
      .option('--to <time>', 'end, ISO time or epoch ms (default: now)')
      .option('--format <format>', 'csv or json', 'csv')
      .option('-o, --out <file>', 'output file ("-" for stdout)', '-'),
  ).action(async (opts) => {
    const { config } = loadCommandContext(opts);
    const { dependencyExportText } = await import('../run/guest-exports.js');
    const { text, edges } = await dependencyExportText(config, opts);
    await writeOutput(opts.out, text);
    process.stderr.write(`${edges} hourly edge(s)\n`);
  });
}
