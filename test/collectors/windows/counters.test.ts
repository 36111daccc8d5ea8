// The raw-counter formulas (winrm.md 3.3) on hand-made readings: 100NSEC_TIMER_INV, BULK_COUNT and
// COUNTER rates, 32-bit wrap, 64-bit reset, reboot detection, and the sampler's priming and mapping.
import { describe, expect, it } from 'vitest';
import { checkPair, counterDelta, counterRate, timerInvPercent, type CounterTimes } from '../../../collectors/windows/counters.js';
import type { ServerMapping } from '../../../collectors/windows/inventory.js';
import { counterNameOfAdapter } from '../../../collectors/windows/inventory.js';
import { ServerSampler, type PerfReadings } from '../../../collectors/windows/perf.js';

const F = 10_000_000n;
const EPOCH = 116_444_736_000_000_000n;
/** Readings of a server booted at bootMs, taken at tMs (epoch ms). */
function at(tMs: number, bootMs: number): CounterTimes {
  return { perfTime: BigInt(tMs - bootMs) * 10_000n, perfFreq: F, sys100ns: EPOCH + BigInt(tMs) * 10_000n };
}
const BOOT = Date.UTC(2026, 0, 1);
const T = BOOT + 5 * 3_600_000;

describe('raw counter formulas', () => {
  it('PERF_100NSEC_TIMER_INV: usage = 100 x (1 - d(idle) / d(Timestamp_Sys100NS))', () => {
    const t0 = at(T, BOOT);
    const t1 = at(T + 30_000, BOOT);
    // 30 s = 300,000,000 ticks; idle 225,000,000 of them -> 25 % busy.
    const idle0 = 9_007_199_254_740_993n;
    expect(timerInvPercent(idle0, idle0 + 225_000_000n, t0, t1)).toBeCloseTo(25, 9);
    expect(timerInvPercent(idle0, idle0, t0, t1)).toBe(100);
    expect(timerInvPercent(idle0, idle0 + 400_000_000n, t0, t1)).toBe(0); // clamped (idle over all processors can exceed wall time by rounding)
    expect(timerInvPercent(idle0 + 1n, idle0, t0, t1)).toBeNull();
  });

  it('PERF_COUNTER_BULK_COUNT: rate = dN / (dT / F), beyond 2^53', () => {
    const t0 = at(T, BOOT);
    const t1 = at(T + 30_000, BOOT);
    const n0 = (1n << 60n) + 17n;
    expect(counterRate(n0, n0 + 30n * 1_234_567n, t0, t1, 64)).toBeCloseTo(1_234_567, 6);
    // A 64-bit counter that went backwards was reset (adapter re-created): no value.
    expect(counterRate(n0, 5n, t0, t1, 64)).toBeNull();
  });

  it('PERF_COUNTER_COUNTER is 32-bit: a wrap past 2^32 is unwrapped', () => {
    const t0 = at(T, BOOT);
    const t1 = at(T + 30_000, BOOT);
    const n0 = (1n << 32n) - 1000n;
    expect(counterDelta(n0, 2000n, 32)).toBe(3000n);
    expect(counterRate(n0, 2000n, t0, t1, 32)).toBeCloseTo(100, 9);
    expect(counterDelta(n0, 2000n, 64)).toBeNull();
  });

  it('a reboot between readings drops the pair (perf clock went backwards, or the boot time moved)', () => {
    expect(checkPair(at(T, BOOT), at(T + 30_000, BOOT))).toEqual({ ok: true, seconds: 30 });
    expect(checkPair(at(T, BOOT), at(T + 30_000, T + 10_000))).toEqual({ ok: false, reason: 'reboot' });
    // Rebooted long ago relative to the last reading but with a larger uptime than before: the boot moved.
    expect(checkPair(at(T, T - 60_000), at(T + 7_200_000, T + 10_000))).toEqual({ ok: false, reason: 'reboot' });
    expect(checkPair(at(T, BOOT), at(T, BOOT))).toEqual({ ok: false, reason: 'no-interval' });
    // Clock corrections of a few seconds are not reboots.
    const t1 = at(T + 30_000, BOOT);
    expect(checkPair(at(T, BOOT), { ...t1, sys100ns: t1.sys100ns + 20_000_000n }).ok).toBe(true);
  });
});

describe('the per-server sampler', () => {
  const map: ServerMapping = {
    machine: 'physical:bios:x',
    totalMemoryBytes: 8n * 1024n ** 3n,
    diskByIndex: new Map([[0, 'PhysicalDrive0']]),
    nicByCounterName: new Map([[counterNameOfAdapter('Intel(R) I350 #2'), 'nic-a']]),
  };
  const times = (t: CounterTimes) => ({
    Timestamp_PerfTime: String(t.perfTime),
    Frequency_PerfTime: String(t.perfFreq),
    Timestamp_Sys100NS: String(t.sys100ns),
  });
  const reading = (tMs: number, bootMs: number, k: bigint): PerfReadings => {
    const tt = times(at(tMs, bootMs));
    return {
      processor: [{ className: 'p', properties: { Name: '_Total', PercentProcessorTime: String(k * 150_000_000n), ...tt } }],
      memory: [{ className: 'm', properties: { AvailableBytes: String(2n * 1024n ** 3n), ...tt } }],
      disk: [
        {
          className: 'd',
          properties: {
            Name: '0 C:',
            DiskReadBytesPersec: String(k * 3_000_000n),
            DiskWriteBytesPersec: String(k * 300n),
            DiskReadsPersec: String(k * 600n),
            DiskWritesPersec: String(k * 30n),
            ...tt,
          },
        },
        {
          className: 'd',
          properties: {
            Name: '_Total',
            DiskReadBytesPersec: '0',
            DiskWriteBytesPersec: '0',
            DiskReadsPersec: '0',
            DiskWritesPersec: '0',
            ...tt,
          },
        },
      ],
      network: [
        {
          className: 'n',
          properties: { Name: 'Intel[R] I350 _2', BytesReceivedPersec: String(k * 30_000n), BytesSentPersec: String(k * 60_000n), ...tt },
        },
        { className: 'n', properties: { Name: 'isatap.corp', BytesReceivedPersec: '0', BytesSentPersec: '0', ...tt } },
      ],
    };
  };

  it('primes on the first reading, then emits every metric per whole disk and NIC (not _Total, not isatap)', () => {
    const s = new ServerSampler();
    expect(s.sample(reading(T, BOOT, 1n), map, T).samples).toEqual([]);
    const out = s.sample(reading(T + 30_000, BOOT, 2n), map, T + 30_000);
    const by = Object.fromEntries(out.samples.map((x) => [`${x.metric}|${x.instance}`, x.value]));
    expect(by).toEqual({
      'cpu.usage.percent|': 50,
      'memory.usage.percent|': 75,
      'disk.read.bytesPerSec|PhysicalDrive0': 100_000,
      'disk.write.bytesPerSec|PhysicalDrive0': 10,
      'disk.read.opsPerSec|PhysicalDrive0': 20,
      'disk.write.opsPerSec|PhysicalDrive0': 1,
      'net.received.bytesPerSec|nic-a': 1000,
      'net.transmitted.bytesPerSec|nic-a': 2000,
    });
    expect(out.samples.every((x) => x.ts === T + 30_000 && x.intervalSec === 30 && x.machine === map.machine)).toBe(true);
    expect(out.unmapped).toEqual([]);
  });

  it('after a reboot the pair is dropped (counted as a reset) and the next reading samples again', () => {
    const s = new ServerSampler();
    s.sample(reading(T, BOOT, 1000n), map, T);
    const rebooted = s.sample(reading(T + 30_000, T + 5_000, 1n), map, T + 30_000);
    expect(rebooted.samples).toEqual([]);
    expect(rebooted.resets).toBeGreaterThan(0);
    expect(s.sample(reading(T + 60_000, T + 5_000, 2n), map, T + 60_000).samples.length).toBe(8);
  });

  it('a disk the inventory does not know is reported as unmapped (the collector re-reads the inventory)', () => {
    const s = new ServerSampler();
    const r = reading(T, BOOT, 1n);
    r.disk.push({ className: 'd', properties: { ...r.disk[0]?.properties, Name: '3 F:' } });
    expect(s.sample(r, map, T).unmapped).toEqual(['disk:3 F:']);
  });
});
