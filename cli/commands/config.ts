import type { Command } from 'commander';
import { withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  const config = program.command('config').description('check and show configuration');
  withConfigOptions(
    config
      .command('check')
      .description('validate a config file and resolve its secrets; prints the sources it would use, never the secrets'),
  ).action(async (opts) => {
    const { loadConfig } = await import('../../config/load.js');
    const { resolveSecret } = await import('../../config/secret-refs.js');
    const cfg = loadConfig(opts.config);
    cfg.sources.forEach((s, i) => {
      if (s.password) resolveSecret(s.password, `sources[${i}].password`);
      if (s.kind === 'linux' && s.privateKey) resolveSecret(s.privateKey, `sources[${i}].privateKey`);
      if (s.kind === 'linux' && s.privateKeyPassphrase) resolveSecret(s.privateKeyPassphrase, `sources[${i}].privateKeyPassphrase`);
    });
    process.stdout.write(
      `${opts.config}: valid; ${cfg.sources.length} source(s): ${cfg.sources.map((s) => `${s.name} (${s.kind})`).join(', ') || 'none'}\n`,
    );
  });
}
