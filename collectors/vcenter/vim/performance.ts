// PerformanceManager (govmomi: performance.Manager): counter lookup, QueryPerf request and call.
import { child, textOf } from '../../../common/xml/reader.js';
import { el, moRef, type MoRef } from '../soap/xml.js';
import type { VimCaller } from './caller.js';
import { QueryPerfDecoder, type PerfSeriesConsumer } from './perf-decoder.js';
import { retrieveAll } from './property.js';

export type { PerfSeries, PerfSeriesConsumer } from './perf-decoder.js';

export interface PerfCounterInfo {
  key: number;
  group: string;
  name: string;
  rollup: string;
  /** unitInfo.key: percent, kiloBytesPerSecond, number ... */
  unit: string;
}

/** The name counters are known by across vCenters: "group.name.rollup" (cpu.usage.average). */
export function counterName(c: PerfCounterInfo): string {
  return `${c.group}.${c.name}.${c.rollup}`;
}

/** PerformanceManager.perfCounter: every counter this server defines (ids differ between servers). */
export async function perfCounters(caller: VimCaller, propertyCollector: MoRef, perfManager: MoRef): Promise<PerfCounterInfo[]> {
  const objects = await retrieveAll(caller, propertyCollector, {
    propSet: [{ type: 'PerformanceManager', pathSet: ['perfCounter'] }],
    objectSet: [{ obj: perfManager }],
  });
  const infos: PerfCounterInfo[] = [];
  for (const o of objects) {
    for (const info of o.props.get('perfCounter')?.children ?? []) {
      const group = textOf(child(info, 'groupInfo'), 'key');
      const name = textOf(child(info, 'nameInfo'), 'key');
      const rollup = textOf(info, 'rollupType');
      const key = Number(textOf(info, 'key'));
      if (group && name && rollup && Number.isFinite(key))
        infos.push({ key, group, name, rollup, unit: textOf(child(info, 'unitInfo'), 'key') ?? '' });
    }
  }
  return infos;
}

/** "group.name.rollup" -> counter id, for the lookup of known counters on one server. */
export function counterIds(infos: readonly PerfCounterInfo[]): Map<string, number> {
  return new Map(infos.map((c) => [counterName(c), c.key]));
}

export interface PerfMetricId {
  counterId: number;
  /** "" for the aggregate, "*" for every instance, or one instance. */
  instance: string;
}

export interface PerfQuerySpec {
  entity: MoRef;
  metricId: readonly PerfMetricId[];
  intervalId: number;
}

/** A PerfQuerySpec without its time window, serialized once and reused for many windows. */
export class PreparedQuerySpec {
  readonly head: string;
  readonly tail: string;
  constructor(spec: PerfQuerySpec) {
    let ids = '';
    for (const m of spec.metricId) ids += `<metricId>${el('counterId', m.counterId)}${el('instance', m.instance)}</metricId>`;
    this.head = `<querySpec>${moRef('entity', spec.entity)}`;
    this.tail = `${ids}${el('intervalId', spec.intervalId)}</querySpec>`;
  }
}

export interface PerfWindow {
  /** Epoch seconds; samples after start, up to and including end. */
  startSec: number;
  endSec: number;
  maxSample?: number;
}

export interface PerfQueryItem {
  spec: PreparedQuerySpec;
  window: PerfWindow;
}

function iso(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/** The QueryPerf arguments; entities sharing a window share its serialized time part. */
export function queryPerfBody(items: readonly PerfQueryItem[]): string {
  const times = new Map<string, string>();
  let body = '';
  for (const { spec, window: w } of items) {
    const key = `${w.startSec}/${w.endSec}/${w.maxSample ?? ''}`;
    let time = times.get(key);
    if (time === undefined) {
      time =
        el('startTime', iso(w.startSec)) + el('endTime', iso(w.endSec)) + (w.maxSample === undefined ? '' : el('maxSample', w.maxSample));
      times.set(key, time);
    }
    body += spec.head + time + spec.tail;
  }
  return body;
}

/** QueryPerf, decoded while it streams in: every series goes to `consumer` as it is read. */
export async function queryPerf(
  caller: VimCaller,
  perfManager: MoRef,
  items: readonly PerfQueryItem[],
  consumer: PerfSeriesConsumer,
): Promise<void> {
  await caller.callStream('QueryPerf', perfManager, queryPerfBody(items), new QueryPerfDecoder(consumer));
}
