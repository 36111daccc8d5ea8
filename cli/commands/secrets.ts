import type { Command } from 'commander';
import { withConfigOptions } from '../command-context.js';

export function register(program: Command): void {
  const secrets = program.command('secrets').description('manage the appliance key that encrypts credentials entered in the web app');
  withConfigOptions(
    secrets
      .command('rotate')
      .description(
        're-encrypt every { encrypted } credential of the config under a new key (stop the service first; the old key is kept as secret.key.old until done)',
      ),
  ).action(async (opts) => {
    const { loadConfig } = await import('../../config/load.js');
    const { applianceKeyFile } = await import('../../appliance/credential-store.js');
    const { rotateKey } = await import('../../appliance/key-rotate.js');
    const cfg = loadConfig(opts.config);
    const result = rotateKey(opts.config, applianceKeyFile(opts.config, cfg.web.dataDir));
    process.stdout.write(`rotated the key in ${result.keyFile}; re-encrypted ${result.reencrypted} credential(s) in ${opts.config}\n`);
  });
}
