import { UserError } from '../../../common/errors.js';

/**
 * A SOAP fault returned by the far end. `faultType` is the vim25 fault class from the detail
 * (InvalidLogin, NotAuthenticated, InvalidArgument, ...), or "ServerFault" when there is none.
 */
export class VimFault extends Error {
  readonly faultType: string;
  readonly method: string;
  /** Simple fields of the fault detail (e.g. invalidProperty), for messages. */
  readonly detail: Record<string, string>;
  constructor(method: string, faultType: string, faultString: string, detail: Record<string, string> = {}) {
    super(`${method} failed: ${faultType}${faultString ? ` (${faultString})` : ''}`);
    this.name = 'VimFault';
    this.method = method;
    this.faultType = faultType;
    this.detail = detail;
  }
}

export function isFault(err: unknown, ...types: string[]): err is VimFault {
  return err instanceof VimFault && (types.length === 0 || types.includes(err.faultType));
}

/** The far end is not a vCenter/ESXi SDK endpoint (HTML, wrong path, not SOAP). */
export class NotVimEndpointError extends UserError {
  constructor(endpoint: string, what: string) {
    super(`${endpoint} is not a vSphere SDK endpoint: ${what}.`, {
      fix: 'Set url to the vCenter SDK address, https://<vcenter>/sdk, and check that the host name and port point at vCenter, not at another web server or a proxy page.',
      code: 'VCENTER_NOT_SDK',
    });
    this.name = 'NotVimEndpointError';
  }
}

/** The response could not be accepted: malformed, hostile (DOCTYPE / entities), too large or too deep. */
export class BadResponseError extends UserError {
  constructor(endpoint: string, method: string, what: string) {
    super(`${endpoint} sent an unacceptable response to ${method}: ${what}.`, {
      fix: 'Check that url points at a genuine vCenter (a proxy or interception device may be rewriting responses); if it does, report the vCenter version.',
      code: 'VCENTER_BAD_RESPONSE',
    });
    this.name = 'BadResponseError';
  }
}

export class VimTimeoutError extends UserError {
  constructor(endpoint: string, method: string, timeoutSec: number) {
    super(`${endpoint} did not answer ${method} within timeoutSec=${timeoutSec} s.`, {
      fix: `vCenter is slow or overloaded. Raise the source's timeoutSec (now ${timeoutSec}), lower perf.vmsPerQuery / perf.concurrency, or check vCenter's health.`,
      code: 'VCENTER_TIMEOUT',
    });
    this.name = 'VimTimeoutError';
  }
}

export class UnreachableError extends UserError {
  constructor(endpoint: string, reason: string) {
    super(`cannot reach ${endpoint}: ${reason}.`, {
      fix: 'Check the host name and port in url, DNS, and that a firewall allows TCP from this appliance to vCenter (443 unless set otherwise).',
      code: 'VCENTER_UNREACHABLE',
    });
    this.name = 'UnreachableError';
  }
}
