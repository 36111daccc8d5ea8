import { DISK_METRICS, MACHINE_METRICS, NIC_METRICS, type Machine, type MetricName } from '../model/index.js';

/** One series: a machine's metric for one instance ("" for machine-wide, disk id, NIC id). */
export interface SeriesId {
  machine: string;
  metric: MetricName;
  instance: string;
}

/** Short codes keep the many point keys small in Redis; fixed here so reordering METRICS changes nothing. */
export const METRIC_CODES: Record<MetricName, string> = {
  'cpu.usage.percent': 'cpu',
  'memory.usage.percent': 'mem',
  'disk.read.bytesPerSec': 'drb',
  'disk.write.bytesPerSec': 'dwb',
  'disk.read.opsPerSec': 'dro',
  'disk.write.opsPerSec': 'dwo',
  'net.received.bytesPerSec': 'nrb',
  'net.transmitted.bytesPerSec': 'ntb',
};

/** The series an assessment needs for a machine: CPU, memory, four per disk, two per NIC. */
export function requiredSeries(m: Pick<Machine, 'id' | 'disks' | 'nics'>): SeriesId[] {
  const out: SeriesId[] = MACHINE_METRICS.map((metric) => ({ machine: m.id, metric, instance: '' }));
  for (const d of m.disks) for (const metric of DISK_METRICS) out.push({ machine: m.id, metric, instance: d.id });
  for (const n of m.nics) for (const metric of NIC_METRICS) out.push({ machine: m.id, metric, instance: n.id });
  return out;
}
