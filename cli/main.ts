import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { reportFatal } from './command-context.js';

// Every file in cli/commands/ exports register(program): adding a command is adding a file.
// Command files stay light; they import their implementation only when run.
const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const program = new Command('collector')
    .description('assessment-collector: discover VMware and Hyper-V estates, measure every machine, and build Azure assessments.')
    .showHelpAfterError('(add --help for usage)')
    .enablePositionalOptions();
  const dir = join(here, 'commands');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { register?: (p: Command) => void | Promise<void> };
    await mod.register?.(program);
  }
  await program.parseAsync(process.argv);
}

main().catch(reportFatal);
