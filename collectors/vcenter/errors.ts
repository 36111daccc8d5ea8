// The collector edge: wire errors (protocol facts) become UserErrors with a fix in the words of
// the vCenter source's configuration (url, timeoutSec, perf.vmsPerQuery, perf.concurrency, limits.maxResponseMB, limits.maxElements).
import { UserError } from '../../common/errors.js';
import { countText, sizeText } from '../../common/xml/limits.js';
import { BadResponseError, NotVimEndpointError, UnreachableError, VimTimeoutError } from './soap/errors.js';

const SEC = 1000;
const MB = 1024 * 1024;
const NOT_VCENTER = 'otherwise check that url points at vCenter (not at another server, a proxy page or an interception device)';

/**
 * A reader cap refused the answer. Two caps are the source's settings (limits.maxResponseMB, limits.maxElements): a
 * genuine but very large vCenter may need them raised. Depth and text-run caps no genuine vCenter reaches.
 */
function limitError(err: BadResponseError, limit: { name: string; value: number }): UserError {
  const subject = `${err.endpoint}: the vCenter answer to ${err.method}`;
  const opts = { code: 'VCENTER_LIMIT', cause: err };
  if (limit.name === 'maxElements') {
    return new UserError(`${subject} exceeded ${countText(limit.value)} elements.`, {
      ...opts,
      fix: `raise the source's limits.maxElements (now ${countText(limit.value)}) or lower inventory.pageSize if this vCenter is genuine; ${NOT_VCENTER}.`,
    });
  }
  if (limit.name === 'maxBytes') {
    return new UserError(`${subject} exceeded ${sizeText(limit.value)}.`, {
      ...opts,
      fix: `raise the source's limits.maxResponseMB (now ${Math.round(limit.value / MB)}) or lower inventory.pageSize / perf.vmsPerQuery if this vCenter is genuine; ${NOT_VCENTER}.`,
    });
  }
  const what =
    limit.name === 'maxDepth'
      ? `nests elements deeper than ${limit.value} levels`
      : `holds a text run longer than ${countText(limit.value)} characters`;
  return new UserError(`${subject} ${what}.`, {
    ...opts,
    fix: `A genuine vCenter never sends this: check that url points at vCenter (not at another server, a proxy page or an interception device).`,
  });
}

/** The error an administrator sees for `err`; anything that is not a wire error is returned as is. */
export function vcenterError(err: unknown): unknown {
  if (err instanceof VimTimeoutError) {
    const timeoutSec = err.timeoutMs / SEC;
    const what = err.whole ? `did not complete its answer to ${err.method}` : `did not answer ${err.method}`;
    return new UserError(`${err.endpoint} ${what} within timeoutSec=${timeoutSec} s.`, {
      fix: `vCenter is slow or overloaded${err.whole ? ' (or the answer trickles in)' : ''}. Raise the source's timeoutSec (now ${timeoutSec}), lower perf.vmsPerQuery / perf.concurrency, or check vCenter's health.`,
      code: 'VCENTER_TIMEOUT',
      cause: err,
    });
  }
  if (err instanceof BadResponseError && err.limit) return limitError(err, err.limit);
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
