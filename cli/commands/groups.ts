import type { Command } from 'commander';
import { loadCommandContext, withConfigOptions, writeOutput } from '../command-context.js';

export function register(program: Command): void {
  const groups = program
    .command('groups')
    .description('migration groups: suggested from the dependency graph, saved by name, assessed with `collector assess --group NAME`');
  withConfigOptions(
    groups
      .command('suggest')
      .description('propose groups as the connected components of the dependency graph (shared-infrastructure ports left out)')
      .option('--from <time>', 'start, ISO time or epoch ms (default: 30 days before --to)')
      .option('--to <time>', 'end, ISO time or epoch ms (default: now)')
      .option('--min-polls <n>', 'polls a pair of machines needs over the range (default: groups.minPolls, 2)')
      .option('--ignore-ports <list>', 'comma-separated destination ports to leave out (default: groups.ignorePorts: DNS, NTP, AD, backup)')
      .option('--format <format>', 'text or json', 'text')
      .option('--save', 'save each suggested group under its name (suggested-1, ...), replacing groups of those names')
      .option('-o, --out <file>', 'output file ("-" for stdout)', '-'),
  ).action(async (opts) => {
    const { config } = loadCommandContext(opts);
    const { suggest, formatSuggestion, saveGroup } = await import('../run/guest-exports.js');
    const { UserError } = await import('../../common/errors.js');
    if (!['text', 'json'].includes(opts.format))
      throw new UserError(`--format: ${JSON.stringify(opts.format)} is not text or json.`, { fix: 'Use --format text or --format json.' });
    const s = await suggest(config, opts);
    if (opts.save) for (const g of s.groups) await saveGroup(config, g.name, g.machines);
    await writeOutput(opts.out, opts.format === 'json' ? `${JSON.stringify(s, null, 2)}\n` : formatSuggestion(s));
  });
  withConfigOptions(
    groups
      .command('save <name>')
      .description('create or replace a group')
      .requiredOption('--machines <list>', 'comma-separated machine names or ids'),
  ).action(async (name: string, opts) => {
    const { config } = loadCommandContext(opts);
    const { saveGroup } = await import('../run/guest-exports.js');
    const list = String(opts.machines)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const { group, unknown } = await saveGroup(config, name, list);
    process.stdout.write(`${group.name}: ${group.machines.length} machine(s)\n`);
    if (unknown.length > 0) process.stderr.write(`warning: not in the inventory (kept as given): ${unknown.join(', ')}\n`);
  });
  withConfigOptions(groups.command('list').description('list the saved groups').option('--format <format>', 'text or json', 'text')).action(
    async (opts) => {
      const { config } = loadCommandContext(opts);
      const { listGroups } = await import('../run/guest-exports.js');
      const list = await listGroups(config);
      if (opts.format === 'json') return writeOutput('-', `${JSON.stringify(list, null, 2)}\n`);
      await writeOutput('-', list.map((g) => `${g.name}\t${g.machines.length}\t${g.machines.join(',')}\n`).join(''));
    },
  );
  withConfigOptions(groups.command('remove <name>').description('delete a saved group')).action(async (name: string, opts) => {
    const { config } = loadCommandContext(opts);
    const { removeGroup } = await import('../run/guest-exports.js');
    const { UserError } = await import('../../common/errors.js');
    if (!(await removeGroup(config, name)))
      throw new UserError(`there is no group named ${JSON.stringify(name)}.`, { fix: 'See `collector groups list`.', code: 'NOT_FOUND' });
    process.stdout.write(`removed ${name}\n`);
  });
}
