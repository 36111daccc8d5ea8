// What an assessment becomes for Azure: the import file(s) for Azure Migrate (the same CSV
// `collector export --format azure-migrate-csv` writes) and the row batches of the three Logs
// Ingestion streams. Pure apart from reading the 10-minute points; the outbox does the sending.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { UserError } from '../../common/errors.js';
import type { SinkSettings } from '../../config/schema/sink.js';
import { PointStore } from '../../rollup/point-store.js';
import { requiredSeries } from '../../rollup/series.js';
import { WINDOW_MS } from '../../rollup/window.js';
import type { Assessment } from '../build.js';
import { toAzureMigrateCsv } from '../csv.js';
import type { ImportFile } from './azure-migrate-import.js';
import { assessmentRow, chunk, machineRow, pointRow, type Row, type StreamKind } from './rows.js';

export interface StreamPlan {
  stream: StreamKind;
  streamName: string;
  rows: number;
  batches: Row[][];
}

export interface UploadPlan {
  asOf: string;
  imports: { site: string; target: string; file: ImportFile }[];
  streams: StreamPlan[];
  warnings: string[];
  /** Points up to here are covered by this plan (the next plan starts there). */
  pointsUntil: number | null;
}

export function importFiles(
  a: Assessment,
  settings: NonNullable<SinkSettings['azureMigrate']>,
): { files: ImportFile[]; warnings: string[] } {
  if (settings.format !== 'AzureMigrateCSV') {
    throw new UserError(`sink.azureMigrate.format ${settings.format}: this version writes only the Azure Migrate CSV.`, {
      fix: 'Set sink.azureMigrate.format: AzureMigrateCSV.',
      code: 'SINK_CONFIG',
    });
  }
  const csv = toAzureMigrateCsv(a.machines);
  const stamp = a.asOf.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const files = csv.files.map((f) => ({
    fileName: `collector-${stamp}${csv.files.length > 1 ? `-part${f.part}` : ''}.csv`,
    part: f.part,
    format: settings.format,
    contentType: 'text/csv; charset=utf-8',
    servers: f.servers,
    contentHash: createHash('sha256').update(f.text).digest('hex'),
    text: f.text,
  }));
  return { files, warnings: csv.warnings };
}

/** The 10-minute peak points of the assessed machines with window start in [from, to). */
export async function readPointRows(redis: Redis, prefix: string, a: Assessment, from: number, to: number): Promise<Row[]> {
  const store = new PointStore(redis, prefix);
  const rows: Row[] = [];
  for (const m of a.machines) {
    // requiredSeries reads only the machine, disk and NIC ids, which the record keeps.
    for (const s of requiredSeries(m as unknown as Parameters<typeof requiredSeries>[0])) {
      for (const p of await store.readPoints({ ...s, from, to })) rows.push(pointRow({ ...s, ...p }));
    }
  }
  return rows;
}

export function planUpload(a: Assessment, settings: SinkSettings, points: { rows: Row[]; until: number } | null): UploadPlan {
  const plan: UploadPlan = { asOf: a.asOf, imports: [], streams: [], warnings: [], pointsUntil: points?.until ?? null };
  const am = settings.azureMigrate;
  if (am && a.machines.length === 0) {
    plan.warnings.push('the assessment has no machines: no file is imported to Azure Migrate (an empty import would fail)');
  } else if (am) {
    const { files, warnings } = importFiles(a, am);
    plan.warnings.push(...warnings);
    const target = `${am.armEndpoint}/subscriptions/${am.subscriptionId}/resourceGroups/${am.resourceGroup}/providers/Microsoft.OffAzure/importSites/${am.importSite}`;
    for (const file of files) plan.imports.push({ site: am.importSite, target, file });
  }
  const li = settings.logsIngestion;
  if (li) {
    const add = (stream: StreamKind, rows: Row[]) =>
      plan.streams.push({ stream, streamName: li.streams[stream], rows: rows.length, batches: chunk(rows, settings.batchSize) });
    add(
      'machines',
      a.machines.map((r) => machineRow(r, a.asOf)),
    );
    add(
      'assessments',
      a.machines.map((r) => assessmentRow(r, a)),
    );
    if (points) add('points', points.rows);
  }
  return plan;
}

/** The point window of the next plan: from where the last one stopped (or the assessment's history), up to the last complete window. */
export function pointWindow(asOfMs: number, historyMs: number, watermark: number | null): { from: number; to: number } {
  const to = Math.floor(asOfMs / WINDOW_MS) * WINDOW_MS;
  const from = Math.max(to - historyMs, watermark ?? -Infinity);
  return { from: Math.min(from, to), to };
}
