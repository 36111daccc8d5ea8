import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildAssessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { toAzureMigrateCsv } from '../../assessment/csv.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import { exportCell, neutraliseFormula } from '../../common/csv-safe.js';
import { machine } from './helpers/machines.js';

// Finding 6: a VM named =HYPERLINK(...) was written verbatim into the Azure Migrate CSV.
const HOSTILE = ['=HYPERLINK("http://evil.example/x","click")', "+cmd|' /C calc'!A0", '-2+3', '@SUM(1+1)', '\t=1+1', '\r=1+1'];

function csvOf(names: string[], os?: string) {
  const machines = names.map((name, i) => machine({ name, id: `vmware:vc:m${i}`, ...(os ? { os: { name: os, id: null } } : {}) }));
  const a = buildAssessment({
    machines,
    percentiles: { asOf: '2026-11-01T00:00:00Z', history: '1d', machines: [] },
    properties: DEFAULT_PROPERTIES,
    catalog: loadCatalog('westus2'),
    generatedAt: '2026-11-01T00:05:00Z',
  });
  const [file] = toAzureMigrateCsv(a.machines).files;
  return parse(file!.text, { columns: true }) as Record<string, string>[];
}

describe('CSV exports neutralise spreadsheet formulas (OWASP)', () => {
  it('every text cell starting with =, +, -, @, tab or CR gets a leading quote; the rest of the text is kept', () => {
    const rows = csvOf([...HOSTILE, 'web01']);
    const byName = rows.map((r) => r['Server name']);
    for (const name of HOSTILE) expect(byName).toContain(`'${name}`);
    expect(byName).toContain('web01');
    for (const r of rows) expect(r['Server name']).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('applies to every text column, not only the name (OS name from the guest)', () => {
    const rows = csvOf(['web02'], '=cmd()');
    expect(rows[0]!['OS name']).toBe("'=cmd()");
  });

  it('numeric cells stay numeric (unquoted in the file)', () => {
    const machines = [machine({ name: 'web03', id: 'vmware:vc:w3', cpuCores: 4, memoryMB: 8192 })];
    const a = buildAssessment({
      machines,
      percentiles: { asOf: '2026-11-01T00:00:00Z', history: '1d', machines: [] },
      properties: DEFAULT_PROPERTIES,
      catalog: loadCatalog('westus2'),
      generatedAt: '2026-11-01T00:05:00Z',
    });
    const text = toAzureMigrateCsv(a.machines).files[0]!.text;
    expect(text.split('\r\n')[1]).toMatch(/^web03,[^,]*,4,8192,/);
    expect(exportCell(-5)).toBe(-5);
    expect(exportCell(null)).toBe(null);
    expect(neutraliseFormula('a=b')).toBe('a=b');
  });
});
