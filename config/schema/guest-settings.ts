import { z } from 'zod';

// How often guests are read (issue 12), globally and per source: dependencies every 5 minutes, software daily.
export const dependencySettings = z
  .object({ enabled: z.boolean().default(false), pollIntervalSec: z.number().int().min(60).max(3600).default(300) })
  .strict();
export const softwareSettings = z
  .object({
    enabled: z.boolean().default(false),
    intervalHours: z
      .number()
      .min(1)
      .max(24 * 7)
      .default(24),
  })
  .strict();
export type DependencySettings = z.infer<typeof dependencySettings>;
export type SoftwareSettings = z.infer<typeof softwareSettings>;
