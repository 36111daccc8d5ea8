import { z } from 'zod';
import { hypervSource } from './hyperv.js';
import { secretRef } from './common.js';

// Guest access for software inventory and dependency analysis (issue 12): named credentials the appliance tries
// against each discovered VM's IP addresses, as Azure Migrate does; physical sources use their own credentials.

const hostKeys = z.union([
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ fingerprints: z.record(z.string().min(1), z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/)) }).strict(),
]);

const winrm = hypervSource.shape;
export const guestCredential = z
  .object({
    name: z.string().min(1).max(64),
    os: z.enum(['windows', 'linux'], { error: 'expected os: windows or os: linux' }),
    username: z.string().min(1),
    password: secretRef.optional(),
    privateKey: secretRef.optional(),
    privateKeyPassphrase: secretRef.optional(),
    /** Linux: the guests' SSH host keys; a guest whose key is not pinned here is never sent the credential. */
    hostKeys: hostKeys.optional(),
    /** Windows: WinRM options as for a Hyper-V source. */
    transport: winrm.transport.optional(),
    auth: winrm.auth.optional(),
    tls: winrm.tls.optional(),
    httpsOnly: winrm.httpsOnly.optional(),
    port: winrm.port,
    /** Addresses for guest IPs or names behind NAT (the lab's guests on 127.0.0.1), as a Hyper-V source's hostMap (Linux: "address:port"). */
    hostMap: winrm.hostMap.optional(),
  })
  .strict()
  .refine((c) => c.password !== undefined || (c.os === 'linux' && c.privateKey !== undefined), {
    error: 'a guest credential needs password (or privateKey for linux). Fix: password: { env: NAME }',
    path: ['password'],
  })
  .refine((c) => c.os === 'windows' || c.hostKeys !== undefined, {
    error:
      'a linux guest credential needs hostKeys: credentials are never sent to a guest whose identity is not verified. Fix: hostKeys: { file: /etc/collector/known_hosts }',
    path: ['hostKeys'],
  });
export type GuestCredential = z.infer<typeof guestCredential>;
