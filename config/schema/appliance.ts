import { z } from 'zod';
import { secretRef } from './common.js';

export const logSettings = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .default({ level: 'info' });

/** The management web app (appliance/web): HTTPS on one port, with health and metrics endpoints. */
export const webSettings = z
  .object({
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    /** Azure Migrate's appliance configuration manager uses 44368; we keep it. 0: any free port (tests). */
    port: z.number().int().min(0).max(65535).default(44368),
    host: z.string().min(1).default('0.0.0.0'),
    /** Key file, generated certificate, admin password hash; relative paths are from the config file's folder. */
    dataDir: z.string().min(1).default('.collector'),
    /** PEM certificate and key to serve; a self-signed pair is generated in dataDir when absent. */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** Admin password from a reference; when absent it is set in the browser on first start. */
    adminPassword: secretRef.optional(),
    /** Bearer token /metrics requires when set. */
    metricsToken: secretRef.optional(),
    sessionHours: z
      .number()
      .min(0.25)
      .max(24 * 30)
      .default(12),
  })
  .strict()
  .refine((w) => (w.certFile === undefined) === (w.keyFile === undefined), {
    error: 'certFile and keyFile go together. Fix: set both, or neither to use a generated self-signed certificate',
    path: ['certFile'],
  })
  .default({ enabled: true, port: 44368, host: '0.0.0.0', dataDir: '.collector', sessionHours: 12 });
export type WebSettings = z.infer<typeof webSettings>;

/**
 * Wall-clock bounds on the service's work, whatever a peer does (per-request timeouts are each source's timeoutSec):
 * a poll or discovery past its deadline fails and the source's connections are reset; on SIGTERM the service
 * exits within stopTimeoutSec (docs/appliance.md, "Stopping").
 */
export const serviceSettings = z
  .object({
    pollDeadlineSec: z.number().int().min(10).max(86_400).default(900),
    discoveryDeadlineSec: z.number().int().min(10).max(86_400).default(1800),
    stopTimeoutSec: z.number().int().min(1).max(600).default(20),
  })
  .strict()
  .default({ pollDeadlineSec: 900, discoveryDeadlineSec: 1800, stopTimeoutSec: 20 });
export type ServiceSettings = z.infer<typeof serviceSettings>;
