import type { Command } from 'commander';
import { setup, withConfigOptions } from '../shared.js';
import { assessOptionsOf, withAssessOptions } from './assess.js';

export function register(program: Command): void {
  withAssessOptions(
    withConfigOptions(
      program
        .command('export')
        .description('export the assessment for people who read files: azure-migrate-csv (Azure Migrate "import servers" CSV, 20,000 servers per file) or json')
        .requiredOption('-f, --format <format>', 'azure-migrate-csv or json')
        .requiredOption('-o, --out <file>', 'output file; a CSV beyond 20,000 servers is split into FILE, FILE-2.csv, ...')
        .option('--assessment <file>', 'export this assessment JSON (collector assess --out) instead of building one'),
    ),
  ).action(async (opts) => {
    const { config, log } = setup(opts);
    const { UserError } = await import('../../common/errors.js');
    if (!['azure-migrate-csv', 'json'].includes(opts.format)) {
      throw new UserError(`--format: ${JSON.stringify(opts.format)} is not an export format.`, { fix: 'Use --format azure-migrate-csv or --format json.', code: 'BAD_OPTION' });
    }
    const { assess, readAssessmentFile } = await import('../../assessment/run.js');
    const a = opts.assessment ? readAssessmentFile(opts.assessment) : await assess(config, assessOptionsOf(opts), log);
    const { writeExport } = await import('../../assessment/export-files.js');
    const written = await writeExport(a, opts.format, opts.out);
    for (const w of written.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`${written.files.map((f) => `${f.path} (${f.servers} servers)`).join(', ')}\n`);
  });
}
