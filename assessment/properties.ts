// Assessment properties in Azure Migrate's vocabulary (docs/azure-migrate.md §5): what the
// config's assessment section holds, overridable on the command line.
import { UserError } from '../common/errors.js';
import type { CollectorConfig } from '../config/load.js';
import { HISTORY_MS, WINDOW_MS, type History } from '../rollup/window.js';

export type SizingCriterion = 'performance-based' | 'as-on-premises';
export type Percentile = 50 | 90 | 95 | 99;
export type { History };
export type StorageType = 'automatic' | 'premium' | 'standard-ssd' | 'standard-hdd';

export interface AssessmentProperties {
  sizingCriterion: SizingCriterion;
  percentile: Percentile;
  history: History;
  comfortFactor: number;
  targetRegion: string;
  storageType: StorageType;
}

export const DEFAULT_PROPERTIES: AssessmentProperties = {
  sizingCriterion: 'performance-based',
  percentile: 95,
  history: '1d',
  comfortFactor: 1.3,
  targetRegion: 'westus2',
  storageType: 'automatic',
};

/** How the Azure Migrate portal names each value, for people reading exports. */
export const DISPLAY = {
  sizingCriterion: { 'performance-based': 'Performance-based', 'as-on-premises': 'As on-premises' } as Record<SizingCriterion, string>,
  history: { '1d': '1 day', '7d': '1 week', '30d': '1 month' } as Record<History, string>,
  storageType: {
    automatic: 'Automatic',
    premium: 'Premium managed disks',
    'standard-ssd': 'Standard SSD managed disks',
    'standard-hdd': 'Standard HDD managed disks',
  } as Record<StorageType, string>,
  percentile: (p: Percentile) => `${p}th`,
};

/** Ten-minute points a full history window holds. */
export function expectedPointsFor(history: History): number {
  return HISTORY_MS[history] / WINDOW_MS;
}

export interface PropertyOverrides {
  sizingCriterion?: string;
  percentile?: string | number;
  history?: string;
  comfort?: string | number;
  region?: string;
  storageType?: string;
}

const HISTORY_WORDS: Record<string, History> = {
  '1d': '1d',
  '1day': '1d',
  day: '1d',
  '24h': '1d',
  '7d': '7d',
  '1w': '7d',
  '1week': '7d',
  week: '7d',
  '30d': '30d',
  '1m': '30d',
  '1month': '30d',
  month: '30d',
};

/** The config's assessment section with command-line overrides applied and checked. */
export function resolveProperties(config: Pick<CollectorConfig, 'assessment'> | null, o: PropertyOverrides = {}): AssessmentProperties {
  const base: AssessmentProperties = config ? { ...DEFAULT_PROPERTIES, ...pickProps(config.assessment) } : { ...DEFAULT_PROPERTIES };
  if (o.sizingCriterion !== undefined) {
    const v = o.sizingCriterion.toLowerCase().replace(/[\s_]+/g, '-');
    const c = v.startsWith('perf')
      ? 'performance-based'
      : v.startsWith('as-') || v.startsWith('as-is') || v === 'asis'
        ? 'as-on-premises'
        : null;
    if (!c) throw bad('--sizing', o.sizingCriterion, 'performance-based or as-on-premises');
    base.sizingCriterion = c;
  }
  if (o.percentile !== undefined) {
    const p = Number(String(o.percentile).replace(/(th|%)$/i, ''));
    if (![50, 90, 95, 99].includes(p)) throw bad('--percentile', o.percentile, '50, 90, 95 or 99');
    base.percentile = p as Percentile;
  }
  if (o.history !== undefined) {
    const h = HISTORY_WORDS[o.history.toLowerCase().replace(/\s+/g, '')];
    if (!h) throw bad('--history', o.history, '1d (1 day), 7d (1 week) or 30d (1 month)');
    base.history = h;
  }
  if (o.comfort !== undefined) {
    const c = Number(String(o.comfort).replace(/x$/i, ''));
    if (!Number.isFinite(c) || c < 1 || c > 5) throw bad('--comfort', o.comfort, 'a factor from 1 to 5, e.g. 1.3');
    base.comfortFactor = c;
  }
  if (o.region !== undefined) {
    if (!o.region.trim()) throw bad('--region', o.region, 'an Azure region such as westus2');
    base.targetRegion = o.region;
  }
  if (o.storageType !== undefined) {
    const s = o.storageType.toLowerCase().replace(/[\s_]+/g, '-');
    if (!['automatic', 'premium', 'standard-ssd', 'standard-hdd'].includes(s))
      throw bad('--storage-type', o.storageType, 'automatic, premium, standard-ssd or standard-hdd');
    base.storageType = s as StorageType;
  }
  return base;
}

function pickProps(a: CollectorConfig['assessment']): AssessmentProperties {
  return {
    sizingCriterion: a.sizingCriterion,
    percentile: a.percentile,
    history: a.history,
    comfortFactor: a.comfortFactor,
    targetRegion: a.targetRegion,
    storageType: a.storageType,
  };
}

function bad(option: string, value: unknown, expected: string): UserError {
  return new UserError(`${option}: ${JSON.stringify(value)} is not a valid value.`, { fix: `Use ${expected}.`, code: 'BAD_OPTION' });
}
