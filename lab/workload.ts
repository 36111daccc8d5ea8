// Deterministic synthetic load for the lab: the value of a series in a time slot depends only on
// (seed, VM, series, instance, slot), so simulators, tests and benchmarks agree on what the
// "truth" is without sharing state.
import type { WorkloadSeries } from './estate.js';

const DAY_MS = 86_400_000;

/** 32-bit FNV-1a, then a splitmix finish: cheap, stable, good enough for lab noise. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) from a key and a slot number. */
export function unit(key: number, slot: number): number {
  let h = (key ^ Math.imul(slot | 0, 0x9e3779b1) ^ Math.imul(Math.floor(slot / 4294967296), 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * The series' value for the slot [slotStartMs, slotStartMs + slotSec*1000): constant over the slot,
 * so a simulator that integrates it into raw counters yields exactly this rate for that slot.
 * `key` is hash32 of "seed|vm|series|instance". Percent series are clamped to [0, 100].
 */
export function workloadValue(spec: WorkloadSeries, key: number, slotStartMs: number, slotSec: number, percent: boolean): number {
  const slot = Math.floor(slotStartMs / (slotSec * 1000));
  const mid = slotStartMs + (slotSec * 1000) / 2;
  const dayPhase = ((mid % DAY_MS) / DAY_MS) * 2 * Math.PI - (spec.peakHourUtc / 24) * 2 * Math.PI;
  let v = spec.baseline + spec.daily * Math.cos(dayPhase);
  if (spec.noise > 0) v += (unit(key, slot) * 2 - 1) * spec.noise;
  if (spec.bursts && spec.bursts.perDay > 0) {
    // Bursts start on burst-length boundaries with probability perDay / (bursts per day possible).
    const burstMs = spec.bursts.durationMin * 60_000;
    const burstSlot = Math.floor(slotStartMs / burstMs);
    const p = Math.min(1, spec.bursts.perDay / (DAY_MS / burstMs));
    if (unit(key ^ 0x5bd1e995, burstSlot) < p) v += spec.bursts.magnitude;
  }
  v = Math.max(0, v);
  if (percent) v = Math.min(100, v);
  return Math.round(v * 100) / 100;
}
