// The raw-counter formulas (winrm.md 3.3, from Windows' calculating-counter-values), pure and in BigInt
// until the final division: raw counters are uint64 and pass 2^53 on long-running servers.
//   PERF_100NSEC_TIMER_INV (Processor % Processor Time): usage % = 100 * (1 - dN / dT), T = Timestamp_Sys100NS
//   PERF_COUNTER_BULK_COUNT (64-bit) and PERF_COUNTER_COUNTER (32-bit): rate = dN / (dT / F),
//     T = Timestamp_PerfTime, F = Frequency_PerfTime of the same instance
// Two readings give one value. A reboot between them (the perf clock went backwards, or the boot time it
// implies moved) drops the pair: the counters restarted from zero. A 32-bit counter that went backwards
// without a reboot wrapped at 2^32 and is unwrapped; a 64-bit one that went backwards was reset (the
// adapter or disk re-created) and the pair is dropped.

export interface CounterTimes {
  perfTime: bigint;
  perfFreq: bigint;
  sys100ns: bigint;
}

export type PairVerdict = { ok: true; seconds: number } | { ok: false; reason: 'reboot' | 'no-interval' | 'bad-times' };

/** Boot moves of more than this between readings mean a reboot (clock corrections stay far below it). */
const BOOT_SHIFT_TOLERANCE_100NS = 100_000_000n; // 10 s

/** The boot time the readings imply, in 100 ns ticks since 1601: Sys100NS minus the perf clock's uptime. */
export function impliedBoot(t: CounterTimes): bigint {
  return t.sys100ns - (t.perfTime * 10_000_000n) / t.perfFreq;
}

/** Whether two readings of one instance can be differenced, and over how many seconds (perf clock). */
export function checkPair(t0: CounterTimes, t1: CounterTimes): PairVerdict {
  if (t0.perfFreq <= 0n || t1.perfFreq <= 0n) return { ok: false, reason: 'bad-times' };
  if (t1.perfTime < t0.perfTime || t1.perfFreq !== t0.perfFreq) return { ok: false, reason: 'reboot' };
  const shift = impliedBoot(t1) - impliedBoot(t0);
  if (shift > BOOT_SHIFT_TOLERANCE_100NS || shift < -BOOT_SHIFT_TOLERANCE_100NS) return { ok: false, reason: 'reboot' };
  if (t1.perfTime === t0.perfTime) return { ok: false, reason: 'no-interval' };
  return { ok: true, seconds: ratio(t1.perfTime - t0.perfTime, t1.perfFreq) };
}

/** Counter delta with 32-bit wrap-around; null when a counter went backwards (reset). */
export function counterDelta(n0: bigint, n1: bigint, bits: 32 | 64): bigint | null {
  if (n1 >= n0) return n1 - n0;
  if (bits === 32 && n0 < 1n << 32n) return (1n << 32n) - n0 + n1;
  return null;
}

/** PERF_COUNTER_BULK_COUNT / PERF_COUNTER_COUNTER: events per second over the pair. */
export function counterRate(n0: bigint, n1: bigint, t0: CounterTimes, t1: CounterTimes, bits: 32 | 64): number | null {
  const d = counterDelta(n0, n1, bits);
  const dt = t1.perfTime - t0.perfTime;
  if (d === null || dt <= 0n) return null;
  return ratio(d * t1.perfFreq, dt);
}

/** PERF_100NSEC_TIMER_INV: the percentage of time NOT spent in the idle thread, clamped to [0, 100]. */
export function timerInvPercent(n0: bigint, n1: bigint, t0: CounterTimes, t1: CounterTimes): number | null {
  const dn = n1 - n0;
  const dt = t1.sys100ns - t0.sys100ns;
  if (dn < 0n || dt <= 0n) return null;
  return Math.min(100, Math.max(0, 100 * (1 - ratio(dn, dt))));
}

/** Ratio of two BigInts as a Number without losing precision on large numerators. */
export function ratio(num: bigint, den: bigint): number {
  // 1e9 keeps a percentage exact to 1e-7 points; Number() of a large quotient only loses relative 1e-16.
  const scaled = (num * 1_000_000_000n) / den;
  return Number(scaled) / 1_000_000_000;
}
