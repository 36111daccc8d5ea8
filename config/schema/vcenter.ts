import { z } from 'zod';
import { peerLimits, secretRef, sourceName, tlsSettings } from './common.js';
import { dependencySettings, softwareSettings } from './guest-settings.js';

export const vcenterSource = z
  .object({
    name: sourceName,
    kind: z.literal('vcenter'),
    url: z.string().regex(/^https:\/\/[^/\s:]+(:\d{1,5})?(\/.*)?$/i, {
      error: 'expected the vCenter SDK URL, https://host[:port]/sdk. Fix: e.g. https://vcenter.example.local/sdk (port 443 unless given)',
    }),
    username: z.string().min(1, { error: 'expected the vCenter user, e.g. readonly@vsphere.local' }),
    password: secretRef,
    tls: tlsSettings,
    enabled: z.boolean().default(true),
    /** Per-source overrides of the global guest settings (software inventory, dependency analysis). */
    software: softwareSettings.optional(),
    dependencies: dependencySettings.optional(),
    /** Seconds between perf polls; every 20-second sample is captured whatever the cadence (up to the 1-hour realtime window). */
    pollIntervalSec: z.number().int().min(20).max(1800).default(20),
    /** Seconds between inventory refreshes. */
    inventoryIntervalSec: z.number().int().min(60).max(86_400).default(900),
    /** Per request: the idle timeout and the wall-clock deadline of one whole request (send to last byte). */
    timeoutSec: z.number().int().min(5).max(600).default(60),
    /** Caps on each answer (maxResponseMB, maxElements); an answer past one fails with the cap's name. */
    limits: peerLimits,
    perf: z
      .object({
        /** VMs per QueryPerf call (VMware guidance: 10-50 entities). */
        vmsPerQuery: z.number().int().min(1).max(250).default(50),
        /** QueryPerf calls in flight at once per vCenter. */
        concurrency: z.number().int().min(1).max(16).default(4),
        /** Extra 20-second samples re-read before the high-water mark, because vCenter can post late. */
        lookbackSamples: z.number().int().min(0).max(30).default(3),
        /** File keeping the per-series high-water marks, so a restart neither repeats nor skips samples. */
        stateFile: z.string().min(1).optional(),
      })
      .strict()
      .default({ vmsPerQuery: 50, concurrency: 4, lookbackSamples: 3 }),
    inventory: z
      .object({
        /** RetrievePropertiesEx maxObjects; vCenter pages at this size. */
        pageSize: z.number().int().min(10).max(5000).default(500),
      })
      .strict()
      .default({ pageSize: 500 }),
  })
  .strict();
export type VcenterSourceConfig = z.infer<typeof vcenterSource>;
