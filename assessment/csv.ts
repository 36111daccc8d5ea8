// The Azure Migrate "import servers" CSV (docs/azure-migrate.md §9): the doc's column names, its
// units (Memory in MB, disk size in GB, throughput in MB/s), at most 20 disks and 20,000 servers per file.
import { stringify } from 'csv-stringify/sync';
import type { AssessmentRecord } from './build.js';
import { round } from './units.js';
import { exportCell } from '../common/csv-safe.js';

export const MAX_SERVERS_PER_FILE = 20_000;
export const MAX_DISKS = 20;

export const BASE_COLUMNS = [
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
] as const;
export const DISK_COLUMNS = (n: number) => [
  `Disk ${n} size`,
  `Disk ${n} read ops`,
  `Disk ${n} write ops`,
  `Disk ${n} read throughput`,
  `Disk ${n} write throughput`,
];
export const TAIL_COLUMNS = [
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
] as const;

export interface CsvFile {
  /** 1-based part number; a single file when the estate has at most 20,000 servers. */
  part: number;
  servers: number;
  text: string;
}

export interface CsvResult {
  files: CsvFile[];
  warnings: string[];
}

type Cell = string | number | null;

const num = (v: number | null | undefined, digits = 3): Cell => (v === null || v === undefined ? null : round(v, digits));
const sumOrNull = (vals: (number | null)[]): number | null =>
  vals.every((v) => v === null) ? null : vals.reduce<number>((s, v) => s + (v ?? 0), 0);

function architecture(r: AssessmentRecord): string | null {
  if (r.os.architecture) return r.os.architecture;
  if (/64-bit|x64|x86_64|amd64/i.test(r.os.name ?? '')) return 'x64';
  if (/32-bit|\bx86\b|i[3-6]86/i.test(r.os.name ?? '')) return 'x86';
  return null;
}

function row(r: AssessmentRecord, diskColumns: number): Cell[] {
  const perf = r.performance;
  const diskPerf = new Map(perf.disks.map((d) => [d.id, d]));
  const cells: Cell[] = [
    r.name,
    r.ipAddresses.find((ip) => !ip.includes(':')) ?? r.ipAddresses[0] ?? null,
    r.cpuCores,
    r.memoryMB,
    r.os.name ?? r.os.id,
    r.os.version,
    architecture(r),
    'Virtual',
    r.kind === 'vmware' ? 'VMware' : 'Hyper-V',
    r.disks.length,
  ];
  for (let i = 0; i < diskColumns; i++) {
    const d = r.disks[i];
    const p = d ? diskPerf.get(d.id) : undefined;
    cells.push(d ? num(d.sizeGiB, 2) : null, num(p?.readOps), num(p?.writeOps), num(p?.readMBps), num(p?.writeMBps));
  }
  cells.push(
    num(perf.cpuPercent, 2),
    num(perf.memoryPercent, 2),
    num(sumOrNull(perf.disks.map((d) => d.readOps))),
    num(sumOrNull(perf.disks.map((d) => d.writeOps))),
    num(sumOrNull(perf.disks.map((d) => d.readMBps))),
    num(sumOrNull(perf.disks.map((d) => d.writeMBps))),
    num(sumOrNull(perf.nics.map((n) => n.receivedMBps))),
    num(sumOrNull(perf.nics.map((n) => n.transmittedMBps))),
    r.firmware === 'uefi' ? 'UEFI' : 'BIOS',
    r.nics.find((n) => n.mac)?.mac ?? null,
  );
  // Every text cell (names, OS, MAC) comes from the estate: neutralise formulas (common/csv-safe.ts).
  return cells.map(exportCell);
}

export function csvHeader(diskColumns: number): string[] {
  const disks: string[] = [];
  for (let n = 1; n <= diskColumns; n++) disks.push(...DISK_COLUMNS(n));
  return [...BASE_COLUMNS, ...disks, ...TAIL_COLUMNS];
}

/** Writes the records as one CSV per 20,000 servers; disk columns cover the most disks any server has (up to 20). */
export function toAzureMigrateCsv(records: AssessmentRecord[], opts: { maxServersPerFile?: number } = {}): CsvResult {
  const perFile = opts.maxServersPerFile ?? MAX_SERVERS_PER_FILE;
  const warnings: string[] = [];
  const most = records.reduce((m, r) => Math.max(m, r.disks.length), 0);
  const diskColumns = Math.max(1, Math.min(MAX_DISKS, most));
  const over = records.filter((r) => r.disks.length > MAX_DISKS);
  if (over.length > 0) {
    warnings.push(
      `${over.length} server(s) have more than ${MAX_DISKS} disks (${over
        .slice(0, 5)
        .map((r) => r.name)
        .join(
          ', ',
        )}${over.length > 5 ? ', ...' : ''}): the file lists their first ${MAX_DISKS}; "Number of disks" and the totals count them all.`,
    );
  }
  const names = new Map<string, number>();
  for (const r of records) names.set(r.name, (names.get(r.name) ?? 0) + 1);
  const dup = [...names].filter(([, n]) => n > 1).map(([name]) => name);
  if (dup.length > 0) {
    warnings.push(
      `${dup.length} server name(s) appear more than once (${dup.slice(0, 5).join(', ')}): Azure Migrate treats "Server name" as the key, so a later row updates an earlier one.`,
    );
  }
  const header = csvHeader(diskColumns);
  const files: CsvFile[] = [];
  for (let i = 0; i < Math.max(1, records.length); i += perFile) {
    const chunk = records.slice(i, i + perFile);
    files.push({
      part: files.length + 1,
      servers: chunk.length,
      text: stringify([header, ...chunk.map((r) => row(r, diskColumns))], { record_delimiter: '\r\n' }),
    });
  }
  if (files.length > 1) {
    warnings.push(
      `${records.length} servers: Azure Migrate imports at most ${perFile} per file, so they are split into ${files.length} files; import each one.`,
    );
  }
  return { files, warnings };
}

/** servers.csv, servers-2.csv, servers-3.csv ...: where part N of a split export goes. */
export function partPath(out: string, part: number): string {
  if (part === 1) return out;
  const m = /^(.*?)(\.[^./\\]+)?$/.exec(out);
  return `${m?.[1] ?? out}-${part}${m?.[2] ?? ''}`;
}
