// What goes to Azure Monitor: the rows of the three Logs Ingestion streams (machines, 10-minute peak
// points, assessment records), flat columns matching the DCR in README.md. Every row carries
// RecordId, a hash of what identifies it, so a batch that is sent again (at-least-once delivery)
// yields rows the KQL examples collapse: `summarize arg_max(TimeGenerated, *) by RecordId`.
import { createHash } from 'node:crypto';
import type { Assessment, AssessmentRecord } from '../build.js';
import { toIso } from '../build.js';
import { round } from '../units.js';

export type StreamKind = 'machines' | 'points' | 'assessments';

export type Row = Record<string, string | number | boolean | null>;

export function recordId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** One row per machine as discovered (configuration, not utilisation). */
export function machineRow(r: AssessmentRecord, asOf: string): Row {
  return {
    TimeGenerated: asOf,
    RecordId: recordId('machine', r.id, asOf),
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
    StorageGiB: round(r.disks.reduce((s, d) => s + d.sizeGiB, 0), 2),
    Nics: r.nics.length,
    IpAddresses: r.ipAddresses.join(','),
    Firmware: r.firmware,
    Datacenter: r.datacenter,
    Cluster: r.cluster,
    Host: r.host,
  };
}

/** One row per machine of the assessment: readiness, the recommended size, its cost and the utilisation it used. */
export function assessmentRow(r: AssessmentRecord, a: Pick<Assessment, 'asOf' | 'properties' | 'catalog'>): Row {
  const p = r.performance;
  const sum = (vals: (number | null)[]) => (vals.every((v) => v === null) ? null : round(vals.reduce<number>((s, v) => s + (v ?? 0), 0), 3));
  return {
    TimeGenerated: a.asOf,
    // Two assessments of one machine at one time differ only by their properties, so those are part of the id.
    RecordId: recordId('assessment', r.id, a.asOf, propertiesKey(a.properties)),
    AssessmentAsOf: a.asOf,
    MachineId: r.id,
    Name: r.name,
    Region: a.catalog.region,
    SizingCriterion: a.properties.sizingCriterion,
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
  };
}

function propertiesKey(p: Assessment['properties']): string {
  return [p.sizingCriterion, p.percentile, p.history, p.comfortFactor, p.targetRegion, p.storageType].join('/');
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
  return {
    TimeGenerated: t,
    RecordId: recordId('point', p.machine, p.metric, p.instance, p.windowStart),
    MachineId: p.machine,
    Metric: p.metric,
    Instance: p.instance,
    Peak: p.peak,
    Samples: p.samples,
  };
}

/** Rows in groups of at most `size` (each group becomes one outbox batch). */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
