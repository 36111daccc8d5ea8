// What goes to Azure Monitor: the rows of the three Logs Ingestion streams (machines, 10-minute peak
// points, assessment records), flat columns matching the DCR in README.md. Every row carries
// RecordId, a hash of its other columns: a row sent again (at-least-once delivery) has the same
// RecordId, distinct rows never share one, so the KQL examples collapse repeats with
// `summarize arg_max(TimeGenerated, *) by RecordId`.
import { createHash } from 'node:crypto';
import type { Assessment, AssessmentRecord } from '../build.js';
import { canonicalJson } from '../payload.js';
import { toIso } from '../build.js';
import { round } from '../units.js';

export type StreamKind = 'machines' | 'points' | 'assessments';

export type Row = Record<string, string | number | boolean | null>;

/** The row with RecordId = SHA-256 of its stream and other columns (key order does not matter). */
export function withRecordId(stream: StreamKind, row: Row): Row {
  const { RecordId: _ignored, ...rest } = row;
  return {
    ...rest,
    RecordId: createHash('sha256')
      .update(`${stream}\u0000${canonicalJson(rest)}`)
      .digest('hex')
      .slice(0, 32),
  };
}

/** One row per machine as discovered (configuration, not utilisation). */
export function machineRow(r: AssessmentRecord, asOf: string): Row {
  return withRecordId('machines', {
    TimeGenerated: asOf,
    MachineId: r.id,
    Name: r.name,
    Source: r.source,
    Kind: r.kind,
    PowerState: r.powerState,
    OsName: r.os.name,
    OsVersion: r.os.version,
    Cores: r.cpuCores,
    MemoryMB: r.memoryMB,
    Disks: r.disks.length,
    StorageGiB: round(
      r.disks.reduce((s, d) => s + d.sizeGiB, 0),
      2,
    ),
    Nics: r.nics.length,
    IpAddresses: r.ipAddresses.join(','),
    Firmware: r.firmware,
    Datacenter: r.datacenter,
    Cluster: r.cluster,
    Host: r.host,
  });
}

/** One row per machine of the assessment: readiness, the recommended size, its cost and the utilisation it used. */
export function assessmentRow(r: AssessmentRecord, a: Pick<Assessment, 'asOf' | 'properties' | 'catalog'>): Row {
  const p = r.performance;
  const sum = (vals: (number | null)[]) =>
    vals.every((v) => v === null)
      ? null
      : round(
          vals.reduce<number>((s, v) => s + (v ?? 0), 0),
          3,
        );
  return withRecordId('assessments', {
    TimeGenerated: a.asOf,
    AssessmentAsOf: a.asOf,
    MachineId: r.id,
    Name: r.name,
    Region: a.catalog.region,
    SizingCriterion: a.properties.sizingCriterion,
    Percentile: a.properties.percentile,
    History: a.properties.history,
    ComfortFactor: a.properties.comfortFactor,
    Readiness: r.readiness.category,
    ReadinessReasons: r.readiness.reasons.map((x) => x.code).join(','),
    SizingStatus: r.sizing.status,
    VmSize: r.sizing.vmSize,
    MonthlyComputeCost: r.sizing.monthlyCost.compute,
    MonthlyStorageCost: r.sizing.monthlyCost.storage,
    MonthlyCost: r.sizing.monthlyCost.total,
    Currency: r.sizing.monthlyCost.currency,
    CpuPercent: p.cpuPercent,
    MemoryPercent: p.memoryPercent,
    DiskReadOps: sum(p.disks.map((d) => d.readOps)),
    DiskWriteOps: sum(p.disks.map((d) => d.writeOps)),
    DiskReadMBps: sum(p.disks.map((d) => d.readMBps)),
    DiskWriteMBps: sum(p.disks.map((d) => d.writeMBps)),
    NetworkInMBps: sum(p.nics.map((n) => n.receivedMBps)),
    NetworkOutMBps: sum(p.nics.map((n) => n.transmittedMBps)),
    DataPointsPercent: r.dataPointsPercent,
    ConfidenceStars: r.confidenceStars,
  });
}

export interface PointInput {
  machine: string;
  metric: string;
  instance: string;
  windowStart: number;
  peak: number;
  samples: number;
}

/** One row per 10-minute window of one series: the window's peak, as the rollup stored it. */
export function pointRow(p: PointInput): Row {
  const t = toIso(p.windowStart);
  return withRecordId('points', {
    TimeGenerated: t,
    MachineId: p.machine,
    Metric: p.metric,
    Instance: p.instance,
    Peak: p.peak,
    Samples: p.samples,
  });
}

/** Rows in groups of at most `size` (each group becomes one outbox batch). */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
