/** Guest access back-off: 15 min after the first failure, doubling per failure, at most 24 h. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_GUEST_BACKOFF: BackoffPolicy = { baseMs: 15 * 60_000, maxMs: 24 * 3_600_000 };

/** When a machine that failed `failures` times in a row (>= 1) at `now` may be tried again. */
export function nextAttemptAt(now: number, failures: number, p: BackoffPolicy = DEFAULT_GUEST_BACKOFF): number {
  return now + Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, failures - 1));
}
