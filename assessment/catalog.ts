// The Azure catalogues sizing picks from: VM sizes and managed-disk tiers, each a data file with
// its source and date, replaceable by a newer file (config assessment.catalog.* or --vm-sizes /
// --disk-tiers) without a code change.
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { readJsonFile } from '../common/json-file.js';
import { BUILT_IN_DISK_TIERS, BUILT_IN_VM_SIZES } from './paths.js';

const region = z.string().min(1);

const vmSize = z.object({
  name: z.string().min(1),
  series: z.string().min(1),
  vCPUs: z.number().int().positive(),
  memoryGiB: z.number().positive(),
  maxDataDisks: z.number().int().min(0),
  maxNics: z.number().int().positive(),
  /** Expected network bandwidth, megabits per second. */
  networkMbps: z.number().positive(),
  maxUncachedDiskIops: z.number().positive(),
  maxUncachedDiskMBps: z.number().positive(),
  premiumStorage: z.boolean(),
  hyperVGenerations: z.array(z.enum(['V1', 'V2'])).min(1),
  prices: z.record(region, z.object({ linuxPerHour: z.number().min(0), windowsPerHour: z.number().min(0) })),
});
export type VmSize = z.infer<typeof vmSize>;

export const DISK_TYPES = ['premium', 'standard-ssd', 'standard-hdd'] as const;
export type DiskType = (typeof DISK_TYPES)[number];

const diskTier = z.object({
  name: z.string().min(1),
  type: z.enum(DISK_TYPES),
  sizeGiB: z.number().positive(),
  iops: z.number().positive(),
  /** Throughput, MB/s (2^20 bytes per second, the unit Azure's disk limits use). */
  mbps: z.number().positive(),
  prices: z.record(region, z.object({ perMonth: z.number().min(0) })),
});
export type DiskTier = z.infer<typeof diskTier>;

const header = {
  formatVersion: z.literal(1),
  source: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected the price sheet date as YYYY-MM-DD' }),
  currency: z.string().min(3),
  regions: z.array(region).min(1),
};

const vmSizesFile = z.object({
  kind: z.literal('vm-sizes'),
  ...header,
  hoursPerMonth: z.number().positive(),
  sizes: z.array(vmSize).min(1),
});
const diskTiersFile = z.object({ kind: z.literal('disk-tiers'), ...header, tiers: z.array(diskTier).min(1) });
export type VmSizesFile = z.infer<typeof vmSizesFile>;
export type DiskTiersFile = z.infer<typeof diskTiersFile>;

export interface CatalogInfo {
  file: string;
  source: string;
  date: string;
  currency: string;
  regions: string[];
}

/** Both catalogues, checked and narrowed to what one region can price. */
export interface Catalog {
  region: string;
  currency: string;
  hoursPerMonth: number;
  vmSizes: VmSize[];
  diskTiers: DiskTier[];
  info: { vmSizes: CatalogInfo; diskTiers: CatalogInfo };
}

function readJson(file: string, what: string, keyPath: string): unknown {
  return readJsonFile(file, {
    label: keyPath,
    what: `the ${what} catalogue`,
    unreadableFix: `Point ${keyPath} at a readable JSON file in the format of assessment/catalog/${what}.json, or remove it to use the built-in catalogue.`,
    invalidFix: 'Fix the JSON syntax, or download the catalogue again.',
    codes: { unreadable: 'CATALOG_UNREADABLE', invalid: 'CATALOG_INVALID' },
  });
}

function parseFile<T>(schema: z.ZodType<T>, raw: unknown, file: string, what: string, keyPath: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`)
      .join('; ');
    throw new UserError(`${keyPath}: ${file} is not a ${what} catalogue: ${first}.`, {
      fix: `Compare it with the built-in assessment/catalog/${what}.json (docs/assessment.md, "Catalogues").`,
      code: 'CATALOG_INVALID',
    });
  }
  return result.data;
}

export function loadVmSizes(file = BUILT_IN_VM_SIZES(), keyPath = 'assessment.catalog.vmSizes'): VmSizesFile & { file: string } {
  return { ...parseFile(vmSizesFile, readJson(file, 'vm-sizes', keyPath), file, 'vm-sizes', keyPath), file };
}

export function loadDiskTiers(file = BUILT_IN_DISK_TIERS(), keyPath = 'assessment.catalog.diskTiers'): DiskTiersFile & { file: string } {
  return { ...parseFile(diskTiersFile, readJson(file, 'disk-tiers', keyPath), file, 'disk-tiers', keyPath), file };
}

/** Builds the catalogue for the assessment's target region; a region without prices is a user error. */
export function catalogForRegion(
  vm: VmSizesFile & { file: string },
  disks: DiskTiersFile & { file: string },
  targetRegion: string,
): Catalog {
  const regionKey = normalizeRegion(targetRegion);
  for (const [what, file] of [
    ['vm-sizes', vm],
    ['disk-tiers', disks],
  ] as const) {
    if (!file.regions.includes(regionKey)) {
      throw new UserError(
        `assessment.targetRegion: the ${what} catalogue ${file.file} (dated ${file.date}) has no prices for "${targetRegion}".`,
        {
          fix: `Choose one of its regions (${file.regions.join(', ')}), or load a catalogue that prices ${regionKey} (docs/assessment.md, "Catalogues").`,
          code: 'CATALOG_REGION',
        },
      );
    }
  }
  if (vm.currency !== disks.currency) {
    throw new UserError(`the VM-size catalogue is priced in ${vm.currency} but the disk catalogue in ${disks.currency}.`, {
      fix: 'Use catalogues from the same price sheet (same currency).',
      code: 'CATALOG_CURRENCY',
    });
  }
  const info = (f: { file: string; source: string; date: string; currency: string; regions: string[] }): CatalogInfo => ({
    file: f.file,
    source: f.source,
    date: f.date,
    currency: f.currency,
    regions: f.regions,
  });
  return {
    region: regionKey,
    currency: vm.currency,
    hoursPerMonth: vm.hoursPerMonth,
    vmSizes: vm.sizes.filter((s) => s.prices[regionKey] !== undefined),
    diskTiers: disks.tiers.filter((t) => t.prices[regionKey] !== undefined),
    info: { vmSizes: info(vm), diskTiers: info(disks) },
  };
}

/** "West US 2", "westus2" and "west-us-2" name the same region (ARM's armRegionName form). */
export function normalizeRegion(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function loadCatalog(targetRegion: string, files: { vmSizes?: string; diskTiers?: string } = {}): Catalog {
  return catalogForRegion(loadVmSizes(files.vmSizes), loadDiskTiers(files.diskTiers), targetRegion);
}
