import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../assessment/catalog.js';
import { assessMachine, buildAssessment } from '../../assessment/build.js';
import { classifyOs } from '../../assessment/os-table.js';
import { confidenceStars, dataPointsPercent } from '../../rollup/peak-statistics.js';
import { DEFAULT_PROPERTIES, resolveProperties, type AssessmentProperties } from '../../assessment/properties.js';
import { machine, MiB, series } from './helpers/machines.js';

const catalog = loadCatalog('westus2');
const perfProps: AssessmentProperties = { ...DEFAULT_PROPERTIES };
const GIB = 1024 ** 3;

const assess = (m = machine(), s = [] as ReturnType<typeof series>[], p = perfProps) => assessMachine(m, s, p, catalog);
const codes = (r: ReturnType<typeof assess>) => r.readiness.reasons.map((x) => x.code);

describe('readiness at every rule boundary (no performance data: allocated values, no comfort factor)', () => {
  it('128 cores is Ready, 129 is Not ready and gets no sizing', () => {
    const ok = assess(machine({ cpuCores: 128, memoryMB: 1024 * 1024 }));
    expect(ok.readiness).toEqual({ category: 'Ready', reasons: [] });
    expect(ok.sizing.status).toBe('sized');
    expect(ok.sizing.vmSize).toBe('Standard_M128s');
    const bad = assess(machine({ cpuCores: 129 }));
    expect(bad.readiness.category).toBe('Not ready');
    expect(codes(bad)).toEqual(['cores-over-limit']);
    expect(bad.readiness.reasons[0]!.message).toMatch(/129 allocated cores exceed the largest Azure VM \(128 cores\)/);
    expect(bad.sizing.status).toBe('not-sized');
    expect(bad.sizing.vmSize).toBeNull();
  });

  it('3892 GB of memory is Ready, 3893 GB is Not ready', () => {
    const ok = assess(machine({ cpuCores: 64, memoryMB: 3892 * 1024 }));
    expect(ok.readiness.category).toBe('Ready');
    expect(ok.sizing.vmSize).toBe('Standard_M128ms');
    expect(codes(assess(machine({ memoryMB: 3893 * 1024 })))).toEqual(['memory-over-limit']);
  });

  it('a 32,767 GiB (32 TB) disk is Ready; one byte-class larger is Not ready', () => {
    const ok = assess(machine({ diskGiB: [100, 32_767] }));
    expect(ok.readiness.category).toBe('Ready');
    expect(ok.sizing.disks[1]).toMatchObject({ tier: 'E80', type: 'standard-ssd', basis: 'size' });
    const bad = assess(machine({ diskGiB: [100, 32_768] }));
    expect(codes(bad)).toEqual(['disk-too-large']);
    expect(bad.readiness.reasons[0]!.message).toMatch(/Hard disk 2 is 32768 GiB/);
  });

  it('65 disks (OS disk included) is Ready, 66 is Not ready', () => {
    const ok = assess(machine({ diskGiB: Array(65).fill(10) }));
    expect(ok.readiness.category).toBe('Ready');
    // 64 data disks: only the M series takes them.
    expect(ok.sizing.vmSize).toBe('Standard_M64s');
    expect(codes(assess(machine({ diskGiB: Array(66).fill(10) })))).toEqual(['too-many-disks']);
  });

  it('32 NICs passes the NIC rule (but no catalogue size takes 32), 33 is Not ready', () => {
    const ok = assess(machine({ nicCount: 32 }));
    expect(ok.readiness.category).toBe('Ready');
    expect(ok.sizing.status).toBe('unsuitable');
    expect(ok.sizing.reasons).toEqual(['no VM size in the catalogue takes 32 network adapters']);
    expect(codes(assess(machine({ nicCount: 33 })))).toEqual(['too-many-nics']);
  });

  it('UEFI boot is Conditionally ready and sized on a generation 2 size', () => {
    const r = assess(machine({ firmware: 'uefi' }));
    expect(r.readiness.category).toBe('Conditionally ready');
    expect(codes(r)).toEqual(['boot-uefi']);
    expect(r.sizing.status).toBe('sized');
  });

  it('a 32-bit OS is Conditionally ready; the same OS in 64-bit is Ready', () => {
    const r32 = assess(machine({ os: { name: 'Microsoft Windows Server 2008 (32-bit)', id: 'winLonghornGuest', architecture: null } }));
    expect(r32.readiness.category).toBe('Conditionally ready');
    expect(codes(r32)).toEqual(['os-32-bit']);
    const r64 = assess(machine({ os: { name: 'Microsoft Windows Server 2008 (64-bit)', id: 'winLonghorn64Guest', architecture: null } }));
    expect(r64.readiness.category).toBe('Ready');
    expect(codes(assess(machine({ os: { name: 'Windows Server 2012', id: null, architecture: 'x86' } })))).toEqual(['os-32-bit']);
  });

  it('VMware "Other" OS is Readiness unknown, as is an OS nobody reported; Not ready outranks unknown', () => {
    const other = assess(machine({ os: { name: 'Other (64-bit)', id: 'otherGuest64' } }));
    expect(other.readiness.category).toBe('Readiness unknown');
    expect(codes(other)).toEqual(['os-vmware-other']);
    expect(other.sizing.status).toBe('sized');
    expect(assess(machine({ os: { name: null, id: 'otherGuest' } })).readiness.category).toBe('Readiness unknown');
    expect(assess(machine({ os: { name: null, id: null } })).readiness.reasons[0]!.code).toBe('os-os-not-reported');
    const both = assess(machine({ os: { name: 'Other (32-bit)', id: 'otherGuest' }, nicCount: 40 }));
    expect(both.readiness.category).toBe('Not ready');
    expect(codes(both)).toEqual(['too-many-nics', 'os-vmware-other', 'os-32-bit']);
  });

  it('missing core or memory metadata is Readiness unknown', () => {
    expect(assess(machine({ cpuCores: 0 })).readiness).toMatchObject({
      category: 'Readiness unknown',
      reasons: [{ code: 'metadata-missing' }],
    });
  });

  it('with performance history, cores and memory are compared as utilised x comfort factor', () => {
    const m = machine({ cpuCores: 200, memoryMB: 8192 * 1024 });
    // 200 cores at 40 % x 1.3 = 104 cores; 8192 GB at 30 % x 1.3 = 3194.9 GB: both within the limits.
    const r = assess(m, [series('cpu.usage.percent', '', 40), series('memory.usage.percent', '', 30)]);
    expect(r.readiness.category).toBe('Ready');
    expect(r.sizing.effective.cores).toBe(104);
    expect(r.sizing.vmSize).toBe('Standard_M128ms');
    // 50 % x 1.3 = 130 cores: Not ready.
    const hot = assess(m, [series('cpu.usage.percent', '', 50), series('memory.usage.percent', '', 30)]);
    expect(codes(hot)).toEqual(['cores-over-limit']);
    expect(hot.readiness.reasons[0]!.message).toMatch(/^130 utilised cores exceed/);
    // CPU history without memory history: cores utilised, memory allocated (8192 GB > 3892 GB).
    const mixed = assess(m, [series('cpu.usage.percent', '', 10)]);
    expect(mixed.readiness.reasons.map((x) => x.message)).toEqual([expect.stringMatching(/^8192 GB allocated memory exceeds/)]);
  });
});

describe('guest OS table', () => {
  const cases: [string | null, string | null, string][] = [
    ['Microsoft Windows Server 2019 (64-bit)', null, 'ready'],
    ['Windows Server 2022 Datacenter', null, 'ready'],
    ['Microsoft Windows Server 2012 R2 (64-bit)', null, 'ready'],
    ['Microsoft Windows Server 2003 Standard (32-bit)', null, 'conditional'],
    ['Microsoft Windows 10 (64-bit)', null, 'conditional'],
    ['Microsoft Windows XP Professional (32-bit)', null, 'conditional'],
    ['Microsoft Windows NT', null, 'conditional'],
    ['Red Hat Enterprise Linux 8 (64-bit)', null, 'ready'],
    ['Red Hat Enterprise Linux 5 (64-bit)', null, 'conditional'],
    ['CentOS 4/5 or later (64-bit)', null, 'conditional'],
    ['CentOS 7 (64-bit)', null, 'ready'],
    ['Ubuntu Linux (64-bit)', null, 'ready'],
    ['Ubuntu 20.04.3 LTS', null, 'ready'],
    ['Debian GNU/Linux 6 (64-bit)', null, 'conditional'],
    ['Debian GNU/Linux 11 (64-bit)', null, 'ready'],
    ['SUSE Linux Enterprise 15 (64-bit)', null, 'ready'],
    ['SUSE Linux Enterprise 10 (64-bit)', null, 'conditional'],
    ['Other 4.x or later Linux (64-bit)', null, 'conditional'],
    ['FreeBSD 12 (64-bit)', null, 'conditional'],
    ['VMware Photon OS (64-bit)', null, 'conditional'],
    ['Debian GNU/Linux 12 (bookworm)', null, 'ready'],
    ['Oracle Linux Server 8.7', null, 'ready'],
    ['Microsoft Windows Server 2016 or later (64-bit)', null, 'ready'],
    ['Oracle Solaris 11 (64-bit)', null, 'conditional'],
    ['Other (64-bit)', null, 'unknown'],
    [null, 'otherGuest64', 'unknown'],
    ['Plan 9 from Bell Labs', null, 'unknown'],
  ];
  it.each(cases)('%s / %s -> %s', (name, id, support) => {
    expect(classifyOs({ name, id }).support).toBe(support);
  });
});

describe('performance-based right-sizing: storage, then network, then compute', () => {
  // 4 cores / 16 GB at 50 %; disk 2000 at 300+100 IOPS and 10+5 MB/s; disk 2001 without data; 1 MB/s out.
  const m = machine({ diskGiB: [100, 200] });
  const s = [
    series('cpu.usage.percent', '', 50),
    series('memory.usage.percent', '', 50),
    series('disk.read.opsPerSec', '2000', 300),
    series('disk.write.opsPerSec', '2000', 100),
    series('disk.read.bytesPerSec', '2000', 10 * MiB),
    series('disk.write.bytesPerSec', '2000', 5 * MiB),
    series('net.received.bytesPerSec', '4000', 3_000_000),
    series('net.transmitted.bytesPerSec', '4000', 1_000_000),
  ];

  it('picks the cheapest disk that meets effective IOPS and MB/s, standard SSD without data, then the cheapest VM', () => {
    const r = assess(m, s);
    // Effective disk demand: (300+100) x 1.3 = 520 IOPS, 15 x 1.3 = 19.5 MB/s: P10 (500 IOPS) is too slow, every
    // standard SSD below E60 and HDD below S60 too; P15 ($38.01) is the cheapest that meets it.
    expect(r.sizing.disks[0]).toMatchObject({
      id: '2000',
      basis: 'performance',
      effectiveIops: 520,
      effectiveMBps: 19.5,
      tier: 'P15',
      type: 'premium',
      monthlyCost: 38.01,
    });
    // No data: sized by size on standard SSD: 200 GiB -> E15 (256 GiB).
    expect(r.sizing.disks[1]).toMatchObject({
      id: '2001',
      basis: 'size',
      effectiveIops: null,
      tier: 'E15',
      type: 'standard-ssd',
      monthlyCost: 19.2,
    });
    // Network: 1,000,000 B/s x 1.3 x 8 = 10.4 Mbit/s.
    expect(r.sizing.network).toEqual({ nics: 1, effectiveOutMbps: 10.4, vmBandwidthMbps: 12500 });
    // Compute: 4 x 50 % x 1.3 = 2.6 cores, 16 x 50 % x 1.3 = 10.4 GB -> 4 vCPUs; F4s_v2 has 8 GiB, D4s_v5 fits at $0.192/h.
    expect(r.sizing).toMatchObject({ status: 'sized', vmSize: 'Standard_D4s_v5', vCPUs: 4, memoryGiB: 16 });
    expect(r.sizing.effective).toEqual({ cores: 2.6, memoryGB: 10.4, diskIops: 520, diskMBps: 19.5, networkOutMbps: 10.4 });
    expect(r.sizing.monthlyCost).toEqual({ compute: 140.16, storage: 57.21, total: 197.37, currency: 'USD', hoursPerMonth: 730 });
    // Percentile values and effective utilisation for every series.
    expect(r.series).toHaveLength(2 + 2 * 4 + 2);
    expect(r.series.find((x) => x.metric === 'cpu.usage.percent')).toMatchObject({ value: 50, effective: 65, points: 144 });
    expect(r.performance.disks[0]).toEqual({ id: '2000', readOps: 300, writeOps: 100, readMBps: 10, writeMBps: 5 });
    expect(r.performance.nics[0]).toEqual({ id: '4000', receivedMBps: round4(3_000_000 / MiB), transmittedMBps: round4(1_000_000 / MiB) });
  });

  it('an effective 500 IOPS / 60 MB/s disk fits standard HDD S10 at $5.89, cheaper than E10 and P10', () => {
    const d = [series('disk.read.opsPerSec', '2000', 500 / 1.3), series('disk.read.bytesPerSec', '2000', (60 / 1.3) * MiB)];
    const r = assess(machine(), d);
    expect(r.sizing.disks[0]).toMatchObject({ tier: 'S10', type: 'standard-hdd', effectiveIops: 500, effectiveMBps: 60 });
  });

  it('the percentile property chooses which value is used', () => {
    const r99 = assess(m, s, { ...perfProps, percentile: 99 });
    expect(r99.series.find((x) => x.metric === 'cpu.usage.percent')!.value).toBe(55);
    const r50 = assess(m, s, { ...perfProps, percentile: 50 });
    expect(r50.sizing.effective.cores).toBe(1.3);
  });

  it('an explicit storage type sizes within that type; a disk no tier can serve makes the machine unsuitable', () => {
    const hdd = assess(m, s, { ...perfProps, storageType: 'standard-hdd' });
    expect(hdd.sizing.disks.map((d) => d.tier)).toEqual(['S60', 'S15']);
    const hot = assess(machine(), [series('disk.read.opsPerSec', '2000', 25_000)]);
    expect(hot.sizing.status).toBe('unsuitable');
    expect(hot.sizing.reasons[0]).toMatch(
      /disk Hard disk 1: no premium \/ standard-ssd \/ standard-hdd managed disk in the catalogue offers 100 GiB, 32500 IOPS/,
    );
  });

  it('network throughput rules out sizes whose bandwidth is too small', () => {
    // 2 cores: F2s_v2 would be cheapest, but 5000 Mbit/s < 600 MB/s x 1.3 x 8.
    const small = machine({ cpuCores: 2, memoryMB: 4096 });
    const base = [series('cpu.usage.percent', '', 50), series('memory.usage.percent', '', 50)];
    expect(assess(small, base).sizing.vmSize).toBe('Standard_F2s_v2');
    const busy = assess(small, [...base, series('net.transmitted.bytesPerSec', '4000', 600_000_000)]);
    expect(busy.sizing.network.effectiveOutMbps).toBe(6240);
    expect(busy.sizing.vmSize).toBe('Standard_D2s_v5');
  });

  it('data points and confidence stars follow the documented bands', () => {
    const half = assess(
      m,
      s.map((x) => ({ ...x, points: 72 })),
    );
    // 8 series at 72/144, 4 series (disk 2001) missing: 576 / 1728 = 33.33 %.
    expect(half.dataPointsPercent).toBe(33.33);
    expect(half.confidenceStars).toBe(2);
    expect(assess(m, []).confidenceStars).toBe(1);
    expect([20, 20.01, 40, 41, 60, 61, 80, 80.01, 100].map(confidenceStars)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(dataPointsPercent([{ points: 200, expectedPoints: 144 }])).toBe(100);
  });
});

describe('as-on-premises sizing', () => {
  it('uses allocated cores and memory x comfort, the chosen storage type (Automatic = premium) and no confidence', () => {
    const props = resolveProperties(null, { sizingCriterion: 'as-on-premises' });
    const r = assess(machine({ diskGiB: [100] }), [series('cpu.usage.percent', '', 5)], props);
    // 4 x 1.3 = 5.2 cores, 16 x 1.3 = 20.8 GB -> D8s_v5 (8 vCPUs, 32 GiB) at $0.384/h.
    expect(r.sizing).toMatchObject({
      status: 'sized',
      vmSize: 'Standard_D8s_v5',
      effective: { cores: 5.2, memoryGB: 20.8, diskIops: null, networkOutMbps: null },
    });
    expect(r.sizing.disks[0]).toMatchObject({ tier: 'P10', type: 'premium', basis: 'size' });
    expect(r.confidenceStars).toBeNull();
    const ssd = assess(machine({ diskGiB: [100] }), [], { ...props, storageType: 'standard-ssd', comfortFactor: 1 });
    expect(ssd.sizing.disks[0]!.tier).toBe('E10');
    expect(ssd.sizing.vmSize).toBe('Standard_D4s_v5');
  });
});

describe('the whole assessment', () => {
  it('sorts machines, counts readiness and totals cost', () => {
    const a = buildAssessment({
      machines: [machine({ name: 'b', cpuCores: 200 }), machine({ name: 'a' })],
      percentiles: { asOf: '2026-01-01T00:00:00Z', history: '1d', machines: [] },
      properties: perfProps,
      catalog,
      generatedAt: 0,
    });
    expect(a.machines.map((x) => x.name)).toEqual(['a', 'b']);
    expect(a.summary.readiness).toEqual({ Ready: 1, 'Conditionally ready': 0, 'Not ready': 1, 'Readiness unknown': 0 });
    expect(a.asOf).toBe('2026-01-01T00:00:00.000Z');
    expect(a.properties.display).toMatchObject({
      sizingCriterion: 'Performance-based',
      percentile: '95th',
      history: '1 day',
      comfortFactor: '1.3x',
    });
    expect(a.catalog.vmSizes.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(a.summary.sized).toBe(1);
  });
});

function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
void GIB;
