// PerformanceManager.perfCounter as a vCenter 7 reports it (keys, names, units, rollup and stats
// types captured from a real vCenter with `govc object.collect PerformanceManager:PerfMgr perfCounter`,
// as kept in govmomi's simulator/vpx). Clients must look counters up by name: the keys differ
// between vCenter and ESXi, and the list holds none/minimum/maximum rollups next to the average.

export interface CounterInfo {
  key: number;
  group: string;
  name: string;
  rollup: 'none' | 'average' | 'minimum' | 'maximum' | 'summation' | 'latest';
  unit: string;
  statsType: 'rate' | 'absolute' | 'delta';
  level: number;
  perDeviceLevel: number;
  label: string;
  summary: string;
  groupLabel: string;
  unitLabel: string;
  unitSummary: string;
}

type Row = [number, string, string, CounterInfo['rollup'], string, CounterInfo['statsType'], number, number, string, string, string, string, string];

const ROWS: Row[] = [
  [1, 'cpu', 'usage', 'none', 'percent', 'rate', 4, 4, 'Usage', 'CPU usage as a percentage during the interval', 'CPU', '%', 'Percentage'],
  [2, 'cpu', 'usage', 'average', 'percent', 'rate', 1, 3, 'Usage', 'CPU usage as a percentage during the interval', 'CPU', '%', 'Percentage'],
  [3, 'cpu', 'usage', 'minimum', 'percent', 'rate', 4, 4, 'Usage', 'CPU usage as a percentage during the interval', 'CPU', '%', 'Percentage'],
  [4, 'cpu', 'usage', 'maximum', 'percent', 'rate', 4, 4, 'Usage', 'CPU usage as a percentage during the interval', 'CPU', '%', 'Percentage'],
  [6, 'cpu', 'usagemhz', 'average', 'megaHertz', 'rate', 1, 3, 'Usage in MHz', 'CPU usage in megahertz during the interval', 'CPU', 'MHz', 'Megahertz'],
  [24, 'mem', 'usage', 'average', 'percent', 'absolute', 1, 3, 'Host consumed %', 'Percentage of host physical memory that has been consumed', 'Memory', '%', 'Percentage'],
  [25, 'mem', 'usage', 'minimum', 'percent', 'absolute', 4, 4, 'Host consumed %', 'Percentage of host physical memory that has been consumed', 'Memory', '%', 'Percentage'],
  [26, 'mem', 'usage', 'maximum', 'percent', 'absolute', 4, 4, 'Host consumed %', 'Percentage of host physical memory that has been consumed', 'Memory', '%', 'Percentage'],
  [125, 'disk', 'usage', 'average', 'kiloBytesPerSecond', 'rate', 1, 3, 'Usage', 'Aggregated disk I/O rate. For hosts, this metric includes the rates for all virtual machines running on the host during the collection interval.', 'Disk', 'KBps', 'Kilobytes per second'],
  [143, 'net', 'usage', 'average', 'kiloBytesPerSecond', 'rate', 1, 3, 'Usage', 'Network utilization (combined transmit-rates and receive-rates) during the interval', 'Network', 'KBps', 'Kilobytes per second'],
  [146, 'net', 'packetsRx', 'summation', 'number', 'delta', 2, 3, 'Packets received', 'Number of packets received during the interval', 'Network', 'num', 'Number'],
  [147, 'net', 'packetsTx', 'summation', 'number', 'delta', 2, 3, 'Packets transmitted', 'Number of packets transmitted during the interval', 'Network', 'num', 'Number'],
  [148, 'net', 'received', 'average', 'kiloBytesPerSecond', 'rate', 2, 3, 'Data receive rate', 'Average rate at which data was received during the interval', 'Network', 'KBps', 'Kilobytes per second'],
  [149, 'net', 'transmitted', 'average', 'kiloBytesPerSecond', 'rate', 2, 3, 'Data transmit rate', 'Average rate at which data was transmitted during the interval', 'Network', 'KBps', 'Kilobytes per second'],
  [171, 'virtualDisk', 'numberReadAveraged', 'average', 'number', 'rate', 1, 3, 'Average read requests per second', 'Average number of read commands issued per second to the virtual disk during the collection interval', 'Virtual disk', 'num', 'Number'],
  [172, 'virtualDisk', 'numberWriteAveraged', 'average', 'number', 'rate', 1, 3, 'Average write requests per second', 'Average number of write commands issued per second to the virtual disk during the collection interval', 'Virtual disk', 'num', 'Number'],
  [173, 'virtualDisk', 'read', 'average', 'kiloBytesPerSecond', 'rate', 2, 2, 'Read rate', 'Rate of reading data from the virtual disk', 'Virtual disk', 'KBps', 'Kilobytes per second'],
  [174, 'virtualDisk', 'write', 'average', 'kiloBytesPerSecond', 'rate', 2, 2, 'Write rate', 'Rate of writing data to the virtual disk', 'Virtual disk', 'KBps', 'Kilobytes per second'],
  [175, 'virtualDisk', 'totalReadLatency', 'average', 'millisecond', 'absolute', 1, 3, 'Read latency', 'The average time a read from the virtual disk takes', 'Virtual disk', 'ms', 'Millisecond'],
  [176, 'virtualDisk', 'totalWriteLatency', 'average', 'millisecond', 'absolute', 1, 3, 'Write latency', 'The average time a write to the virtual disk takes', 'Virtual disk', 'ms', 'Millisecond'],
];

export const COUNTERS: CounterInfo[] = ROWS.map(([key, group, name, rollup, unit, statsType, level, perDeviceLevel, label, summary, groupLabel, unitLabel, unitSummary]) => ({
  key, group, name, rollup, unit, statsType, level, perDeviceLevel, label, summary, groupLabel, unitLabel, unitSummary,
}));

export const COUNTER_BY_KEY = new Map(COUNTERS.map((c) => [c.key, c]));

export function counterName(c: CounterInfo): string {
  return `${c.group}.${c.name}.${c.rollup}`;
}

/** vCenter's default statistics intervals (PerformanceManager.historicalInterval). */
export const HISTORICAL_INTERVALS = [
  { key: 1, samplingPeriod: 300, name: 'Past day', length: 86_400, level: 1, enabled: true },
  { key: 2, samplingPeriod: 1800, name: 'Past week', length: 604_800, level: 1, enabled: true },
  { key: 3, samplingPeriod: 7200, name: 'Past month', length: 2_592_000, level: 1, enabled: true },
  { key: 4, samplingPeriod: 86_400, name: 'Past year', length: 31_536_000, level: 1, enabled: true },
];

/** The realtime refresh rate and how many realtime samples a vCenter keeps (one hour). */
export const REALTIME_INTERVAL_SEC = 20;
export const REALTIME_SAMPLES = 180;
