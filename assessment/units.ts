// Unit conversions, in one place. Azure's disk limits and the import CSV speak MB/s; we take
// 1 MB = 2^20 bytes there (vSphere's KBps are 1024-byte KB). VM network bandwidth is in megabits.
export const MB = 1024 * 1024;
export const GIB = 1024 ** 3;

export const bytesPerSecToMBps = (v: number): number => v / MB;
export const bytesPerSecToMbps = (v: number): number => (v * 8) / 1_000_000;
export const bytesToGiB = (v: number): number => v / GIB;
/** Rounds for display and exports: enough digits to be exact for people, stable for golden files. */
export const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
