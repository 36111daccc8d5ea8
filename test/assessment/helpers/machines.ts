// Hand-built machines and percentile series for the golden tests.
import type { Machine, MetricName } from '../../../model/index.js';
import type { SeriesReport } from '../../../assessment/percentile-input.js';

const GIB = 1024 ** 3;

export function machine(over: Partial<Machine> & { diskGiB?: number[]; nicCount?: number } = {}): Machine {
  const { diskGiB = [100], nicCount = 1, ...rest } = over;
  const name = rest.name ?? 'vm';
  return {
    id: `vmware:vc01:${name}`,
    source: 'vc01',
    kind: 'vmware',
    name,
    moref: 'vm-1',
    biosUuid: null,
    instanceId: `inst-${name}`,
    cpuCores: 4,
    memoryMB: 16_384,
    os: { name: 'Microsoft Windows Server 2019 (64-bit)', id: 'windows2019srv_64Guest', version: null, architecture: 'x64' },
    firmware: 'bios',
    powerState: 'poweredOn',
    host: 'esx01',
    cluster: 'Prod',
    datacenter: 'DC',
    disks: diskGiB.map((g, i) => ({ id: String(2000 + i), capacityBytes: g * GIB, label: `Hard disk ${i + 1}` })),
    nics: Array.from({ length: nicCount }, (_, i) => ({
      id: String(4000 + i),
      mac: `00:50:56:00:00:${(i + 16).toString(16)}`,
      network: 'VM Network',
    })),
    ipAddresses: [],
    ...rest,
  };
}

/** A series whose every percentile is `value` (so the chosen percentile is exact), with `points` of `expected`. */
export function series(metric: MetricName, instance: string, value: number, points = 144, expectedPoints = 144): SeriesReport {
  return { metric, instance, points, expectedPoints, p50: value / 2, p90: value * 0.9, p95: value, p99: value * 1.1, max: value * 1.2 };
}

export const MiB = 1024 * 1024;
