import { describe, expect, it } from 'vitest';
import { PERF_COMMAND, splitSections } from '../../../collectors/linux/commands.js';
import { parseDiskstats, parseMeminfo, parseNetDev, parsePerf, parseStat, type PerfReading } from '../../../collectors/linux/procfs.js';
import { counterDelta, LinuxRates } from '../../../collectors/linux/rates.js';

const STAT = `cpu  100 5 50 800 20 3 2 10 7 0
cpu0 50 2 25 400 10 1 1 5 3 0
intr 12345 0 0
ctxt 999
btime 1764990000
processes 42
`;
const MEMINFO = `MemTotal:        8000000 kB
MemFree:         1000000 kB
MemAvailable:    6000000 kB
Buffers:          100000 kB
Cached:          2000000 kB
HugePages_Total:       0
`;
const DISKSTATS = `   8       0 sda 1000 10 80000 500 2000 20 160000 900 0 1200 1400 0 0 0 0
   8       1 sda1 900 10 70000 400 1900 20 150000 800 0 1100 1200 0 0 0 0
 253       0 dm-0 900 0 70000 400 1900 0 150000 800 0 1100 1200
   7       0 loop0 5 0 10 0 0 0 0 0 0 0 0
`;
const NETDEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 5000 50 0 0 0 0 0 0 5000 50 0 0 0 0 0 0
  eth0:18446744073709551000 100 0 0 0 0 0 0 4294967000 90 0 0 0 0 0 0
`;

function reading(text: Partial<Record<'uptime' | 'stat' | 'meminfo' | 'diskstats' | 'net-dev', string>>): PerfReading {
  const t = { uptime: '1000.00 1800.00', stat: STAT, meminfo: MEMINFO, diskstats: DISKSTATS, 'net-dev': NETDEV, ...text };
  return parsePerf(
    Object.entries(t)
      .map(([k, v]) => `@@ac:${k}\n${v}`)
      .join('\n') + '\n@@ac:end\n',
  );
}

describe('procfs parsers', () => {
  it('reads the aggregate cpu line (guest is inside user) and btime', () => {
    expect(parseStat(STAT)).toEqual({ cpuTotal: 990n, cpuIdle: 820n, btime: 1764990000 });
  });
  it('reads MemTotal/MemAvailable, with the pre-3.14 estimate when MemAvailable is missing', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({ memTotalKb: 8000000, memAvailableKb: 6000000 });
    expect(parseMeminfo(MEMINFO.replace(/MemAvailable.*\n/, ''))).toEqual({ memTotalKb: 8000000, memAvailableKb: 3100000 });
  });
  it('reads diskstats (reads, sectors read, writes, sectors written) and net/dev with 64-bit values and no space after the colon', () => {
    expect(parseDiskstats(DISKSTATS).get('sda')).toEqual({ reads: 1000n, sectorsRead: 80000n, writes: 2000n, sectorsWritten: 160000n });
    const net = parseNetDev(NETDEV);
    expect(net.get('eth0')).toEqual({ rxBytes: 18446744073709551000n, txBytes: 4294967000n });
    expect(net.get('lo')).toEqual({ rxBytes: 5000n, txBytes: 5000n });
    expect(net.size).toBe(2);
  });
  it('splits the marked perf output and refuses a truncated one', () => {
    expect(PERF_COMMAND).toContain('cat /proc/stat');
    expect([...splitSections('junk\n@@ac:a\nx\ny\n@@ac:b\n\n@@ac:end\n').entries()]).toEqual([
      ['a', 'x\ny'],
      ['b', ''],
      ['end', ''],
    ]);
    expect(() => parsePerf('@@ac:uptime\n1 1\n@@ac:stat\ncpu 1 2 3 4\n')).toThrow(/incomplete/);
  });
});

describe('counter deltas', () => {
  it('forward, 32-bit wrap, 64-bit wrap, and reset (no point)', () => {
    expect(counterDelta(100n, 250n)).toBe(150n);
    expect(counterDelta(4294967000n, 704n)).toBe(1000n); // 2^32 - 296 -> 704
    expect(counterDelta(18446744073709551000n, 384n)).toBe(1000n); // 2^64 - 616 -> 384
    expect(counterDelta(5_000_000_000n, 1000n)).toBeNull(); // above 32 bits, far from 2^64: a reset
    expect(counterDelta(3_000_000n, 10n)).toBeNull(); // 32-bit range but the wrap would be > 2^31: a reset
  });
});

describe('rates from two readings', () => {
  const disks = ['sda'];
  const nics = ['eth0', 'lo'];
  it('the first reading primes; the second gives cpu, memory, per-disk and per-NIC rates over the uptime delta', () => {
    const r = new LinuxRates();
    expect(r.next(reading({}), 'm', disks, nics, 1).reset).toBe('first');
    const out = r.next(
      reading({
        uptime: '1030.00 1850.00',
        stat: STAT.replace('cpu  100 5 50 800 20', 'cpu  400 5 50 1400 20'), // +300 busy, +600 idle -> 33.33 %
        diskstats: DISKSTATS.replace('sda 1000 10 80000 500 2000 20 160000', 'sda 1300 10 86000 500 2600 20 172000'),
        'net-dev': NETDEV.replace('18446744073709551000', '384').replace('4294967000', '704').replace('lo: 5000', 'lo: 35000'),
      }),
      'm',
      disks,
      nics,
      2,
    );
    const v = Object.fromEntries(out.samples.map((s) => [`${s.metric}|${s.instance}`, s.value]));
    expect(out.reset).toBeNull();
    expect(v).toEqual({
      'cpu.usage.percent|': 33.33,
      'memory.usage.percent|': 25,
      'disk.read.bytesPerSec|sda': (6000 * 512) / 30,
      'disk.write.bytesPerSec|sda': (12000 * 512) / 30,
      'disk.read.opsPerSec|sda': 10,
      'disk.write.opsPerSec|sda': 20,
      'net.received.bytesPerSec|eth0': 33.33, // 64-bit wrap: 1000 B in 30 s
      'net.transmitted.bytesPerSec|eth0': 33.33, // 32-bit wrap
      'net.received.bytesPerSec|lo': 1000,
      'net.transmitted.bytesPerSec|lo': 0,
    });
    for (const s of out.samples) expect(s).toMatchObject({ machine: 'm', ts: 2, intervalSec: 30 });
  });
  it('a reboot (uptime back, or btime moved) gives no point and rebases; NTP jitter of btime does not', () => {
    const r = new LinuxRates();
    r.next(reading({}), 'm', disks, nics, 1);
    expect(r.next(reading({ uptime: '20.00 30.00', stat: STAT.replace(/cpu {2}\d+/, 'cpu  1') }), 'm', disks, nics, 2)).toEqual({
      samples: [],
      reset: 'reboot',
      skipped: [],
    });
    expect(
      r.next(reading({ uptime: '50.00 60.00', stat: STAT.replace('btime 1764990000', 'btime 1764993000') }), 'm', disks, nics, 3).reset,
    ).toBe('reboot');
    const ok = r.next(reading({ uptime: '80.00 90.00', stat: STAT.replace('btime 1764990000', 'btime 1764993002') }), 'm', disks, nics, 4);
    expect(ok.reset).toBeNull();
    expect(ok.samples.length).toBeGreaterThan(0);
  });
  it('a counter reset on one device drops that device only; a reading under a second apart is ignored', () => {
    const r = new LinuxRates();
    r.next(reading({}), 'm', disks, nics, 1);
    expect(r.next(reading({ uptime: '1000.50 1800.00' }), 'm', disks, nics, 2).reset).toBe('too-short');
    const out = r.next(
      reading({
        uptime: '1030.00 1850.00',
        stat: STAT.replace('cpu  100', 'cpu  200'),
        diskstats: DISKSTATS.replace('sda 1000 10 80000', 'sda 3 0 24'),
      }),
      'm',
      disks,
      nics,
      3,
    );
    expect(out.skipped).toEqual(['disk sda']);
    expect(out.samples.some((s) => s.instance === 'sda')).toBe(false);
    expect(out.samples.some((s) => s.metric === 'cpu.usage.percent')).toBe(true);
    expect(out.samples.filter((s) => s.instance === 'eth0').map((s) => s.value)).toEqual([0, 0]);
  });
});
