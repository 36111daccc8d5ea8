import type { Command } from 'commander';

const DEFAULT_PASSWORD_ENV = 'LAB_VCENTER_PASSWORD';

// `collector lab vcenter`: serves one estate vCenter over TLS on 127.0.0.1 until Ctrl+C.
export function register(lab: Command): void {
  lab
    .command('vcenter')
    .description('serve a simulated vCenter (vSphere SOAP subset: sessions, inventory, realtime perf) for an estate file, on 127.0.0.1')
    .requiredOption('--estate <file>', 'estate YAML (see lab/estates/sample.yaml)')
    .option('--vcenter <name>', 'which estate vCenter to serve (hosts[].vcenter)', 'vc01')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0: any free port)', '8989')
    .option('--user <name>', 'the user that may log in', 'administrator@vsphere.local')
    .option('--password-env <VAR>', "environment variable holding that user's password", DEFAULT_PASSWORD_ENV)
    .option('--cert <file>', 'PEM certificate to present (default: a fresh self-signed one)')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--delay-ms <n>', 'delay every SOAP answer (a slow vCenter)', '0')
    .option('--session-idle-sec <n>', 'idle seconds before a session expires', '1800')
    .option('--max-objects <n>', 'most objects per RetrievePropertiesEx page whatever the client asks')
    .option('--perf-latency-sec <n>', 'seconds before a 20-s sample shows in QueryPerf (late posting)', '0')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'warn')
    .action(async (opts) => {
      const { runLabVcenter } = await import('../../run/lab-vcenter.js');
      await runLabVcenter(opts);
    });
}
