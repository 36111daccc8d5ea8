import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';

// `collector lab <what>`: every file in cli/commands/lab/ exports register(lab) and adds one subcommand.
export async function register(program: Command): Promise<void> {
  const lab = program.command('lab').description('simulated vCenter and Hyper-V hosts for labs, demos and tests (loopback only)');
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'lab');
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .sort();
  } catch {
    return;
  }
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { register?: (p: Command) => void };
    mod.register?.(lab);
  }
}
