// Right-sizing (docs/azure-migrate.md §8), pure: storage first (each disk to the cheapest
// managed disk that meets its effective IOPS and throughput), then network (sum of NIC outbound
// throughput), then compute (the cheapest VM size that fits cores, memory, disks, NICs and throughput).
import type { Catalog, DiskTier, DiskType, VmSize } from './catalog.js';
import type { SizingCriterion, StorageType } from './properties.js';
import { bytesPerSecToMbps, round } from './units.js';

export interface DiskDemand {
  id: string;
  label: string | null;
  sizeGiB: number;
  /** Effective (percentile x comfort factor) read+write IOPS and MB/s; null when the disk has no performance data. */
  iops: number | null;
  mbps: number | null;
}

export interface SizingInput {
  criterion: SizingCriterion;
  storageType: StorageType;
  /** Effective cores and memory: utilised x comfort (performance-based), allocated x comfort (as on-premises). */
  cores: number;
  memoryGB: number;
  disks: DiskDemand[];
  nics: number;
  /** Effective outbound network throughput over all NICs, bytes/s; null without network data. */
  networkOutBytesPerSec: number | null;
  /** UEFI machines need a generation 2 capable size. */
  needsGeneration2: boolean;
}

export interface DiskSizing {
  id: string;
  label: string | null;
  sizeGiB: number;
  basis: 'performance' | 'size';
  effectiveIops: number | null;
  effectiveMBps: number | null;
  tier: string | null;
  type: DiskType | null;
  tierSizeGiB: number | null;
  tierIops: number | null;
  tierMBps: number | null;
  monthlyCost: number | null;
  problem?: string;
}

export interface Sizing {
  status: 'sized' | 'unsuitable' | 'not-sized';
  reasons: string[];
  vmSize: string | null;
  vmSeries: string | null;
  vCPUs: number | null;
  memoryGiB: number | null;
  effective: { cores: number; memoryGB: number; diskIops: number | null; diskMBps: number | null; networkOutMbps: number | null };
  disks: DiskSizing[];
  network: { nics: number; effectiveOutMbps: number | null; vmBandwidthMbps: number | null };
  monthlyCost: { compute: number | null; storage: number | null; total: number | null; currency: string; hoursPerMonth: number };
}

/** As-on-premises uses the chosen type; Automatic there means premium, Azure Migrate's as-is default. */
function typesFor(input: SizingInput, hasData: boolean): DiskType[] {
  if (input.storageType !== 'automatic') return [input.storageType];
  if (input.criterion === 'as-on-premises') return ['premium'];
  return hasData ? ['premium', 'standard-ssd', 'standard-hdd'] : ['standard-ssd'];
}

function cheapest<T>(items: T[], price: (t: T) => number, tiebreak: (a: T, b: T) => number): T | null {
  let best: T | null = null;
  for (const it of items) if (best === null || price(it) < price(best) || (price(it) === price(best) && tiebreak(it, best) < 0)) best = it;
  return best;
}

/** The catalogue is narrowed to sizes and tiers priced in its region (catalog.ts), so a miss is a bug. */
function regionPrice<T>(prices: Record<string, T>, region: string, what: string): T {
  const p = prices[region];
  if (p === undefined) throw new Error(`${what} has no price in ${region}`);
  return p;
}

export function sizeDisk(d: DiskDemand, input: SizingInput, catalog: Catalog): DiskSizing {
  const demand = input.criterion === 'performance-based' && d.iops !== null && d.mbps !== null ? { iops: d.iops, mbps: d.mbps } : null;
  const byPerf = demand !== null;
  const types = typesFor(input, byPerf);
  const price = (t: DiskTier) => regionPrice(t.prices, catalog.region, t.name).perMonth;
  const candidates = catalog.diskTiers.filter(
    (t) => types.includes(t.type) && t.sizeGiB >= d.sizeGiB && (!demand || (t.iops >= demand.iops && t.mbps >= demand.mbps)),
  );
  const pick = cheapest(candidates, price, (a, b) => a.sizeGiB - b.sizeGiB || a.name.localeCompare(b.name));
  const base = {
    id: d.id,
    label: d.label,
    sizeGiB: round(d.sizeGiB),
    basis: byPerf ? ('performance' as const) : ('size' as const),
    effectiveIops: d.iops === null ? null : round(d.iops),
    effectiveMBps: d.mbps === null ? null : round(d.mbps),
  };
  if (!pick) {
    const need = demand ? `${round(d.sizeGiB)} GiB, ${round(demand.iops)} IOPS and ${round(demand.mbps)} MB/s` : `${round(d.sizeGiB)} GiB`;
    return {
      ...base,
      tier: null,
      type: null,
      tierSizeGiB: null,
      tierIops: null,
      tierMBps: null,
      monthlyCost: null,
      problem: `no ${types.join(' / ')} managed disk in the catalogue offers ${need}`,
    };
  }
  return {
    ...base,
    tier: pick.name,
    type: pick.type,
    tierSizeGiB: pick.sizeGiB,
    tierIops: pick.iops,
    tierMBps: pick.mbps,
    monthlyCost: round(price(pick), 2),
  };
}

/** Why no size fits: the first constraint that leaves nothing, in the documented order. */
function explainNoSize(sizes: VmSize[], checks: [string, (s: VmSize) => boolean][]): string {
  let left = sizes;
  for (const [what, ok] of checks) {
    const next = left.filter(ok);
    if (next.length === 0) return `no VM size in the catalogue ${what}`;
    left = next;
  }
  return 'no VM size fits';
}

export function sizeMachine(input: SizingInput, catalog: Catalog): Sizing {
  const disks = input.disks.map((d) => sizeDisk(d, input, catalog));
  const perf = input.criterion === 'performance-based';
  const withData = disks.filter((d) => d.basis === 'performance');
  // A disk sized by performance has both rates (sizeDisk), so the ?? 0 never applies.
  const diskIops = perf && withData.length > 0 ? withData.reduce((s, d) => s + (d.effectiveIops ?? 0), 0) : null;
  const diskMBps = perf && withData.length > 0 ? withData.reduce((s, d) => s + (d.effectiveMBps ?? 0), 0) : null;
  const outMbps = perf && input.networkOutBytesPerSec !== null ? bytesPerSecToMbps(input.networkOutBytesPerSec) : null;
  const needsPremium = disks.some((d) => d.type === 'premium');
  const dataDisks = Math.max(0, input.disks.length - 1);
  const reasons: string[] = disks.filter((d) => d.problem).map((d) => `disk ${d.label ?? d.id}: ${d.problem}`);

  const checks: [string, (s: VmSize) => boolean][] = [
    [`has ${round(input.cores, 2)} vCPUs`, (s) => s.vCPUs >= input.cores],
    [`has ${round(input.memoryGB, 2)} GB of memory`, (s) => s.memoryGiB >= input.memoryGB],
    [`takes ${dataDisks} data disks`, (s) => s.maxDataDisks >= dataDisks],
    [`takes ${input.nics} network adapters`, (s) => s.maxNics >= input.nics],
    [`offers ${round(outMbps ?? 0, 1)} Mbit/s of network bandwidth`, (s) => outMbps === null || s.networkMbps >= outMbps],
    [`sustains ${round(diskIops ?? 0)} disk IOPS`, (s) => diskIops === null || s.maxUncachedDiskIops >= diskIops],
    [`sustains ${round(diskMBps ?? 0)} MB/s of disk throughput`, (s) => diskMBps === null || s.maxUncachedDiskMBps >= diskMBps],
    ['supports premium disks', (s) => !needsPremium || s.premiumStorage],
    ['boots generation 2 (UEFI)', (s) => !input.needsGeneration2 || s.hyperVGenerations.includes('V2')],
  ];
  const fits = catalog.vmSizes.filter((s) => checks.every(([, ok]) => ok(s)));
  const hourly = (s: VmSize) => regionPrice(s.prices, catalog.region, s.name).linuxPerHour;
  const vm =
    reasons.length > 0
      ? null
      : cheapest(fits, hourly, (a, b) => a.vCPUs - b.vCPUs || a.memoryGiB - b.memoryGiB || a.name.localeCompare(b.name));
  if (reasons.length === 0 && !vm) reasons.push(explainNoSize(catalog.vmSizes, checks));

  const costs = disks.map((d) => d.monthlyCost);
  const storage = costs.every((c): c is number => c !== null)
    ? round(
        costs.reduce((s, c) => s + c, 0),
        2,
      )
    : null;
  const compute = vm ? round(hourly(vm) * catalog.hoursPerMonth, 2) : null;
  return {
    status: vm ? 'sized' : 'unsuitable',
    reasons,
    vmSize: vm?.name ?? null,
    vmSeries: vm?.series ?? null,
    vCPUs: vm?.vCPUs ?? null,
    memoryGiB: vm?.memoryGiB ?? null,
    effective: {
      cores: round(input.cores),
      memoryGB: round(input.memoryGB),
      diskIops: diskIops === null ? null : round(diskIops),
      diskMBps: diskMBps === null ? null : round(diskMBps),
      networkOutMbps: outMbps === null ? null : round(outMbps),
    },
    disks,
    network: { nics: input.nics, effectiveOutMbps: outMbps === null ? null : round(outMbps), vmBandwidthMbps: vm?.networkMbps ?? null },
    monthlyCost: {
      compute,
      storage,
      total: compute !== null && storage !== null ? round(compute + storage, 2) : null,
      currency: catalog.currency,
      hoursPerMonth: catalog.hoursPerMonth,
    },
  };
}

/** The record for a machine that is not sized (Not ready machines get no sizing or cost). */
export function notSized(reason: string, input: Pick<SizingInput, 'nics' | 'cores' | 'memoryGB'>, catalog: Catalog): Sizing {
  return {
    status: 'not-sized',
    reasons: [reason],
    vmSize: null,
    vmSeries: null,
    vCPUs: null,
    memoryGiB: null,
    effective: { cores: round(input.cores), memoryGB: round(input.memoryGB), diskIops: null, diskMBps: null, networkOutMbps: null },
    disks: [],
    network: { nics: input.nics, effectiveOutMbps: null, vmBandwidthMbps: null },
    monthlyCost: { compute: null, storage: null, total: null, currency: catalog.currency, hoursPerMonth: catalog.hoursPerMonth },
  };
}
