import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, loadDiskTiers, loadVmSizes } from '../../assessment/catalog.js';
import { assessMachine } from '../../assessment/build.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import type { RetailPriceItem } from '../../assessment/catalog-refresh.js';
import { ROOT } from '../helpers/cli.js';
import { machine } from './helpers/machines.js';

// A local stand-in for prices.azure.com/api/retail/prices: the same item fields, OData $filter on
// serviceName and armRegionName, and NextPageLink paging.
const items: RetailPriceItem[] = [];
const base = { currencyCode: 'USD', type: 'Consumption', effectiveStartDate: '2026-01-01T00:00:00Z' };
for (const s of loadVmSizes().sizes) {
  const linux = s.name === 'Standard_E4s_v5' ? 0.011 : s.vCPUs * 0.07;
  items.push({
    ...base,
    retailPrice: linux,
    armRegionName: 'westeurope',
    armSkuName: s.name,
    productName: `Virtual Machines ${s.series} Series`,
    skuName: s.name.replace('Standard_', '').replace(/_/g, ' '),
    meterName: s.name,
    serviceName: 'Virtual Machines',
    unitOfMeasure: '1 Hour',
  });
  items.push({
    ...base,
    retailPrice: linux + 0.05,
    armRegionName: 'westeurope',
    armSkuName: s.name,
    productName: `Virtual Machines ${s.series} Series Windows`,
    skuName: s.name,
    meterName: s.name,
    serviceName: 'Virtual Machines',
    unitOfMeasure: '1 Hour',
  });
  items.push({
    ...base,
    retailPrice: 0.001,
    armRegionName: 'westeurope',
    armSkuName: s.name,
    productName: `Virtual Machines ${s.series} Series`,
    skuName: `${s.name} Spot`,
    meterName: `${s.name} Spot`,
    serviceName: 'Virtual Machines',
    unitOfMeasure: '1 Hour',
  });
  items.push({
    ...base,
    retailPrice: 0.002,
    armRegionName: 'eastus',
    armSkuName: s.name,
    productName: `Virtual Machines ${s.series} Series`,
    skuName: s.name,
    meterName: s.name,
    serviceName: 'Virtual Machines',
    unitOfMeasure: '1 Hour',
  });
}
for (const t of loadDiskTiers().tiers) {
  const product = {
    premium: 'Premium SSD Managed Disks',
    'standard-ssd': 'Standard SSD Managed Disks',
    'standard-hdd': 'Standard HDD Managed Disks',
  }[t.type];
  items.push({
    ...base,
    retailPrice: t.prices.westus2!.perMonth * 1.1,
    armRegionName: 'westeurope',
    productName: product,
    skuName: `${t.name} LRS`,
    meterName: `${t.name} LRS Disk`,
    serviceName: 'Storage',
    unitOfMeasure: '1/Month',
  });
  items.push({
    ...base,
    retailPrice: 0.0005,
    armRegionName: 'westeurope',
    productName: product,
    skuName: `${t.name} LRS`,
    meterName: 'Disk Operations',
    serviceName: 'Storage',
    unitOfMeasure: '10K',
  });
}

let server: http.Server;
let api = '';
let pagesServed = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const filter = url.searchParams.get('$filter') ?? '';
    const service = /serviceName eq '([^']+)'/.exec(filter)?.[1];
    const region = /armRegionName eq '([^']+)'/.exec(filter)?.[1];
    const matching = items.filter((i) => i.serviceName === service && i.armRegionName === region);
    const skip = Number(url.searchParams.get('$skip') ?? 0);
    const page = matching.slice(skip, skip + 25);
    const next =
      skip + 25 < matching.length
        ? new URL(`?${new URLSearchParams({ ...Object.fromEntries(url.searchParams), $skip: String(skip + 25) })}`, api).toString()
        : null;
    pagesServed += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        BillingCurrency: 'USD',
        CustomerEntityId: 'Default',
        CustomerEntityType: 'Retail',
        Items: page,
        NextPageLink: next,
        Count: page.length,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/retail/prices`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('catalogue refresh from the Azure Retail Prices API', () => {
  it('writes dated catalogues with the region priced (pay-as-you-go only, paging followed) that assessments then use', async () => {
    const out = mkdtempSync(join(tmpdir(), 'collector-refresh-'));
    const run = promisify(execFile);
    const r = await run(
      process.execPath,
      [join(ROOT, 'dist/assessment/catalog-refresh.js'), '--region', 'West Europe', '--out-dir', out, '--api', api],
      { env: { ...process.env, HTTPS_PROXY: '', HTTP_PROXY: '' } },
    );
    expect(r.stderr).toMatch(/wrote .*vm-sizes\.json/);
    expect(pagesServed).toBeGreaterThan(4);
    const vm = JSON.parse(readFileSync(join(out, 'vm-sizes.json'), 'utf8'));
    expect(vm.date).toBe(new Date().toISOString().slice(0, 10));
    expect(vm.source).toMatch(/Azure Retail Prices API .*westeurope/);
    expect(vm.regions).toEqual(['westeurope', 'westus2']);
    const d2 = vm.sizes.find((s: { name: string }) => s.name === 'Standard_D2s_v5');
    expect(d2.prices.westeurope).toEqual({ linuxPerHour: 0.14, windowsPerHour: 0.19 });
    expect(d2.prices.westus2.linuxPerHour).toBe(0.096);
    const catalog = loadCatalog('westeurope', { vmSizes: join(out, 'vm-sizes.json'), diskTiers: join(out, 'disk-tiers.json') });
    expect(catalog.diskTiers.find((t) => t.name === 'P10')!.prices.westeurope!.perMonth).toBeCloseTo(19.71 * 1.1, 6);
    const rec = assessMachine(machine(), [], { ...DEFAULT_PROPERTIES, targetRegion: 'westeurope' }, catalog);
    expect(rec.sizing.vmSize).toBe('Standard_E4s_v5');
    expect(rec.sizing.monthlyCost.compute).toBeCloseTo(0.011 * 730, 2);
  });
});
