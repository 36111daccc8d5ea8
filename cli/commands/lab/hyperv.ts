import type { Command } from 'commander';

// `collector lab hyperv`: serves the estate's Hyper-V hosts (one WinRM listener pair each) on 127.0.0.1 until Ctrl+C.
export function register(lab: Command): void {
  lab
    .command('hyperv')
    .description(
      'serve simulated Hyper-V hosts (WinRM: HTTP with NTLM + message encryption, HTTPS with NTLM/Basic) for an estate file, on 127.0.0.1; prints the name -> port map as JSON',
    )
    .requiredOption('--estate <file>', 'estate YAML (see lab/estates/sample.yaml)')
    .option('--hosts <names>', 'comma-separated Hyper-V hosts to serve (default: all of the estate)')
    .option(
      '--users <names>',
      'comma-separated accounts that may log in (as the client names them, e.g. collector or HV01\\collector)',
      'collector',
    )
    .option(
      '--denied-users <names>',
      'comma-separated accounts that authenticate but are not administrators (every request: access denied)',
    )
    .option('--password-env <VAR>', "environment variable holding the accounts' password", 'LAB_HYPERV_PASSWORD')
    .option('--no-http', 'do not serve HTTP (5985-style, NTLM + message encryption)')
    .option('--no-https', 'do not serve HTTPS (5986-style, NTLM and Basic)')
    .option('--allow-unencrypted', 'also accept plaintext and Basic over HTTP (like AllowUnencrypted=true; for wsl WSNOSSL=1)')
    .option('--cert <file>', 'PEM certificate to present (default: a fresh self-signed one)')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--enumeration-timeout-ms <n>', 'idle expiry of enumeration contexts (Windows default 60000)', '60000')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'warn')
    .action(async (opts) => {
      const { runLabHyperv } = await import('../../run/lab-hyperv.js');
      await runLabHyperv(opts);
    });
}
