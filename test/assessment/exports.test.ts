import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildAssessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { toAzureMigrateCsv } from '../../assessment/csv.js';
import { contentHash, toPayloads } from '../../assessment/payload.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import { schemaErrors } from '../../assessment/schemas.js';
import { machine, MiB, series } from './helpers/machines.js';

const catalog = loadCatalog('westus2');

function sample() {
  const web = machine({ name: 'web,01 "prod"', ipAddresses: ['fe80::1', '10.0.0.5'], diskGiB: [80, 200] });
  const db = machine({ name: 'db01', kind: 'hyperv', id: 'hyperv:h:db01', firmware: 'uefi', diskGiB: Array(22).fill(10), nicCount: 2, os: { name: 'Red Hat Enterprise Linux 8 (64-bit)', id: null } });
  const percentiles = {
    asOf: '2026-11-01T00:00:00Z',
    history: '1d',
    machines: [
      {
        id: web.id,
        series: [
          series('cpu.usage.percent', '', 42.5),
          series('memory.usage.percent', '', 61.25),
          series('disk.read.opsPerSec', '2000', 120),
          series('disk.write.opsPerSec', '2000', 30),
          series('disk.read.bytesPerSec', '2000', 4 * MiB),
          series('disk.write.bytesPerSec', '2000', 2 * MiB),
          series('disk.read.opsPerSec', '2001', 10),
          series('net.received.bytesPerSec', '4000', 3 * MiB),
          series('net.transmitted.bytesPerSec', '4000', 1.5 * MiB),
        ],
      },
    ],
  };
  return buildAssessment({ machines: [web, db], percentiles, properties: DEFAULT_PROPERTIES, catalog, generatedAt: '2026-11-01T00:05:00Z' });
}

describe('assessment JSON and payload schemas', () => {
  it('an assessment validates against schemas/assessment.schema.json; a stray field does not', () => {
    const a = sample();
    expect(schemaErrors('assessment', a)).toEqual([]);
    const leaky = structuredClone(a) as unknown as { machines: Record<string, unknown>[] };
    leaky.machines[0]!.password = 'x';
    expect(schemaErrors('assessment', leaky)).toEqual(expect.arrayContaining([expect.stringMatching(/\/machines\/0: must NOT have additional properties \(password\)/)]));
    const broken = structuredClone(a) as unknown as { machines: { readiness: { category: string } }[] };
    broken.machines[0]!.readiness.category = 'Maybe';
    expect(schemaErrors('assessment', broken).length).toBeGreaterThan(0);
  });

  it('payload batches are schema-valid, cover every record once, and carry a content-hash key', () => {
    const a = sample();
    const batches = toPayloads(a, 1);
    expect(batches).toHaveLength(2);
    for (const b of batches) expect(schemaErrors('payload', b)).toEqual([]);
    expect(batches.flatMap((b) => b.records.map((r) => r.id))).toEqual(a.machines.map((m) => m.id));
    const { idempotencyKey, ...body } = batches[0]!;
    expect(idempotencyKey).toBe(contentHash(body));
    expect(batches[0]!.idempotencyKey).not.toBe(batches[1]!.idempotencyKey);
    // Rebuilding the same assessment later gives the same keys (generatedAt is not part of a batch) ...
    const again = toPayloads({ ...sample(), generatedAt: '2030-01-01T00:00:00.000Z' }, 1);
    expect(again.map((b) => b.idempotencyKey)).toEqual(batches.map((b) => b.idempotencyKey));
    // ... and any change in content changes the key.
    const changed = sample();
    changed.machines[0]!.cpuCores += 1;
    expect(toPayloads(changed, 1)[0]!.idempotencyKey).not.toBe(batches[0]!.idempotencyKey);
    expect(contentHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(contentHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
  });
});

describe('Azure Migrate import CSV', () => {
  it('has the documented columns, units and quoting, read back with csv-parse', () => {
    const a = sample();
    const { files, warnings } = toAzureMigrateCsv(a.machines);
    expect(files).toHaveLength(1);
    const rows = parse(files[0]!.text, { columns: false }) as string[][];
    const header = rows[0]!;
    expect(header.slice(0, 12)).toEqual(['Server name', 'IP address', 'Cores', 'Memory', 'OS name', 'OS version', 'OS architecture', 'Server type', 'Hypervisor', 'Number of disks', 'Disk 1 size', 'Disk 1 read ops']);
    // db01 has 22 disks: 20 disk groups, then the tail.
    expect(header.length).toBe(10 + 20 * 5 + 10);
    expect(header.slice(10 + 19 * 5, 10 + 20 * 5)).toEqual(['Disk 20 size', 'Disk 20 read ops', 'Disk 20 write ops', 'Disk 20 read throughput', 'Disk 20 write throughput']);
    expect(header.slice(-10)).toEqual([
      'CPU utilization percentage', 'Memory utilization percentage', 'Total disks read ops', 'Total disks write ops', 'Total disks read throughput',
      'Total disks write throughput', 'Network In throughput', 'Network Out throughput', 'Firmware type', 'MAC address',
    ]);
    const records = parse(files[0]!.text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(2);
    const db = records[0]!;
    const web = records[1]!;
    expect(web['Server name']).toBe('web,01 "prod"');
    expect(files[0]!.text).toContain('"web,01 ""prod"""');
    expect(web).toMatchObject({
      'IP address': '10.0.0.5', Cores: '4', Memory: '16384', 'OS name': 'Microsoft Windows Server 2019 (64-bit)', 'OS architecture': 'x64',
      'Server type': 'Virtual', Hypervisor: 'VMware', 'Number of disks': '2',
      'Disk 1 size': '80', 'Disk 1 read ops': '120', 'Disk 1 write ops': '30', 'Disk 1 read throughput': '4', 'Disk 1 write throughput': '2',
      'Disk 2 size': '200', 'Disk 2 read ops': '10', 'Disk 2 write ops': '', 'Disk 3 size': '',
      'CPU utilization percentage': '42.5', 'Memory utilization percentage': '61.25',
      'Total disks read ops': '130', 'Total disks write ops': '30', 'Total disks read throughput': '4', 'Total disks write throughput': '2',
      'Network In throughput': '3', 'Network Out throughput': '1.5', 'Firmware type': 'BIOS', 'MAC address': '00:50:56:00:00:10',
    });
    expect(db).toMatchObject({ 'Server name': 'db01', Hypervisor: 'Hyper-V', 'Number of disks': '22', 'Firmware type': 'UEFI', 'CPU utilization percentage': '', 'OS architecture': 'x64' });
    expect(warnings).toEqual([expect.stringMatching(/1 server\(s\) have more than 20 disks \(db01\)/)]);
  });

  it('splits beyond the per-file limit and says so; every server lands in exactly one file', () => {
    const a = sample();
    const many = Array.from({ length: 5 }, (_, i) => ({ ...a.machines[1]!, id: `m${i}`, name: `srv${i}` }));
    const { files, warnings } = toAzureMigrateCsv(many, { maxServersPerFile: 2 });
    expect(files.map((f) => f.servers)).toEqual([2, 2, 1]);
    const names = files.flatMap((f) => (parse(f.text, { columns: true }) as Record<string, string>[]).map((r) => r['Server name']));
    expect(names).toEqual(['srv0', 'srv1', 'srv2', 'srv3', 'srv4']);
    expect(warnings.join('\n')).toMatch(/5 servers: Azure Migrate imports at most 2 per file, so they are split into 3 files/);
  });
});

describe('split file names', () => {
  it('servers.csv, servers-2.csv, ...', async () => {
    const { partPath } = await import('../../assessment/csv.js');
    expect([1, 2, 3].map((n) => partPath('/tmp/out/servers.csv', n))).toEqual(['/tmp/out/servers.csv', '/tmp/out/servers-2.csv', '/tmp/out/servers-3.csv']);
    expect(partPath('/tmp/v1.2/servers', 2)).toBe('/tmp/v1.2/servers-2');
  });
});
