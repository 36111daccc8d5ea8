import { z } from 'zod';
import { secretRef, tlsSettings } from './common.js';

const https = z.string().regex(/^https:\/\/[^\s/]+(\/\S*)?$/i, { error: 'expected an https:// URL' });

/** Where assessments go: an HTTPS ingestion endpoint behind Microsoft Entra ID client credentials. */
export const sinkSettings = z
  .object({
    enabled: z.boolean().default(false),
    endpoint: https.optional(),
    tenantId: z.string().min(1, { error: 'expected the Entra ID tenant (directory) id' }).optional(),
    clientId: z.string().min(1, { error: 'expected the app registration (client) id' }).optional(),
    /** One of clientSecret (a secret reference) or certificateFile (PEM with the private key and certificate). */
    clientSecret: secretRef.optional(),
    certificateFile: z.string().min(1).optional(),
    certificatePassword: secretRef.optional(),
    /** Sovereign clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn; a test authority. */
    authorityHost: https.default('https://login.microsoftonline.com'),
    /** Off for an authority Microsoft's instance discovery does not know (ADFS, a test authority). */
    instanceDiscovery: z.boolean().default(true),
    scope: z.string().min(1).default('https://management.azure.com/.default'),
    /** Records per POSTed batch. */
    batchSize: z.number().int().min(1).max(5000).default(500),
    timeoutSec: z.number().int().min(5).max(600).default(60),
    /** Outbox retries: exponential backoff from baseDelaySec, capped at maxDelaySec, up to attempts tries. */
    retry: z
      .object({
        attempts: z.number().int().min(1).max(100_000).default(2000),
        baseDelaySec: z.number().min(0.05).max(3600).default(5),
        maxDelaySec: z.number().min(0.1).max(86_400).default(300),
      })
      .strict()
      .default({ attempts: 2000, baseDelaySec: 5, maxDelaySec: 300 }),
    /** Trust for the ingestion endpoint and the authority (e.g. a private CA); the system store otherwise. */
    tls: tlsSettings,
  })
  .strict()
  .refine((s) => !s.enabled || (s.endpoint && s.tenantId && s.clientId), {
    error: 'an enabled sink needs endpoint, tenantId and clientId. Fix: add them, or set sink.enabled: false',
  })
  .refine((s) => !s.tls.thumbprint, {
    error: 'the sink verifies certificates against a CA; a pinned thumbprint is not supported here. Fix: use tls: { caFile: /path/to/ca.pem } (or nothing for the system store)',
    path: ['tls', 'thumbprint'],
  })
  .refine((s) => !s.enabled || Boolean(s.clientSecret) !== Boolean(s.certificateFile), {
    error: 'give exactly one of clientSecret ({ env: NAME } or { file: PATH }) or certificateFile (PEM with key and certificate)',
    path: ['clientSecret'],
  })
  .default({
    enabled: false,
    authorityHost: 'https://login.microsoftonline.com',
    instanceDiscovery: true,
    scope: 'https://management.azure.com/.default',
    batchSize: 500,
    timeoutSec: 60,
    retry: { attempts: 2000, baseDelaySec: 5, maxDelaySec: 300 },
    tls: {},
  });
export type SinkSettings = z.infer<typeof sinkSettings>;
