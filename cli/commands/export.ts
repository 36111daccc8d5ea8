import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions, writeOutput } from '../command-context.js';
import { assessOptionsOf, withAssessOptions } from './assess.js';

export function register(program: Command): void {
  withAssessOptions(
    withConfigOptions(
      program
        .command('export')
        .description(
          'export the assessment for people who read files: azure-migrate-csv (Azure Migrate "import servers" CSV, 20,000 servers per file) or json',
        )
        .requiredOption('-f, --format <format>', 'azure-migrate-csv or json')
        .requiredOption('-o, --out <file>', 'output file; a CSV beyond 20,000 servers is split into FILE, FILE-2.csv, ...')
        .option('--assessment <file>', 'export this assessment JSON (collector assess --out) instead of building one'),
    ),
  ).action(async (opts) => {
    const { config, log } = loadCommandContext(opts);
    const { UserError } = await import('../../common/errors.js');
    if (!['azure-migrate-csv', 'json'].includes(opts.format)) {
      throw new UserError(`--format: ${JSON.stringify(opts.format)} is not an export format.`, {
        fix: 'Use --format azure-migrate-csv or --format json.',
        code: 'BAD_OPTION',
      });
    }
    const { assess, readAssessmentFile } = await import('../../assessment/assess.js');
    const a = opts.assessment ? readAssessmentFile(opts.assessment) : await assess(config, assessOptionsOf(opts), log);
    if (opts.format === 'json') {
      await writeOutput(opts.out, `${JSON.stringify(a, null, 2)}\n`);
      return;
    }
    const { partPath, toAzureMigrateCsv } = await import('../../assessment/csv.js');
    const { files, warnings } = toAzureMigrateCsv(a.machines);
    // stdout takes one file; every part needs --out FILE.
    if (opts.out === '-' && files.length > 1) warnings.push('stdout holds only the first file: give --out FILE to get every part');
    const parts = opts.out === '-' ? files.slice(0, 1) : files;
    for (const f of parts) await writeOutput(partPath(opts.out, f.part), f.text);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`${parts.map((f) => `${partPath(opts.out, f.part)} (${f.servers} servers)`).join(', ')}\n`);
  });
}
