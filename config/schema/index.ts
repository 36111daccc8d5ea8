import { z } from 'zod';
import { vcenterSource } from './vcenter.js';
import { hypervSource } from './hyperv.js';
import { linuxSource, windowsSource } from './physical.js';
import { redisSettings, rollupSettings } from './pipeline.js';
import { assessmentSettings } from './assessment.js';
import { logSettings, serviceSettings, webSettings } from './appliance.js';
import { sinkSettings } from './sink.js';
import { guestCredential } from './guest.js';
import { dependencySettings, softwareSettings } from './guest-settings.js';
import { DEFAULT_IGNORE_PORTS, groupSettings } from './groups.js';

export const sourceConfig = z.discriminatedUnion('kind', [vcenterSource, hypervSource, linuxSource, windowsSource], {
  error: 'expected kind: vcenter, hyperv, linux or windows',
});

export const configSchema = z
  .object({
    redis: redisSettings,
    sources: z
      .array(sourceConfig)
      .default([])
      .refine((list) => new Set(list.map((s) => s.name)).size === list.length, {
        error: 'source names must be unique. Fix: give each source its own name',
      }),
    rollup: rollupSettings,
    assessment: assessmentSettings,
    log: logSettings,
    sink: sinkSettings,
    web: webSettings,
    service: serviceSettings,
    guestCredentials: z.array(guestCredential).default([]),
    dependencies: dependencySettings.default({ enabled: false, pollIntervalSec: 300 }),
    software: softwareSettings.default({ enabled: false, intervalHours: 24 }),
    groups: groupSettings.default({ ignorePorts: [...DEFAULT_IGNORE_PORTS], minPolls: 2 }),
  })
  .strict();

export type CollectorConfig = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceConfig>;
export type { VcenterSourceConfig } from './vcenter.js';
export type { HypervSourceConfig } from './hyperv.js';
export type { LinuxSourceConfig, WindowsSourceConfig } from './physical.js';
