import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildAssessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { toAzureMigrateCsv } from '../../assessment/csv.js';
import { contentHash } from '../../assessment/payload.js';
import { ingestJobId } from '../../assessment/sink/outbox.js';
import { planUpload } from '../../assessment/sink/plan.js';
import { parseConfig } from '../../config/load.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import { schemaErrors } from '../../assessment/schemas.js';
import { machine, MiB, series } from './helpers/machines.js';

const catalog = loadCatalog('westus2');

function sample() {
  const web = machine({ name: 'web,01 "prod"', ipAddresses: ['fe80::1', '10.0.0.5'], diskGiB: [80, 200] });
  const db = machine({
    name: 'db01',
    kind: 'hyperv',
    id: 'hyperv:h:db01',
    firmware: 'uefi',
    diskGiB: Array(22).fill(10),
    nicCount: 2,
    os: { name: 'Red Hat Enterprise Linux 8 (64-bit)', id: null },
  });
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
  return buildAssessment({
    machines: [web, db],
    percentiles,
    properties: DEFAULT_PROPERTIES,
    catalog,
    generatedAt: '2026-11-01T00:05:00Z',
  });
}

describe('assessment JSON schema and Logs Ingestion rows', () => {
  it('an assessment validates against schemas/assessment.schema.json; a stray field does not', () => {
    const a = sample();
    expect(schemaErrors('assessment', a)).toEqual([]);
    const leaky = structuredClone(a) as unknown as { machines: Record<string, unknown>[] };
    leaky.machines[0]!.password = 'x';
    expect(schemaErrors('assessment', leaky)).toEqual(
      expect.arrayContaining([expect.stringMatching(/\/machines\/0: must NOT have additional properties \(password\)/)]),
    );
    const broken = structuredClone(a) as unknown as { machines: { readiness: { category: string } }[] };
    broken.machines[0]!.readiness.category = 'Maybe';
    expect(schemaErrors('assessment', broken).length).toBeGreaterThan(0);
  });

  it('Logs Ingestion rows: one per machine per stream; RecordId follows the content, so a rebuild repeats it and a change does not', () => {
    const sink = parseConfig({
      sink: {
        enabled: true,
        tenantId: 't',
        clientId: 'c',
        clientSecret: { env: 'X' },
        logsIngestion: { endpoint: 'https://dce.example', ruleId: `dcr-${'0'.repeat(32)}` },
        batchSize: 1,
      },
    }).sink;
    const a = sample();
    const plan = planUpload(a, sink, null);
    expect(plan.streams.map((s) => [s.streamName, s.rows, s.batches.length])).toEqual([
      ['Custom-CollectorMachines', 2, 2],
      ['Custom-CollectorAssessments', 2, 2],
    ]);
    const rows = plan.streams.flatMap((s) => s.batches.flat());
    expect(new Set(rows.map((r) => r.RecordId)).size).toBe(4);
    expect(plan.streams[1]!.batches[0]![0]).toMatchObject({
      MachineId: a.machines[0]!.id,
      Readiness: a.machines[0]!.readiness.category,
      VmSize: a.machines[0]!.sizing.vmSize,
      CpuPercent: a.machines[0]!.performance.cpuPercent,
    });
    // Rebuilding the same assessment later (generatedAt differs) gives the same rows, ids and outbox job ids ...
    const again = planUpload({ ...sample(), generatedAt: '2030-01-01T00:00:00.000Z' }, sink, null);
    expect(again.streams.flatMap((s) => s.batches.flat())).toEqual(rows);
    expect(again.streams[0]!.batches.map((b) => ingestJobId('machines', b))).toEqual(
      plan.streams[0]!.batches.map((b) => ingestJobId('machines', b)),
    );
    // ... and a change in content changes the row's RecordId (and the batch's job id), not the other rows'.
    const changed = sample();
    changed.machines[0]!.cpuCores += 1;
    const c = planUpload(changed, sink, null).streams[0]!.batches;
    expect(c[0]![0]!.RecordId).not.toBe(plan.streams[0]!.batches[0]![0]!.RecordId);
    expect(c[1]![0]!.RecordId).toBe(plan.streams[0]!.batches[1]![0]!.RecordId);
    expect(ingestJobId('machines', c[0]!)).not.toBe(ingestJobId('machines', plan.streams[0]!.batches[0]!));
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
    expect(header.slice(0, 12)).toEqual([
      'Server name',
      'IP address',
      'Cores',
      'Memory',
      'OS name',
      'OS version',
      'OS architecture',
      'Server type',
      'Hypervisor',
      'Number of disks',
      'Disk 1 size',
      'Disk 1 read ops',
    ]);
    // db01 has 22 disks: 20 disk groups, then the tail.
    expect(header.length).toBe(10 + 20 * 5 + 10);
    expect(header.slice(10 + 19 * 5, 10 + 20 * 5)).toEqual([
      'Disk 20 size',
      'Disk 20 read ops',
      'Disk 20 write ops',
      'Disk 20 read throughput',
      'Disk 20 write throughput',
    ]);
    expect(header.slice(-10)).toEqual([
      'CPU utilization percentage',
      'Memory utilization percentage',
      'Total disks read ops',
      'Total disks write ops',
      'Total disks read throughput',
      'Total disks write throughput',
      'Network In throughput',
      'Network Out throughput',
      'Firmware type',
      'MAC address',
    ]);
    const records = parse(files[0]!.text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(2);
    const db = records[0]!;
    const web = records[1]!;
    expect(web['Server name']).toBe('web,01 "prod"');
    expect(files[0]!.text).toContain('"web,01 ""prod"""');
    expect(web).toMatchObject({
      'IP address': '10.0.0.5',
      Cores: '4',
      Memory: '16384',
      'OS name': 'Microsoft Windows Server 2019 (64-bit)',
      'OS architecture': 'x64',
      'Server type': 'Virtual',
      Hypervisor: 'VMware',
      'Number of disks': '2',
      'Disk 1 size': '80',
      'Disk 1 read ops': '120',
      'Disk 1 write ops': '30',
      'Disk 1 read throughput': '4',
      'Disk 1 write throughput': '2',
      'Disk 2 size': '200',
      'Disk 2 read ops': '10',
      'Disk 2 write ops': '',
      'Disk 3 size': '',
      'CPU utilization percentage': '42.5',
      'Memory utilization percentage': '61.25',
      'Total disks read ops': '130',
      'Total disks write ops': '30',
      'Total disks read throughput': '4',
      'Total disks write throughput': '2',
      'Network In throughput': '3',
      'Network Out throughput': '1.5',
      'Firmware type': 'BIOS',
      'MAC address': '00:50:56:00:00:10',
    });
    expect(db).toMatchObject({
      'Server name': 'db01',
      Hypervisor: 'Hyper-V',
      'Number of disks': '22',
      'Firmware type': 'UEFI',
      'CPU utilization percentage': '',
      'OS architecture': 'x64',
    });
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
    expect([1, 2, 3].map((n) => partPath('/tmp/out/servers.csv', n))).toEqual([
      '/tmp/out/servers.csv',
      '/tmp/out/servers-2.csv',
      '/tmp/out/servers-3.csv',
    ]);
    expect(partPath('/tmp/v1.2/servers', 2)).toBe('/tmp/v1.2/servers-2');
  });
});
