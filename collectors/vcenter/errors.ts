// The collector edge: wire errors (protocol facts) become UserErrors with a fix in the words of
// the vCenter source's configuration (url, timeoutSec, perf.vmsPerQuery, perf.concurrency).
import { UserError } from '../../common/errors.js';
import { BadResponseError, NotVimEndpointError, UnreachableError, VimTimeoutError } from './soap/errors.js';

const SEC = 1000;

/** The error an administrator sees for `err`; anything that is not a wire error is returned as is. */
export function vcenterError(err: unknown): unknown {
  if (err instanceof VimTimeoutError) {
    const timeoutSec = err.timeoutMs / SEC;
    return new UserError(`${err.endpoint} did not answer ${err.method} within timeoutSec=${timeoutSec} s.`, {
      fix: `vCenter is slow or overloaded. Raise the source's timeoutSec (now ${timeoutSec}), lower perf.vmsPerQuery / perf.concurrency, or check vCenter's health.`,
      code: 'VCENTER_TIMEOUT',
      cause: err,
    });
  }
  if (err instanceof UnreachableError) {
    return new UserError(err.message, {
      fix: 'Check the host name and port in url, DNS, and that a firewall allows TCP from this appliance to vCenter (443 unless set otherwise).',
      code: 'VCENTER_UNREACHABLE',
      cause: err,
    });
  }
  if (err instanceof NotVimEndpointError) {
    return new UserError(err.message, {
      fix: 'Set url to the vCenter SDK address, https://<vcenter>/sdk, and check that the host name and port point at vCenter, not at another web server or a proxy page.',
      code: 'VCENTER_NOT_SDK',
      cause: err,
    });
  }
  if (err instanceof BadResponseError) {
    return new UserError(err.message, {
      fix: 'Check that url points at a genuine vCenter (a proxy or interception device may be rewriting responses); if it does, report the vCenter version.',
      code: 'VCENTER_BAD_RESPONSE',
      cause: err,
    });
  }
  return err;
}

/** Runs `work`, rethrowing a wire error as the administrator's error. */
export async function explained<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw vcenterError(err);
  }
}

/** The message for a per-batch error list (the same words the thrown error would carry). */
export function vcenterErrorMessage(err: unknown): string {
  const e = vcenterError(err);
  return e instanceof Error ? e.message : String(e);
}
