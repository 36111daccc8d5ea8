// Why a guest could not be opened, from the errors of the SSH layer and the Windows guest reader.
import type { GuestAccessFailure } from '../../model/guest.js';
import {
  SshAuthError,
  SshBackoffError,
  SshConnectError,
  SshHostKeyError,
  SshPrivateKeyError,
  SshTimeoutError,
} from '../../collectors/ssh/index.js';

/** The order in which reasons are reported when several addresses or credentials failed: the closest to success first. */
export const FAILURE_RANK: GuestAccessFailure[] = [
  'wrong-credential',
  'host-key-changed',
  'host-key-unknown',
  'refused',
  'error',
  'timeout',
  'port-closed',
  'no-ip',
];

function codeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyGuestError(err: unknown): GuestAccessFailure {
  const e = err instanceof SshBackoffError ? err.last : err;
  // A reader (the Windows one) may say it itself.
  const own = (e as { failure?: unknown } | null)?.failure;
  if (typeof own === 'string' && FAILURE_RANK.includes(own as GuestAccessFailure)) return own as GuestAccessFailure;
  if (e instanceof SshHostKeyError) return e.problem === 'unknown' ? 'host-key-unknown' : 'host-key-changed';
  if (e instanceof SshAuthError || e instanceof SshPrivateKeyError) return 'wrong-credential';
  if (e instanceof SshTimeoutError) return 'timeout';
  const code = codeOf(e);
  if (code === 'ECONNREFUSED') return 'port-closed';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'refused';
  if (e instanceof SshConnectError) {
    if (/connection refused/i.test(e.reason)) return 'port-closed';
    if (/no route|timed? ?out/i.test(e.reason)) return 'timeout';
    return 'refused';
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (/\b401\b|unauthori[sz]ed|access is denied|logon failure/i.test(msg)) return 'wrong-credential';
  if (/certificate|self[- ]signed|thumbprint|trust/i.test(msg)) return 'host-key-unknown';
  if (/timed? ?out|deadline/i.test(msg)) return 'timeout';
  if (/ECONNREFUSED|connection refused/i.test(msg)) return 'port-closed';
  return 'error';
}
