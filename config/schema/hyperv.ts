import { z } from 'zod';
import { peerLimits, secretRef, sourceName, tlsSettings } from './common.js';
import { dependencySettings, softwareSettings } from './guest-settings.js';

export const hypervSource = z
  .object({
    name: sourceName,
    kind: z.literal('hyperv'),
    /** A standalone host, or a failover cluster name (set cluster: true) that expands to its nodes. */
    host: z.string().min(1, { error: 'expected the Hyper-V host or cluster name' }),
    cluster: z.boolean().default(false),
    /** Extra hosts polled under the same credentials (standalone hosts sharing an account). */
    hosts: z.array(z.string().min(1)).default([]),
    port: z.number().int().min(1).max(65535).optional(),
    transport: z
      .enum(['https', 'http'], { error: 'expected https (port 5986) or http (port 5985, NTLM with message encryption)' })
      .default('https'),
    auth: z.enum(['ntlm', 'basic'], { error: 'expected ntlm or basic (basic only over https)' }).default('ntlm'),
    username: z.string().min(1, { error: 'expected the account, e.g. HV01\\collector or DOMAIN\\collector' }),
    password: secretRef,
    tls: tlsSettings,
    /**
     * Where to reach hosts by name, for names DNS does not resolve (the lab's simulated hosts, or a
     * cluster's nodes): { hv01: { address: 127.0.0.1, httpsPort: 55001, httpPort: 55002 } } or the
     * shorthand "127.0.0.1:55001" (the port of the configured transport). Names are case-insensitive.
     */
    hostMap: z
      .record(
        z.string().min(1),
        z.union(
          [
            z.string().regex(/^[^\s:]+(:\d{1,5})?$/, {
              error: 'expected "address" or "address:port". Fix: e.g. hv01: "127.0.0.1:55001", or { address, httpsPort, httpPort }',
            }),
            z
              .object({
                address: z.string().min(1),
                httpsPort: z.number().int().min(1).max(65535).optional(),
                httpPort: z.number().int().min(1).max(65535).optional(),
              })
              .strict(),
          ],
          { error: 'expected "address[:port]" or { address, httpsPort, httpPort }. Fix: e.g. hv01: "127.0.0.1:55001"' },
        ),
      )
      .default({}),
    /** Do not fall back from HTTPS 5986 to HTTP 5985 (implied by tls.caFile or tls.thumbprint). */
    httpsOnly: z.boolean().default(false),
    /** Allow the HTTP fallback even though tls pins a CA or thumbprint (the admin's explicit choice). */
    allowHttpFallback: z.boolean().optional(),
    enabled: z.boolean().default(true),
    /** Per-source overrides of the global guest settings (software inventory, dependency analysis). */
    software: softwareSettings.optional(),
    dependencies: dependencySettings.optional(),
    pollIntervalSec: z.number().int().min(30).max(1800).default(30),
    inventoryIntervalSec: z.number().int().min(60).max(86_400).default(900),
    /** Per request: the idle timeout and the wall-clock deadline of one whole request (send to last byte). */
    timeoutSec: z.number().int().min(5).max(600).default(60),
    /** Caps on each WS-Man reply (maxResponseMB, maxElements); a reply past one fails with the cap's name. */
    limits: peerLimits,
    /** Hosts polled at once. */
    concurrency: z.number().int().min(1).max(64).default(16),
  })
  .strict()
  .refine((s) => !(s.auth === 'basic' && s.transport === 'http'), {
    error:
      'Basic authentication over plain HTTP would send the password in the clear, and Windows refuses it by default. Fix: use transport: https, or auth: ntlm (message encryption over http)',
    path: ['auth'],
  })
  .refine((s) => !(s.httpsOnly && s.allowHttpFallback === true), {
    error: 'httpsOnly: true and allowHttpFallback: true contradict each other. Fix: keep one of them',
    path: ['allowHttpFallback'],
  });
export type HypervSourceConfig = z.infer<typeof hypervSource>;
