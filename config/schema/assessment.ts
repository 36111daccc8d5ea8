import { z } from 'zod';

export const assessmentSettings = z
  .object({
    sizingCriterion: z.enum(['performance-based', 'as-on-premises']).default('performance-based'),
    percentile: z.union([z.literal(50), z.literal(90), z.literal(95), z.literal(99)], { error: 'expected 50, 90, 95 or 99' }).default(95),
    history: z.enum(['1d', '7d', '30d'], { error: 'expected 1d (1 day), 7d (1 week) or 30d (1 month)' }).default('1d'),
    comfortFactor: z.number().min(1).max(5).default(1.3),
    targetRegion: z.string().min(1).default('westus2'),
    storageType: z.enum(['automatic', 'premium', 'standard-ssd', 'standard-hdd']).default('automatic'),
    /** Newer catalogue files than the built-in ones (assessment/catalog/*.json); see docs/assessment.md. */
    catalog: z
      .object({
        vmSizes: z.string().min(1, { error: 'expected the path of a vm-sizes JSON file' }).optional(),
        diskTiers: z.string().min(1, { error: 'expected the path of a disk-tiers JSON file' }).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({
    sizingCriterion: 'performance-based',
    percentile: 95,
    history: '1d',
    comfortFactor: 1.3,
    targetRegion: 'westus2',
    storageType: 'automatic',
    catalog: {},
  });
