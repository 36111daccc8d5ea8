// Refreshes the catalogues' price sheets from the Azure Retail Prices API (public, no sign-in):
// capabilities stay as they are (they change rarely and come from the VM-size and disk docs), prices
// for one region are fetched, and new catalogue files are written with today's date and the source.
//   node dist/assessment/catalog-refresh.js --region westeurope --out-dir /etc/collector/catalog
// then point assessment.catalog.vmSizes / diskTiers at the new files. HTTPS_PROXY / NO_PROXY apply.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileAtomically } from '../common/atomic-file.js';
import { request, type Dispatcher } from 'undici';
import { proxyAwareDispatcher } from '../common/proxy-dispatcher.js';
import { UserError } from '../common/errors.js';
import { loadDiskTiers, loadVmSizes, normalizeRegion, type DiskTiersFile, type VmSizesFile } from './catalog.js';

export const RETAIL_PRICES_API = 'https://prices.azure.com/api/retail/prices';

export interface RetailPriceItem {
  currencyCode: string;
  retailPrice: number;
  unitPrice?: number;
  armRegionName: string;
  armSkuName?: string;
  productName: string;
  skuName: string;
  meterName: string;
  serviceName: string;
  unitOfMeasure: string;
  type: string;
  effectiveStartDate?: string;
}

/** Every item the API returns for a filter, following NextPageLink (bounded, so a loop cannot run away). */
export async function fetchRetailPrices(
  filter: string,
  opts: { baseUrl?: string; dispatcher?: Dispatcher; currency?: string; maxPages?: number } = {},
): Promise<RetailPriceItem[]> {
  const url = new URL(opts.baseUrl ?? RETAIL_PRICES_API);
  url.searchParams.set('api-version', '2023-01-01-preview');
  url.searchParams.set('$filter', filter);
  if (opts.currency && opts.currency !== 'USD') url.searchParams.set('currencyCode', opts.currency);
  const items: RetailPriceItem[] = [];
  let next: string | null = url.toString();
  for (let page = 0; next && page < (opts.maxPages ?? 200); page++) {
    const res = await request(next, { dispatcher: opts.dispatcher, headersTimeout: 60_000, bodyTimeout: 60_000 });
    const text = await res.body.text();
    if (res.statusCode !== 200)
      throw new UserError(`the Azure Retail Prices API answered HTTP ${res.statusCode} for ${filter}: ${text.slice(0, 200)}`, {
        fix: 'Check the region name and the network path (HTTPS_PROXY), then try again.',
        code: 'PRICES_HTTP',
      });
    const body = JSON.parse(text) as { Items: RetailPriceItem[]; NextPageLink: string | null };
    items.push(...body.Items);
    next = body.NextPageLink;
  }
  return items;
}

const isPayg = (i: RetailPriceItem) => i.type === 'Consumption' && !/spot|low priority/i.test(`${i.skuName} ${i.meterName}`);

/** VM prices per size: Linux from the plain meter, Windows from the "Windows" product of the same size. */
export function vmPrices(items: RetailPriceItem[], region: string): Map<string, { linuxPerHour: number; windowsPerHour: number }> {
  const linux = new Map<string, number>();
  const windows = new Map<string, number>();
  for (const i of items) {
    if (!isPayg(i) || i.unitOfMeasure !== '1 Hour' || normalizeRegion(i.armRegionName) !== region || !i.armSkuName) continue;
    (/windows/i.test(i.productName) ? windows : linux).set(i.armSkuName, i.retailPrice);
  }
  const out = new Map<string, { linuxPerHour: number; windowsPerHour: number }>();
  for (const [sku, l] of linux) out.set(sku, { linuxPerHour: l, windowsPerHour: windows.get(sku) ?? l });
  return out;
}

/** Managed-disk prices per tier name ("P10", "E10", "S10"), LRS, per month. */
export function diskPrices(items: RetailPriceItem[], region: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of items) {
    if (
      !isPayg(i) ||
      normalizeRegion(i.armRegionName) !== region ||
      !/managed disks/i.test(i.productName) ||
      !/month/i.test(i.unitOfMeasure)
    )
      continue;
    const m = /^([PES]\d+) LRS Disk$/.exec(i.meterName);
    const tier = m?.[1];
    if (tier) out.set(tier, i.retailPrice);
  }
  return out;
}

export interface RefreshResult {
  vmSizes: VmSizesFile;
  diskTiers: DiskTiersFile;
  missing: string[];
}

export async function refreshCatalogs(
  regionName: string,
  opts: { vmSizes?: string; diskTiers?: string; baseUrl?: string; dispatcher?: Dispatcher; today?: string } = {},
): Promise<RefreshResult> {
  const region = normalizeRegion(regionName);
  const vm = loadVmSizes(opts.vmSizes);
  const disks = loadDiskTiers(opts.diskTiers);
  const fetchOpts = { baseUrl: opts.baseUrl, dispatcher: opts.dispatcher ?? proxyAwareDispatcher(), currency: vm.currency };
  const vmItems = await fetchRetailPrices(
    `serviceName eq 'Virtual Machines' and armRegionName eq '${region}' and priceType eq 'Consumption'`,
    fetchOpts,
  );
  const diskItems = await fetchRetailPrices(
    `serviceName eq 'Storage' and armRegionName eq '${region}' and priceType eq 'Consumption' and contains(productName, 'Managed Disks')`,
    fetchOpts,
  );
  const vp = vmPrices(vmItems, region);
  const dp = diskPrices(diskItems, region);
  if (vp.size === 0)
    throw new UserError(`the Azure Retail Prices API has no VM prices for region "${regionName}".`, {
      fix: 'Use the ARM region name, e.g. westeurope, eastus2, uksouth.',
      code: 'PRICES_REGION',
    });
  const missing: string[] = [];
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const source = (what: string) =>
    `${what} as in the previous catalogue; prices from the Azure Retail Prices API (${opts.baseUrl ?? RETAIL_PRICES_API}, armRegionName ${region}, pay-as-you-go, Consumption), fetched ${today}.`;
  const { file: _v, ...vmRest } = vm;
  const { file: _d, ...diskRest } = disks;
  const vmOut: VmSizesFile = {
    ...vmRest,
    source: source('Capabilities'),
    date: today,
    regions: [...new Set([...vm.regions, region])].sort(),
    sizes: vm.sizes.map((s) => {
      const p = vp.get(s.name);
      if (!p) missing.push(s.name);
      const { [region]: _old, ...others } = s.prices;
      return { ...s, prices: p ? { ...others, [region]: p } : others };
    }),
  };
  const diskOut: DiskTiersFile = {
    ...diskRest,
    source: source('Sizes, IOPS and throughput'),
    date: today,
    regions: [...new Set([...disks.regions, region])].sort(),
    tiers: disks.tiers.map((t) => {
      const p = dp.get(t.name);
      if (p === undefined) missing.push(t.name);
      const { [region]: _old, ...others } = t.prices;
      return { ...t, prices: p === undefined ? others : { ...others, [region]: { perMonth: p } } };
    }),
  };
  return { vmSizes: vmOut, diskTiers: diskOut, missing };
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const region = arg('--region');
  const outDir = arg('--out-dir');
  if (!region || !outDir) {
    process.stderr.write(
      'usage: node dist/assessment/catalog-refresh.js --region <armRegionName> --out-dir <dir> [--vm-sizes <file>] [--disk-tiers <file>] [--api <retail prices URL>]\n',
    );
    process.exit(2);
  }
  const r = await refreshCatalogs(region, { vmSizes: arg('--vm-sizes'), diskTiers: arg('--disk-tiers'), baseUrl: arg('--api') });
  writeFileAtomically(join(outDir, 'vm-sizes.json'), `${JSON.stringify(r.vmSizes, null, 1)}\n`, { mode: 0o644 });
  writeFileAtomically(join(outDir, 'disk-tiers.json'), `${JSON.stringify(r.diskTiers, null, 1)}\n`, { mode: 0o644 });
  if (r.missing.length) process.stderr.write(`no ${region} price for: ${r.missing.join(', ')} (left out for that region)\n`);
  process.stderr.write(`wrote ${join(outDir, 'vm-sizes.json')} and ${join(outDir, 'disk-tiers.json')} (prices of ${r.vmSizes.date})\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(
      `error: ${err instanceof Error ? err.message : String(err)}\n${err instanceof UserError && err.fix ? `fix: ${err.fix}\n` : ''}`,
    );
    process.exit(err instanceof UserError ? 2 : 1);
  });
}
