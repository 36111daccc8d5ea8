// The assessment builder (pure): inventory + percentile report + properties + catalogue -> one
// record per machine with its metadata, every series' percentile, effective utilisation, data-point
// availability and confidence, readiness with reasons, and right-sizing.
import type { Machine, MetricName } from '../model/index.js';
import { DISK_METRICS, MACHINE_METRICS, NIC_METRICS } from '../model/index.js';
import type { Catalog, CatalogInfo } from './catalog.js';
import { confidenceStars, dataPointsPercent } from '../rollup/peak-statistics.js';
import type { PercentileReport, SeriesReport } from './percentile-input.js';
import { DISPLAY, expectedPointsFor, type AssessmentProperties } from './properties.js';
import { assessReadiness, type Readiness } from './readiness.js';
import { notSized, sizeMachine, type DiskDemand, type Sizing } from './sizing.js';
import { bytesPerSecToMBps, bytesToGiB, round } from './units.js';

export const ASSESSMENT_SCHEMA_VERSION = '1.0';

export interface SeriesValue {
  metric: MetricName;
  instance: string;
  points: number;
  expectedPoints: number;
  /** The chosen percentile of the 10-minute peaks, in the metric's unit; null without points. */
  value: number | null;
  /** value x comfort factor. */
  effective: number | null;
}

export interface AssessmentRecord {
  id: string;
  name: string;
  source: string;
  kind: Machine['kind'];
  moref: string | null;
  biosUuid: string | null;
  instanceId: string;
  datacenter: string | null;
  cluster: string | null;
  host: string | null;
  powerState: Machine['powerState'];
  os: { name: string | null; id: string | null; version: string | null; architecture: 'x64' | 'x86' | null };
  firmware: Machine['firmware'];
  cpuCores: number;
  memoryMB: number;
  disks: { id: string; label: string | null; sizeGiB: number }[];
  nics: { id: string; mac: string | null; network: string | null }[];
  ipAddresses: string[];
  /** Percentile values in export units (percent, ops/s, MB/s); null where there is no data. */
  performance: {
    cpuPercent: number | null;
    memoryPercent: number | null;
    disks: { id: string; readOps: number | null; writeOps: number | null; readMBps: number | null; writeMBps: number | null }[];
    nics: { id: string; receivedMBps: number | null; transmittedMBps: number | null }[];
  };
  series: SeriesValue[];
  dataPointsPercent: number;
  /** Performance-based assessments only (Azure Migrate assigns none to as-on-premises). */
  confidenceStars: number | null;
  readiness: Readiness;
  sizing: Sizing;
}

export interface Assessment {
  schemaVersion: string;
  kind: 'assessment';
  asOf: string;
  generatedAt: string;
  properties: AssessmentProperties & { display: Record<string, string> };
  catalog: { region: string; currency: string; vmSizes: Omit<CatalogInfo, 'file'>; diskTiers: Omit<CatalogInfo, 'file'> };
  summary: {
    machines: number;
    readiness: Record<string, number>;
    sized: number;
    monthlyCost: { compute: number; storage: number; currency: string };
  };
  machines: AssessmentRecord[];
}

const key = (metric: string, instance: string) => `${metric}\u0000${instance}`;

export function toIso(t: string | number | Date): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${String(t)}`);
  return d.toISOString();
}

export function assessMachine(
  m: Machine,
  report: SeriesReport[] | undefined,
  props: AssessmentProperties,
  catalog: Catalog,
): AssessmentRecord {
  const perf = props.sizingCriterion === 'performance-based';
  const cf = props.comfortFactor;
  const pKey = `p${props.percentile}` as 'p50' | 'p90' | 'p95' | 'p99';
  const expectedDefault = expectedPointsFor(props.history);
  const byKey = new Map((report ?? []).map((s) => [key(s.metric, s.instance), s]));

  const series: SeriesValue[] = [];
  const take = (metric: MetricName, instance: string): SeriesValue => {
    const s = byKey.get(key(metric, instance));
    const value = s && s.points > 0 ? (s[pKey] ?? null) : null;
    const v: SeriesValue = {
      metric,
      instance,
      points: s?.points ?? 0,
      expectedPoints: s?.expectedPoints ?? expectedDefault,
      value: value === null ? null : round(value, 4),
      effective: value === null ? null : round(value * cf, 4),
    };
    series.push(v);
    return v;
  };
  // Destructuring the constant tuples keeps every series named (and taken in the vocabulary's order).
  const [cpuMetric, memMetric] = MACHINE_METRICS;
  const [readBytes, writeBytes, readOps, writeOps] = DISK_METRICS;
  const [received, transmitted] = NIC_METRICS;
  const cpu = take(cpuMetric, '');
  const mem = take(memMetric, '');
  const diskSeries = m.disks.map((d) => {
    const [rb, wb, ro, wo] = [take(readBytes, d.id), take(writeBytes, d.id), take(readOps, d.id), take(writeOps, d.id)];
    return { disk: d, rb, wb, ro, wo };
  });
  const nicSeries = m.nics.map((n) => ({ nic: n, rx: take(received, n.id), tx: take(transmitted, n.id) }));

  const pct = dataPointsPercent(series);
  const allocatedGB = m.memoryMB / 1024;
  const cpuKnown = perf && cpu.value !== null;
  const memKnown = perf && mem.value !== null;
  // Readiness compares utilised x comfort with the limits when there is history, else the allocation (2.4).
  const demandCores = perf && cpu.value !== null ? (m.cpuCores * cpu.value * cf) / 100 : m.cpuCores;
  const demandMemGB = perf && mem.value !== null ? (allocatedGB * mem.value * cf) / 100 : allocatedGB;
  const readiness = assessReadiness(m, {
    cores: demandCores,
    memoryGB: demandMemGB,
    coresBasis: cpuKnown ? 'utilised' : 'allocated',
    memoryBasis: memKnown ? 'utilised' : 'allocated',
  });

  const sum = (...vals: (number | null)[]) => (vals.every((v) => v === null) ? null : vals.reduce<number>((s, v) => s + (v ?? 0), 0));
  const disks: DiskDemand[] = diskSeries.map(({ disk, rb, wb, ro, wo }) => {
    const hasData = [rb, wb, ro, wo].some((s) => s.value !== null);
    return {
      id: disk.id,
      label: disk.label ?? null,
      sizeGiB: bytesToGiB(disk.capacityBytes),
      iops: hasData ? (sum(ro.effective, wo.effective) ?? 0) : null,
      mbps: hasData ? bytesPerSecToMBps(sum(rb.effective, wb.effective) ?? 0) : null,
    };
  });
  const txKnown = nicSeries.some((n) => n.tx.effective !== null);
  const sizingInput = {
    criterion: props.sizingCriterion,
    storageType: props.storageType,
    // Performance-based: utilised x comfort (allocated when a series has no data); as on-premises: allocated x comfort (5.1).
    cores: perf ? demandCores : m.cpuCores * cf,
    memoryGB: perf ? demandMemGB : allocatedGB * cf,
    disks,
    nics: m.nics.length,
    networkOutBytesPerSec: txKnown ? nicSeries.reduce((s, n) => s + (n.tx.effective ?? 0), 0) : null,
    needsGeneration2: m.firmware === 'uefi',
  };
  const sizing =
    readiness.category === 'Not ready'
      ? notSized('Not ready for Azure: Azure Migrate sizes and prices only machines that pass readiness.', sizingInput, catalog)
      : sizeMachine(sizingInput, catalog);

  const mbps = (v: SeriesValue) => (v.value === null ? null : round(bytesPerSecToMBps(v.value), 4));
  return {
    id: m.id,
    name: m.name,
    source: m.source,
    kind: m.kind,
    moref: m.moref,
    biosUuid: m.biosUuid,
    instanceId: m.instanceId,
    datacenter: m.datacenter,
    cluster: m.cluster,
    host: m.host,
    powerState: m.powerState,
    os: { name: m.os.name, id: m.os.id, version: m.os.version ?? null, architecture: m.os.architecture ?? null },
    firmware: m.firmware,
    cpuCores: m.cpuCores,
    memoryMB: m.memoryMB,
    disks: m.disks.map((d) => ({ id: d.id, label: d.label ?? null, sizeGiB: round(bytesToGiB(d.capacityBytes)) })),
    nics: m.nics.map((n) => ({ id: n.id, mac: n.mac, network: n.network ?? null })),
    ipAddresses: [...m.ipAddresses],
    performance: {
      cpuPercent: cpu.value,
      memoryPercent: mem.value,
      disks: diskSeries.map(({ disk, rb, wb, ro, wo }) => ({
        id: disk.id,
        readOps: ro.value,
        writeOps: wo.value,
        readMBps: mbps(rb),
        writeMBps: mbps(wb),
      })),
      nics: nicSeries.map(({ nic, rx, tx }) => ({ id: nic.id, receivedMBps: mbps(rx), transmittedMBps: mbps(tx) })),
    },
    series,
    dataPointsPercent: pct,
    confidenceStars: perf ? confidenceStars(pct) : null,
    readiness,
    sizing,
  };
}

export interface BuildOptions {
  machines: Machine[];
  percentiles: PercentileReport | null;
  properties: AssessmentProperties;
  catalog: Catalog;
  /** End of the performance window; defaults to the report's asOf. */
  asOf?: string | number | Date;
  generatedAt?: string | number | Date;
}

export function buildAssessment(o: BuildOptions): Assessment {
  const reports = new Map((o.percentiles?.machines ?? []).map((r) => [r.id, r.series]));
  const machines = [...o.machines]
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
    .map((m) => assessMachine(m, reports.get(m.id), o.properties, o.catalog));
  const readiness: Record<string, number> = { Ready: 0, 'Conditionally ready': 0, 'Not ready': 0, 'Readiness unknown': 0 };
  let compute = 0;
  let storage = 0;
  for (const r of machines) {
    readiness[r.readiness.category] = (readiness[r.readiness.category] ?? 0) + 1;
    compute += r.sizing.monthlyCost.compute ?? 0;
    storage += r.sizing.monthlyCost.storage ?? 0;
  }
  const p = o.properties;
  const { file: _vf, ...vmInfo } = o.catalog.info.vmSizes;
  const { file: _df, ...diskInfo } = o.catalog.info.diskTiers;
  return {
    schemaVersion: ASSESSMENT_SCHEMA_VERSION,
    kind: 'assessment',
    asOf: toIso(o.asOf ?? o.percentiles?.asOf ?? Date.now()),
    generatedAt: toIso(o.generatedAt ?? Date.now()),
    properties: {
      ...p,
      display: {
        sizingCriterion: DISPLAY.sizingCriterion[p.sizingCriterion],
        percentile: DISPLAY.percentile(p.percentile),
        history: DISPLAY.history[p.history],
        comfortFactor: `${p.comfortFactor}x`,
        targetRegion: p.targetRegion,
        storageType: DISPLAY.storageType[p.storageType],
      },
    },
    catalog: { region: o.catalog.region, currency: o.catalog.currency, vmSizes: vmInfo, diskTiers: diskInfo },
    summary: {
      machines: machines.length,
      readiness,
      sized: machines.filter((r) => r.sizing.status === 'sized').length,
      monthlyCost: { compute: round(compute, 2), storage: round(storage, 2), currency: o.catalog.currency },
    },
    machines,
  };
}
