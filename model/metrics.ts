// The metric vocabulary every collector emits: the unit is part of the name, converted once at the collector's edge.

/** The shared metric vocabulary; the unit is part of the name and is converted once, at the collector's edge. */
export const MACHINE_METRICS = ['cpu.usage.percent', 'memory.usage.percent'] as const;
export const DISK_METRICS = ['disk.read.bytesPerSec', 'disk.write.bytesPerSec', 'disk.read.opsPerSec', 'disk.write.opsPerSec'] as const;
export const NIC_METRICS = ['net.received.bytesPerSec', 'net.transmitted.bytesPerSec'] as const;
export const METRICS = [...MACHINE_METRICS, ...DISK_METRICS, ...NIC_METRICS] as const;

export type MachineMetric = (typeof MACHINE_METRICS)[number];
export type DiskMetric = (typeof DISK_METRICS)[number];
export type NicMetric = (typeof NIC_METRICS)[number];
export type MetricName = (typeof METRICS)[number];

export function isMetricName(value: string): value is MetricName {
  return (METRICS as readonly string[]).includes(value);
}

/** Which kind of instance a metric is reported per: the whole machine (instance ""), a disk id or a NIC id. */
export function metricScope(metric: MetricName): 'machine' | 'disk' | 'nic' {
  if ((DISK_METRICS as readonly string[]).includes(metric)) return 'disk';
  if ((NIC_METRICS as readonly string[]).includes(metric)) return 'nic';
  return 'machine';
}
