import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions, writeOutput } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('software')
      .description(
        'export the software inventory read inside the guests (installed applications, Windows features, SQL Server instances): JSON (schemas/software.schema.json) or CSV',
      )
      .option('--format <format>', 'json or csv (columns machine, name, version, publisher, source)', 'json')
      .option('-o, --out <file>', 'output file ("-" for stdout)', '-'),
  ).action(async (opts) => {
    const { config } = loadCommandContext(opts);
    const { softwareExportText } = await import('../run/guest-exports.js');
    const { text, machines } = await softwareExportText(config, { format: opts.format });
    await writeOutput(opts.out, text);
    process.stderr.write(`${machines} machine(s) with a software inventory\n`);
  });
}
