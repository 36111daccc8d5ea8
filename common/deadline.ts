/** Raised when work did not settle within its deadline; `what` names the work and `setting` the config key that bounds it. */
export class DeadlineExceeded extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
    readonly setting?: string,
  ) {
    super(`${what} did not finish within ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}${setting ? ` (${setting})` : ''}`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Settles with `work`, or rejects with DeadlineExceeded after `ms` (the work itself goes on unless the caller
 * aborts it in `onTimeout`). A wall-clock bound, unlike an idle timer a trickling peer can keep alive forever.
 */
export function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  opts: { setting?: string; onTimeout?: () => void } = {},
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      opts.onTimeout?.();
      reject(new DeadlineExceeded(what, ms, opts.setting));
    }, ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Waits for `work` at most `ms`; true when it settled in time. Never rejects. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withDeadline(
      work.then(
        () => undefined,
        () => undefined,
      ),
      ms,
      'work',
    );
    return true;
  } catch {
    return false;
  }
}
