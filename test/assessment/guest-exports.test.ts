import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  DEPENDENCY_CSV_COLUMNS,
  dependencyExport,
  SOFTWARE_CSV_COLUMNS,
  softwareExport,
  toDependencyCsv,
  toSoftwareCsv,
} from '../../assessment/guest-exports.js';
import { schemaErrors } from '../../assessment/schemas.js';
import type { DependencyEdge, SoftwareInventory } from '../../model/guest.js';

const HOUR = Date.UTC(2026, 11, 1, 10);
const names = new Map([
  ['vcenter:vc:vm-1', 'web01'],
  ['vcenter:vc:vm-2', '=cmd|calc'],
]);

const edges: DependencyEdge[] = [
  {
    hour: HOUR,
    sourceMachine: 'vcenter:vc:vm-1',
    sourceIp: '10.0.0.1',
    sourceProcess: 'w3wp.exe',
    sourceApplication: 'Internet Information Services',
    destinationMachine: 'vcenter:vc:vm-2',
    destinationIp: '10.0.0.2',
    destinationPort: 1433,
    destinationProcess: '@SUM(1)',
    destinationApplication: null,
    firstSeen: HOUR + 60_000,
    lastSeen: HOUR + 60_000 + 11 * 300_000,
    polls: 12,
  },
  {
    hour: HOUR - 3_600_000,
    sourceMachine: 'vcenter:vc:vm-1',
    sourceIp: '10.0.0.1',
    sourceProcess: null,
    sourceApplication: null,
    destinationMachine: null,
    destinationIp: '203.0.113.7',
    destinationPort: 443,
    destinationProcess: null,
    destinationApplication: null,
    firstSeen: HOUR - 3_600_000,
    lastSeen: HOUR - 3_600_000,
    polls: 1,
  },
];

const software: SoftwareInventory[] = [
  {
    machine: 'vcenter:vc:vm-1',
    collectedAt: new Date(HOUR).toISOString(),
    os: 'windows',
    applications: [
      { name: 'Microsoft SQL Server 2019 (64-bit)', version: '15.0.4345.5', publisher: 'Microsoft Corporation', source: 'registry' },
      { name: '+evil', version: null, publisher: '-x', source: 'registry-wow6432' },
    ],
    features: [{ id: 2, name: 'Web Server (IIS)', parentId: null }],
    sqlInstances: [{ name: 'MSSQLSERVER', edition: 'Enterprise Edition', version: '15.0.4345.5', servicePack: null }],
    notes: [],
  },
  {
    machine: 'linux-orphan',
    collectedAt: new Date(HOUR).toISOString(),
    os: 'linux',
    applications: [{ name: 'nginx', version: '1.18.0-6ubuntu14.4', publisher: 'Ubuntu Developers', source: 'dpkg' }],
    features: [],
    sqlInstances: [],
    notes: ['rpm: not installed'],
  },
];

describe('dependency export (Azure Migrate layout)', () => {
  it('the header is exactly the dependency export columns; rows in time order with names, IPs, processes and port', () => {
    const rows = parse(toDependencyCsv(edges, names)) as string[][];
    expect(rows[0]).toEqual([
      'Time slot',
      'Source server name',
      'Source IP',
      'Source application',
      'Source process',
      'Destination server name',
      'Destination IP',
      'Destination application',
      'Destination process',
      'Destination port',
    ]);
    expect(rows[0]).toEqual([...DEPENDENCY_CSV_COLUMNS]);
    expect(rows.slice(1)).toEqual([
      ['2026-12-01T09:00:00.000Z', 'web01', '10.0.0.1', '', '', '', '203.0.113.7', '', '', '443'],
      [
        '2026-12-01T10:00:00.000Z',
        'web01',
        '10.0.0.1',
        'Internet Information Services',
        'w3wp.exe',
        "'=cmd|calc",
        '10.0.0.2',
        '',
        "'@SUM(1)",
        '1433',
      ],
    ]);
  });

  it('JSON validates against schemas/dependencies.schema.json; a stray field or a bad port does not', () => {
    const doc = dependencyExport(edges, names, { from: HOUR - 7_200_000, to: HOUR + 3_600_000 }, new Date(HOUR + 3_600_000));
    expect(schemaErrors('dependencies', doc)).toEqual([]);
    expect(doc.edges[1]).toMatchObject({
      destinationServerName: '=cmd|calc',
      destinationPort: 1433,
      polls: 12,
      firstSeen: '2026-12-01T10:01:00.000Z',
    });
    const bad = structuredClone(doc) as unknown as { edges: Record<string, unknown>[] };
    bad.edges[0]!.password = 'x';
    bad.edges[1]!.destinationPort = 0;
    expect(schemaErrors('dependencies', bad)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/additional properties \(password\)/),
        expect.stringMatching(/\/edges\/1\/destinationPort/),
      ]),
    );
  });
});

describe('software export', () => {
  it('CSV columns machine, name, version, publisher, source; features and SQL instances included; every cell neutralised', () => {
    const rows = parse(toSoftwareCsv(software, names)) as string[][];
    expect(rows[0]).toEqual(['machine', 'name', 'version', 'publisher', 'source']);
    expect(rows[0]).toEqual([...SOFTWARE_CSV_COLUMNS]);
    expect(rows.slice(1)).toEqual([
      ['web01', 'Microsoft SQL Server 2019 (64-bit)', '15.0.4345.5', 'Microsoft Corporation', 'registry'],
      ['web01', "'+evil", '', "'-x", 'registry-wow6432'],
      ['web01', 'Web Server (IIS)', '', 'Microsoft Corporation', 'windows-feature'],
      ['web01', 'SQL Server (MSSQLSERVER) Enterprise Edition', '15.0.4345.5', 'Microsoft Corporation', 'sql-server'],
      ['linux-orphan', 'nginx', '1.18.0-6ubuntu14.4', 'Ubuntu Developers', 'dpkg'],
    ]);
  });

  it('JSON validates against schemas/software.schema.json; an unknown source does not', () => {
    const doc = softwareExport(software, names, new Date(HOUR));
    expect(schemaErrors('software', doc)).toEqual([]);
    expect(doc.machines.map((m) => m.machineName)).toEqual(['web01', 'linux-orphan']);
    const bad = structuredClone(doc);
    (bad.machines[0]!.applications[0] as { source: string }).source = 'msi';
    expect(schemaErrors('software', bad).length).toBeGreaterThan(0);
  });
});
