import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../assessment/catalog.js';
import { BUILT_IN_VM_SIZES } from '../../assessment/paths.js';
import { assessMachine } from '../../assessment/build.js';
import { DEFAULT_PROPERTIES, resolveProperties } from '../../assessment/properties.js';
import { machine } from './helpers/machines.js';

const dir = mkdtempSync(join(tmpdir(), 'collector-catalog-'));

describe('catalogues', () => {
  it('the built-in catalogues carry their source and date and price westus2', () => {
    const c = loadCatalog('West US 2');
    expect(c.region).toBe('westus2');
    expect(c.info.vmSizes.source).toMatch(/prices\.azure\.com/);
    expect(c.info.diskTiers.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(c.vmSizes.length).toBeGreaterThan(20);
    expect(c.diskTiers.map((t) => t.type)).toEqual(expect.arrayContaining(['premium', 'standard-ssd', 'standard-hdd']));
  });

  it('a newer file replaces the built-in one without a code change (new region, new price)', () => {
    const raw = JSON.parse(readFileSync(BUILT_IN_VM_SIZES(), 'utf8'));
    raw.date = '2030-01-01';
    raw.regions = ['westeurope'];
    for (const s of raw.sizes) s.prices = { westeurope: { linuxPerHour: s.name === 'Standard_E4s_v5' ? 0.01 : 1, windowsPerHour: 2 } };
    const vmFile = join(dir, 'vm-sizes.json');
    writeFileSync(vmFile, JSON.stringify(raw));
    const disks = JSON.parse(readFileSync(BUILT_IN_VM_SIZES().replace('vm-sizes', 'disk-tiers'), 'utf8'));
    disks.regions = ['westeurope'];
    for (const t of disks.tiers) t.prices = { westeurope: t.prices.westus2 };
    const diskFile = join(dir, 'disk-tiers.json');
    writeFileSync(diskFile, JSON.stringify(disks));
    const c = loadCatalog('westeurope', { vmSizes: vmFile, diskTiers: diskFile });
    expect(c.info.vmSizes.date).toBe('2030-01-01');
    const r = assessMachine(machine(), [], { ...DEFAULT_PROPERTIES, targetRegion: 'westeurope' }, c);
    expect(r.sizing.vmSize).toBe('Standard_E4s_v5');
  });

  it('explains a region without prices, an unreadable file and a malformed one', () => {
    expect(() => loadCatalog('uksouth')).toThrow(/has no prices for "uksouth"/);
    expect(() => loadCatalog('westus2', { vmSizes: join(dir, 'missing.json') })).toThrow(
      /assessment\.catalog\.vmSizes: cannot read the vm-sizes catalogue/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        kind: 'vm-sizes',
        formatVersion: 1,
        source: 's',
        date: 'yesterday',
        currency: 'USD',
        regions: ['westus2'],
        hoursPerMonth: 730,
        sizes: [],
      }),
    );
    expect(() => loadCatalog('westus2', { vmSizes: bad })).toThrow(
      /is not a vm-sizes catalogue: date: expected the price sheet date as YYYY-MM-DD/,
    );
  });

  it('command-line property overrides are checked and named', () => {
    expect(resolveProperties(null, { percentile: '99th', history: '1 week', comfort: '2x', sizingCriterion: 'as-is' })).toMatchObject({
      percentile: 99,
      history: '7d',
      comfortFactor: 2,
      sizingCriterion: 'as-on-premises',
    });
    expect(() => resolveProperties(null, { percentile: 80 })).toThrow(/--percentile: 80 is not a valid value/);
    expect(() => resolveProperties(null, { history: '2d' })).toThrow(/--history/);
    expect(() => resolveProperties(null, { comfort: '0.5' })).toThrow(/--comfort/);
  });
});
