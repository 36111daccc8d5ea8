// Window math (pure). A 10-minute window starts at a UTC multiple of 600 s; a sample with
// timestamp ts belongs to the window starting at floor(ts / 600000) * 600000.

export const WINDOW_MS = 600_000;
export const DAY_MS = 86_400_000;
export const WINDOWS_PER_DAY = DAY_MS / WINDOW_MS; // 144
/**
 * Each window is split into 32 sub-slots of 18.75 s; a sample sets the bit of its sub-slot, so
 * the number of distinct timestamps in a window is the bitmap's popcount. That is exact whenever a
 * series' distinct timestamps are at least 18.75 s apart (vCenter 20 s, Hyper-V 30 s, aligned or not):
 * two such timestamps can never fall in the same 18.75 s sub-slot.
 */
export const SUB_SLOTS = 32;
export const SUB_SLOT_MS = WINDOW_MS / SUB_SLOTS; // 18750
/** Bytes per window in a day-string: float32 peak + uint32 sub-slot bitmap, little-endian. */
export const SLOT_BYTES = 8;
export const DAY_BYTES = WINDOWS_PER_DAY * SLOT_BYTES; // 1152
/** A sealed day-string: 144 float32 peaks, then 144 uint8 sample counts (0 = empty window). */
export const SEALED_DAY_BYTES = WINDOWS_PER_DAY * 5; // 720
export const SEALED_COUNTS_OFFSET = WINDOWS_PER_DAY * 4; // 576

export type History = '1d' | '7d' | '30d';
export const HISTORY_MS: Record<History, number> = { '1d': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS };

export function isHistory(v: string): v is History {
  return v === '1d' || v === '7d' || v === '30d';
}

export function windowStart(ts: number): number {
  return Math.floor(ts / WINDOW_MS) * WINDOW_MS;
}

/** UTC day number (days since the epoch) a timestamp falls in. */
export function dayOf(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/** Index of the window within its UTC day, 0..143. */
export function slotOf(ts: number): number {
  return Math.floor((ts - dayOf(ts) * DAY_MS) / WINDOW_MS);
}

/** Index of the 18.75 s sub-slot within the window, 0..31. */
export function subSlotOf(ts: number): number {
  return Math.floor((ts - windowStart(ts)) / SUB_SLOT_MS);
}

/** Number of set bits in a uint32. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * The complete windows of a history ending at asOf: asOf is aligned down to a window boundary
 * (the window still filling is not complete), and the history covers exactly history / 10 min windows
 * before it. Returns [from, to) in epoch ms and the expected number of points.
 */
export function historyRange(asOf: number, history: History): { from: number; to: number; expectedPoints: number } {
  const to = windowStart(asOf);
  const span = HISTORY_MS[history];
  return { from: to - span, to, expectedPoints: span / WINDOW_MS };
}

/** When the day-string of a UTC day expires: the end of that day plus the retention. */
export function dayExpiryMs(day: number, retentionDays: number): number {
  return (day + 1 + retentionDays) * DAY_MS;
}
