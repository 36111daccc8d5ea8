import { describe, expect, it } from 'vitest';
import { aggregate } from '../../rollup/aggregate.js';
import { DAY_MS, historyRange, popcount32, slotOf, subSlotOf, windowStart } from '../../rollup/window.js';

function distinctPerWindow(ts: number[]): Map<number, number> {
  const m = new Map<number, Set<number>>();
  for (const t of ts) {
    const ws = windowStart(t);
    if (!m.has(ws)) m.set(ws, new Set());
    m.get(ws)!.add(t);
  }
  return new Map([...m].map(([k, v]) => [k, v.size]));
}

function bitmapCounts(ts: number[]): Map<number, number> {
  const agg = aggregate([{ machine: 'm', metric: 'cpu.usage.percent', instance: '', intervalSec: 20, ts, values: ts.map(() => 1) }]);
  const out = new Map<number, number>();
  // Fold the updates as the merge script does (OR per window), then count.
  const bits = new Map<number, number>();
  for (const u of agg.byMachine.get('m') ?? [])
    u.slots.forEach((slot, j) => {
      const ws = u.day * DAY_MS + slot * 600_000;
      bits.set(ws, ((bits.get(ws) ?? 0) | u.bits[j]!) >>> 0);
    });
  for (const [ws, b] of bits) out.set(ws, popcount32(b));
  return out;
}

describe('window math', () => {
  it('aligns windows to UTC multiples of 600 s', () => {
    expect(windowStart(Date.UTC(2026, 0, 1, 10, 9, 59, 999))).toBe(Date.UTC(2026, 0, 1, 10, 0));
    expect(windowStart(Date.UTC(2026, 0, 1, 10, 10))).toBe(Date.UTC(2026, 0, 1, 10, 10));
    expect(slotOf(Date.UTC(2026, 0, 1, 23, 59, 59))).toBe(143);
    expect(subSlotOf(Date.UTC(2026, 0, 1, 0, 0, 18, 749))).toBe(0);
    expect(subSlotOf(Date.UTC(2026, 0, 1, 0, 0, 18, 750))).toBe(1);
    expect(subSlotOf(Date.UTC(2026, 0, 1, 0, 9, 59, 999))).toBe(31);
  });

  it('popcount32 counts bits of any uint32', () => {
    for (const x of [0, 1, 0xffffffff, 0x80000000, 0x55555555, 123456789]) {
      expect(popcount32(x)).toBe(
        x
          .toString(2)
          .split('')
          .filter((c) => c === '1').length,
      );
    }
  });

  it('the sub-slot bitmap counts distinct timestamps exactly for 20 s and 30 s series at every offset (aligned or not)', () => {
    const t0 = Date.UTC(2026, 0, 1);
    for (const step of [20_000, 30_000]) {
      // Every phase within one step, in 37 ms increments (plus the exact boundaries).
      for (let phase = 0; phase < step; phase += phase % 1000 === 0 ? 1 : 37) {
        const ts = Array.from({ length: 64 }, (_, i) => t0 + phase + i * step);
        expect(bitmapCounts(ts)).toEqual(distinctPerWindow(ts));
      }
    }
  });

  it('repeated and shuffled timestamps count once', () => {
    const t0 = Date.UTC(2026, 0, 1, 0, 0, 7, 123);
    const ts = Array.from({ length: 30 }, (_, i) => t0 + i * 20_000);
    expect(bitmapCounts([...ts, ...ts.slice(3, 9), ...ts].reverse())).toEqual(distinctPerWindow(ts));
  });

  it('documents the limit: timestamps closer than 18.75 s can share a sub-slot', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const ts = [t0 + 1_000, t0 + 11_000]; // 10 s apart, same 18.75 s sub-slot
    expect(bitmapCounts(ts).get(t0)).toBe(1);
  });

  it('history ranges cover exactly history / 10 min complete windows before asOf', () => {
    const asOf = Date.UTC(2026, 0, 8, 12, 34, 56);
    const r = historyRange(asOf, '7d');
    expect(r.to).toBe(Date.UTC(2026, 0, 8, 12, 30));
    expect(r.from).toBe(Date.UTC(2026, 0, 1, 12, 30));
    expect(r.expectedPoints).toBe(1008);
    expect(historyRange(asOf, '1d').expectedPoints).toBe(144);
    expect(historyRange(asOf, '30d').expectedPoints).toBe(4320);
  });
});
