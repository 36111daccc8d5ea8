// Exports of what the appliance read inside the guests (issue 12): the software inventory (JSON,
// schemas/software.schema.json, and a CSV) and the hourly dependency edges in the column layout of Azure Migrate's
// dependency export (CSV) or JSON (schemas/dependencies.schema.json). Every CSV text cell comes from the estate
// (package names, process names, server names), so each one is neutralised against formula injection.
import { stringify } from 'csv-stringify/sync';
import { exportCell } from '../common/csv-safe.js';
import type { DependencyEdge, SoftwareInventory } from '../model/guest.js';

/** Machine id -> display name (the inventory's names); ids not in the inventory are shown as they are. */
export type MachineNames = ReadonlyMap<string, string>;
const nameOf = (names: MachineNames, id: string | null): string | null => (id === null ? null : (names.get(id) ?? id));

export const SOFTWARE_CSV_COLUMNS = ['machine', 'name', 'version', 'publisher', 'source'] as const;

export interface SoftwareExport {
  generatedAt: string;
  machines: (SoftwareInventory & { machineName: string })[];
}

export function softwareExport(inventories: readonly SoftwareInventory[], names: MachineNames, now = new Date()): SoftwareExport {
  return {
    generatedAt: now.toISOString(),
    machines: inventories.map((inv) => ({ ...inv, machineName: nameOf(names, inv.machine) ?? inv.machine })),
  };
}

/** One row per installed application, Windows feature and SQL Server instance. */
export function softwareRows(inventories: readonly SoftwareInventory[], names: MachineNames): (string | null)[][] {
  const rows: (string | null)[][] = [];
  for (const inv of inventories) {
    const machine = nameOf(names, inv.machine);
    for (const a of inv.applications) rows.push([machine, a.name, a.version, a.publisher, a.source]);
    for (const f of inv.features) rows.push([machine, f.name, null, 'Microsoft Corporation', 'windows-feature']);
    for (const s of inv.sqlInstances)
      rows.push([machine, `SQL Server (${s.name})${s.edition ? ` ${s.edition}` : ''}`, s.version, 'Microsoft Corporation', 'sql-server']);
  }
  return rows;
}

export function toSoftwareCsv(inventories: readonly SoftwareInventory[], names: MachineNames): string {
  const rows = softwareRows(inventories, names).map((r) => r.map(exportCell));
  return stringify([[...SOFTWARE_CSV_COLUMNS], ...rows]);
}

/** The columns of Azure Migrate's dependency export ("Export application dependencies"), in its order. */
export const DEPENDENCY_CSV_COLUMNS = [
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
] as const;

export interface DependencyRow {
  /** Start of the hour the edge was seen in, ISO (the time slot). */
  timeSlot: string;
  sourceMachine: string;
  sourceServerName: string;
  sourceIp: string;
  sourceApplication: string | null;
  sourceProcess: string | null;
  /** Null when the destination is not a discovered machine. */
  destinationMachine: string | null;
  destinationServerName: string | null;
  destinationIp: string;
  destinationApplication: string | null;
  destinationProcess: string | null;
  destinationPort: number;
  firstSeen: string;
  lastSeen: string;
  /** 5-minute polls of that hour the connection was present in. */
  polls: number;
}

export interface DependencyExport {
  generatedAt: string;
  from: string;
  to: string;
  edges: DependencyRow[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function dependencyRows(edges: readonly DependencyEdge[], names: MachineNames): DependencyRow[] {
  return [...edges]
    .sort(
      (a, b) =>
        a.hour - b.hour ||
        a.sourceMachine.localeCompare(b.sourceMachine) ||
        a.destinationIp.localeCompare(b.destinationIp) ||
        a.destinationPort - b.destinationPort ||
        (a.sourceProcess ?? '').localeCompare(b.sourceProcess ?? ''),
    )
    .map((e) => ({
      timeSlot: iso(e.hour),
      sourceMachine: e.sourceMachine,
      sourceServerName: nameOf(names, e.sourceMachine) ?? e.sourceMachine,
      sourceIp: e.sourceIp,
      sourceApplication: e.sourceApplication,
      sourceProcess: e.sourceProcess,
      destinationMachine: e.destinationMachine,
      destinationServerName: nameOf(names, e.destinationMachine),
      destinationIp: e.destinationIp,
      destinationApplication: e.destinationApplication,
      destinationProcess: e.destinationProcess,
      destinationPort: e.destinationPort,
      firstSeen: iso(e.firstSeen),
      lastSeen: iso(e.lastSeen),
      polls: e.polls,
    }));
}

export function dependencyExport(
  edges: readonly DependencyEdge[],
  names: MachineNames,
  range: { from: number; to: number },
  now = new Date(),
): DependencyExport {
  return { generatedAt: now.toISOString(), from: iso(range.from), to: iso(range.to), edges: dependencyRows(edges, names) };
}

export function toDependencyCsv(edges: readonly DependencyEdge[], names: MachineNames): string {
  const rows = dependencyRows(edges, names).map((r) =>
    [
      r.timeSlot,
      r.sourceServerName,
      r.sourceIp,
      r.sourceApplication,
      r.sourceProcess,
      r.destinationServerName,
      r.destinationIp,
      r.destinationApplication,
      r.destinationProcess,
      r.destinationPort,
    ].map(exportCell),
  );
  return stringify([[...DEPENDENCY_CSV_COLUMNS], ...rows]);
}
