// PerformanceManager: QueryPerf (realtime, intervalId 20, "normal" format), QueryAvailablePerfMetric,
// QueryPerfProviderSummary and QueryPerfCounter. Samples are computed per 20-s slot from the estate
// workload (lab/vcenter/truth.ts), never stored: a QueryPerf over 50 VMs x 180 samples is streamed
// entity by entity.
//
// Instances, as a real vCenter names them for a VM:
// - cpu.usage, cpu.usagemhz, mem.usage, disk.usage: "" (the VM as a whole);
// - virtualDisk.*: "scsi<bus>:<unit>" of the disk (diskSlot(): disk i of the estate sits on bus
//   floor(i/15), unit 0-6, 8-15), there is no "" aggregate;
// - net.*: the NIC's device key ("4000", "4001" ...), plus "" = the sum over the VM's NICs.
// Timestamps are the END of each 20-s interval, on 20-s boundaries, for the last hour (180 samples).
import type { EstateVm, WorkloadKey } from '../estate.js';
import { COUNTER_BY_KEY, HISTORICAL_INTERVALS, REALTIME_INTERVAL_SEC, REALTIME_SAMPLES } from './perf-counters.js';
import { HOST_CPU_MHZ, diskSlot, seriesRate, toHundredths, toKBps, toOps } from './truth.js';
import { faults } from './soap.js';
import type { LabInventory } from './model.js';
import { parseMoRef } from './property-collector.js';
import { escapeXml as esc } from '../../common/xml/escape.js';
import { child, childText, children, type XmlNode } from '../../common/xml/reader.js';
import { isoTime } from './iso-time.js';

const SLOT_MS = REALTIME_INTERVAL_SEC * 1000;

export interface PerfSeries {
  counterId: number;
  instance: string;
  /** The integer vCenter reports for the sample stamped `endMs`. */
  value(endMs: number): number;
}

/** Every realtime series a powered-on VM has; empty for a VM that is off (or a template). */
export function vmSeries(seed: number, vm: EstateVm): PerfSeries[] {
  if (vm.powerState !== 'poweredOn' || vm.template) return [];
  const rate = (series: WorkloadKey, instance: string) => seriesRate(seed, vm, series, instance);
  const cpu = rate('cpu', '');
  const mem = rate('memory', '');
  const disks = vm.disks.map((d, i) => ({
    instance: diskSlot(i).instance,
    readBytes: rate('diskReadBytesPerSec', d.id),
    writeBytes: rate('diskWriteBytesPerSec', d.id),
    readOps: rate('diskReadOpsPerSec', d.id),
    writeOps: rate('diskWriteOpsPerSec', d.id),
  }));
  const nics = vm.nics.map((n) => ({ id: n.id, rx: rate('netReceivedBytesPerSec', n.id), tx: rate('netTransmittedBytesPerSec', n.id) }));
  const out: PerfSeries[] = [
    { counterId: 2, instance: '', value: (t) => toHundredths(cpu(t)) },
    { counterId: 6, instance: '', value: (t) => Math.round((cpu(t) / 100) * vm.cpus * HOST_CPU_MHZ) },
    { counterId: 24, instance: '', value: (t) => toHundredths(mem(t)) },
    { counterId: 125, instance: '', value: (t) => disks.reduce((s, d) => s + toKBps(d.readBytes(t)) + toKBps(d.writeBytes(t)), 0) },
  ];
  for (const d of disks) {
    out.push(
      { counterId: 171, instance: d.instance, value: (t) => toOps(d.readOps(t)) },
      { counterId: 172, instance: d.instance, value: (t) => toOps(d.writeOps(t)) },
      { counterId: 173, instance: d.instance, value: (t) => toKBps(d.readBytes(t)) },
      { counterId: 174, instance: d.instance, value: (t) => toKBps(d.writeBytes(t)) },
    );
  }
  const sum = (f: (n: (typeof nics)[number], t: number) => number) => (t: number) => nics.reduce((s, n) => s + f(n, t), 0);
  const rx = (n: (typeof nics)[number], t: number) => toKBps(n.rx(t));
  const tx = (n: (typeof nics)[number], t: number) => toKBps(n.tx(t));
  if (nics.length) {
    out.push(
      { counterId: 148, instance: '', value: sum(rx) },
      { counterId: 149, instance: '', value: sum(tx) },
      { counterId: 143, instance: '', value: sum((n, t) => rx(n, t) + tx(n, t)) },
    );
  }
  for (const n of nics) {
    out.push(
      { counterId: 148, instance: n.id, value: (t) => rx(n, t) },
      { counterId: 149, instance: n.id, value: (t) => tx(n, t) },
      { counterId: 143, instance: n.id, value: (t) => rx(n, t) + tx(n, t) },
    );
  }
  return out;
}

export interface PerfWindowOptions {
  now: number;
  /** Seconds after a slot ends before its sample is visible (vCenter posts late under load). */
  latencySec: number;
}

/** The sample timestamps a realtime query returns: startTime exclusive, endTime inclusive, newest maxSample. */
export function sampleTimes(
  o: PerfWindowOptions,
  startMs: number | undefined,
  endMs: number | undefined,
  maxSample: number | undefined,
): number[] {
  const latest = Math.floor((o.now - o.latencySec * 1000) / SLOT_MS) * SLOT_MS;
  const oldest = latest - (REALTIME_SAMPLES - 1) * SLOT_MS;
  let first = oldest;
  if (startMs !== undefined) first = Math.max(first, (Math.floor(startMs / SLOT_MS) + 1) * SLOT_MS);
  let last = latest;
  if (endMs !== undefined) last = Math.min(last, Math.floor(endMs / SLOT_MS) * SLOT_MS);
  if (maxSample !== undefined && maxSample > 0) first = Math.max(first, last - (maxSample - 1) * SLOT_MS);
  const out: number[] = [];
  for (let t = first; t <= last; t += SLOT_MS) out.push(t);
  return out;
}

function parseTime(text: string | undefined, what: string): number | undefined {
  if (!text) return undefined;
  // xsd:dateTime without a zone is UTC here, as vCenter reads it.
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw faults.invalidArgument(what, `not an xsd:dateTime: ${text}`);
  return ms;
}

interface MetricId {
  counterId: number;
  instance: string;
}

function selectSeries(all: PerfSeries[], wanted: MetricId[] | null): PerfSeries[] {
  if (!wanted) return all;
  const out: PerfSeries[] = [];
  const seen = new Set<PerfSeries>();
  for (const w of wanted) {
    for (const s of all) {
      if (s.counterId !== w.counterId || seen.has(s)) continue;
      if (w.instance === '*' || w.instance === s.instance) {
        seen.add(s);
        out.push(s);
      }
    }
  }
  return out;
}

interface QuerySpec {
  vm: EstateVm | null;
  series: PerfSeries[];
  times: number[];
  entityXml: string;
}

/** Validates a QueryPerf request fully (faults come before any byte is streamed). */
export function planQueryPerf(inv: LabInventory, body: XmlNode, window: PerfWindowOptions): QuerySpec[] {
  return children(body, 'querySpec').map((q) => {
    const entity = parseMoRef(child(q, 'entity'), 'querySpec.entity');
    if (!inv.exists(entity)) throw faults.notFound(entity);
    const format = childText(q, 'format');
    if (format && format !== 'normal') throw faults.notSupported(`QueryPerf format ${format} (the lab vCenter speaks "normal")`);
    const intervalText = childText(q, 'intervalId');
    const intervalId = intervalText ? Number(intervalText) : REALTIME_INTERVAL_SEC;
    const historical = HISTORICAL_INTERVALS.some((h) => h.samplingPeriod === intervalId);
    if (intervalId !== REALTIME_INTERVAL_SEC && !historical)
      throw faults.invalidArgument('querySpec.intervalId', `${intervalText} is not a refresh rate or statistics interval`);
    const maxText = childText(q, 'maxSample');
    const maxSample = maxText ? Number(maxText) : undefined;
    if (maxSample !== undefined && !Number.isInteger(maxSample)) throw faults.invalidArgument('querySpec.maxSample');
    const metricIds = children(q, 'metricId').map((m) => {
      const counterId = Number(childText(m, 'counterId'));
      if (!Number.isInteger(counterId)) throw faults.invalidArgument('querySpec.metricId.counterId');
      return { counterId, instance: childText(m, 'instance') ?? '' };
    });
    const start = parseTime(childText(q, 'startTime'), 'querySpec.startTime');
    const end = parseTime(childText(q, 'endTime'), 'querySpec.endTime');
    if (start !== undefined && end !== undefined && end < start)
      throw faults.invalidArgument('querySpec.endTime', 'endTime is before startTime');
    // The lab keeps realtime stats only: historical intervals (and hosts) answer with no samples.
    const vm = entity.type === 'VirtualMachine' && !historical ? (inv.vm(entity.value) ?? null) : null;
    const series = vm ? selectSeries(vmSeries(inv.estate.seed, vm), metricIds.length ? metricIds : null) : [];
    const times = series.length ? sampleTimes(window, start, end, maxSample) : [];
    return { vm, series, times, entityXml: `<entity type="${entity.type}">${esc(entity.value)}</entity>` };
  });
}

/** Streams QueryPerf's PerfEntityMetric list; entities without samples are left out, as vCenter does. */
export function* queryPerfXml(plan: QuerySpec[]): Generator<string> {
  for (const q of plan) {
    if (!q.times.length || !q.series.length) continue;
    let out = `<returnval xsi:type="PerfEntityMetric">${q.entityXml}`;
    for (const t of q.times)
      out += `<sampleInfo><timestamp>${isoTime(t)}</timestamp><interval>${REALTIME_INTERVAL_SEC}</interval></sampleInfo>`;
    for (const s of q.series) {
      out += `<value xsi:type="PerfMetricIntSeries"><id><counterId>${s.counterId}</counterId><instance>${esc(s.instance)}</instance></id>`;
      for (const t of q.times) out += `<value>${s.value(t)}</value>`;
      out += '</value>';
    }
    yield out + '</returnval>';
  }
}

/** QueryAvailablePerfMetric: the PerfMetricIds a VM has in realtime (none while it is off). */
export function availableMetricsXml(inv: LabInventory, body: XmlNode): string {
  const entity = parseMoRef(child(body, 'entity'), 'entity');
  if (!inv.exists(entity)) throw faults.notFound(entity);
  const vm = entity.type === 'VirtualMachine' ? (inv.vm(entity.value) ?? null) : null;
  const series = vm ? vmSeries(inv.estate.seed, vm) : [];
  return series.map((s) => `<returnval><counterId>${s.counterId}</counterId><instance>${esc(s.instance)}</instance></returnval>`).join('');
}

export function providerSummaryXml(inv: LabInventory, body: XmlNode): string {
  const entity = parseMoRef(child(body, 'entity'), 'entity');
  if (!inv.exists(entity)) throw faults.notFound(entity);
  const realtime = entity.type === 'VirtualMachine' || entity.type === 'HostSystem';
  return (
    `<returnval><entity type="${entity.type}">${esc(entity.value)}</entity><currentSupported>${realtime}</currentSupported>` +
    `<summarySupported>true</summarySupported>${realtime ? `<refreshRate>${REALTIME_INTERVAL_SEC}</refreshRate>` : ''}</returnval>`
  );
}

/** The counter ids QueryPerfCounter asks for that exist (unknown ids are skipped, like vCenter). */
export function requestedCounters(body: XmlNode): number[] {
  return children(body, 'counterId')
    .map((c) => Number(c.text.trim()))
    .filter((k) => COUNTER_BY_KEY.has(k));
}
