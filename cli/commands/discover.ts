import type { Command } from 'commander';
import { withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  withConfigOptions(
    program
      .command('discover')
      .description('read the inventory of every configured source and write it as JSON (schemas/inventory.schema.json)')
      .requiredOption('-o, --out <file>', 'where to write the inventory JSON ("-" for stdout)')
      .option('-s, --source <name...>', 'only these sources (default: every enabled source)'),
  ).action(async (opts) => {
    const { runDiscover } = await import('../run/discover.js');
    await runDiscover(opts);
  });
}
