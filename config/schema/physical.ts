import { z } from 'zod';
import { hypervSource } from './hyperv.js';
import { secretRef, sourceName } from './common.js';
import { dependencySettings, softwareSettings } from './guest-settings.js';

// Physical servers (and VMs whose hypervisor the appliance cannot reach), read directly: Linux over SSH,
// Windows over WinRM. Azure Migrate reads them every 5 minutes, 1,000 per appliance; we read every 30 s
// and take the inventory every 3 h, as it does.

/** "host" or "host:port"; the port defaults to the protocol's (22 for SSH; WinRM's from transport). */
const hostAddress = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+)(:\d{1,5})?$/, {
  error: 'expected "host" or "host:port". Fix: e.g. app01.corp.local or "10.1.2.3:2222"',
});
const hostList = z.array(hostAddress).min(1, { error: 'expected at least one host. Fix: hosts: [app01.corp.local]' });

const physicalCommon = {
  name: sourceName,
  hosts: hostList,
  username: z.string().min(1, { error: 'expected the account name' }),
  enabled: z.boolean().default(true),
  /** Per-source overrides of the global guest settings (software inventory, dependency analysis). */
  software: softwareSettings.optional(),
  dependencies: dependencySettings.optional(),
  pollIntervalSec: z.number().int().min(30).max(1800).default(30),
  inventoryIntervalSec: z.number().int().min(300).max(86_400).default(10_800),
  timeoutSec: z.number().int().min(5).max(600).default(30),
  /** Hosts polled at once. */
  concurrency: z.number().int().min(1).max(256).default(32),
  /** Also report virtual NICs (bridges, veth, vEthernet); loopback is never reported. */
  includeVirtualNics: z.boolean().default(false),
};

/** The SSH server's identity: an OpenSSH known_hosts file, or SHA256 fingerprints per host. */
const hostKeys = z.union(
  [
    z.object({ file: z.string().min(1) }).strict(),
    z
      .object({
        fingerprints: z.record(
          z.string().min(1),
          z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, { error: 'expected "SHA256:<base64>" as ssh-keygen -lf prints it' }),
        ),
      })
      .strict(),
  ],
  {
    error:
      'expected { file: /path/known_hosts } or { fingerprints: { host: "SHA256:..." } }. Fix: pin every host key; unknown keys are refused',
  },
);

export const linuxSource = z
  .object({
    ...physicalCommon,
    kind: z.literal('linux'),
    password: secretRef.optional(),
    privateKey: secretRef.optional(),
    privateKeyPassphrase: secretRef.optional(),
    hostKeys,
    /** NICs reported even when virtual or loopback, by interface name (e.g. [lo] to measure loopback traffic). */
    includeNics: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine((s) => s.password !== undefined || s.privateKey !== undefined, {
    error: 'a linux source needs a credential. Fix: set privateKey: { file: /etc/collector/id_ed25519 } or password: { env: NAME }',
    path: ['privateKey'],
  });
export type LinuxSourceConfig = z.infer<typeof linuxSource>;

const winrm = hypervSource.shape;
export const windowsSource = z
  .object({
    ...physicalCommon,
    kind: z.literal('windows'),
    password: secretRef,
    // The same WinRM options as a Hyper-V source.
    port: winrm.port,
    transport: winrm.transport,
    auth: winrm.auth,
    tls: winrm.tls,
    hostMap: winrm.hostMap,
    httpsOnly: winrm.httpsOnly,
    allowHttpFallback: winrm.allowHttpFallback,
    limits: winrm.limits,
  })
  .strict()
  .refine((s) => !(s.auth === 'basic' && s.transport === 'http'), {
    error:
      'Basic authentication over plain HTTP would send the password in the clear. Fix: use transport: https, or auth: ntlm (message encryption over http)',
    path: ['auth'],
  })
  .refine((s) => !(s.httpsOnly && s.allowHttpFallback === true), {
    error: 'httpsOnly: true and allowHttpFallback: true contradict each other. Fix: keep one of them',
    path: ['allowHttpFallback'],
  });
export type WindowsSourceConfig = z.infer<typeof windowsSource>;
