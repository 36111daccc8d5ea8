// Wire errors: protocol facts only (endpoint, method, fault type, HTTP status, what the server
// said, the timeout). The admin-facing fix that names config keys is added by ../errors.ts.

/**
 * A SOAP fault returned by the far end. `faultType` is the vim25 fault class from the detail
 * (InvalidLogin, NotAuthenticated, InvalidArgument, ...), or "ServerFault" when there is none.
 */
export class VimFault extends Error {
  readonly faultType: string;
  readonly method: string;
  /** The fault's faultstring, as the server sent it. */
  readonly faultString: string;
  /** Simple fields of the fault detail (e.g. invalidProperty), for messages. */
  readonly detail: Record<string, string>;
  constructor(method: string, faultType: string, faultString: string, detail: Record<string, string> = {}) {
    super(`${method} failed: ${faultType}${faultString ? ` (${faultString})` : ''}`);
    this.name = 'VimFault';
    this.method = method;
    this.faultType = faultType;
    this.faultString = faultString;
    this.detail = detail;
  }
}

export function isFault(err: unknown, ...types: string[]): err is VimFault {
  return err instanceof VimFault && (types.length === 0 || types.includes(err.faultType));
}

/** Base of the transport and framing errors: which endpoint, which method. */
export abstract class VimWireError extends Error {
  readonly endpoint: string;
  readonly method: string;
  constructor(endpoint: string, method: string, message: string) {
    super(message);
    this.endpoint = endpoint;
    this.method = method;
  }
}

/** The far end is not a vim25 SOAP endpoint (HTML, wrong path, not SOAP). */
export class NotVimEndpointError extends VimWireError {
  /** HTTP status of the answer (absent when the answer was XML but not an envelope). */
  readonly status: number | undefined;
  constructor(endpoint: string, method: string, what: string, status?: number) {
    super(endpoint, method, `${endpoint} is not a vSphere SDK endpoint: ${what}.`);
    this.name = 'NotVimEndpointError';
    this.status = status;
  }
}

/** The response could not be accepted: malformed, hostile (DOCTYPE / entities), too large or too deep. */
export class BadResponseError extends VimWireError {
  readonly status: number | undefined;
  /** Set when a reader cap refused the answer: the cap's name (an XmlLimits key) and its value. */
  readonly limit: { name: string; value: number } | undefined;
  constructor(endpoint: string, method: string, what: string, status?: number, limit?: { limit: string; value: number }) {
    super(endpoint, method, `${endpoint} sent an unacceptable response to ${method}: ${what}.`);
    this.name = 'BadResponseError';
    this.status = status;
    this.limit = limit ? { name: limit.limit, value: limit.value } : undefined;
  }
}

/**
 * No answer within the client's timeout: nothing for that long (headers, a body chunk), or, with `whole`,
 * the answer was still not complete when the per-request wall-clock deadline passed (a trickling peer).
 */
export class VimTimeoutError extends VimWireError {
  readonly timeoutMs: number;
  readonly whole: boolean;
  constructor(endpoint: string, method: string, timeoutMs: number, whole = false) {
    super(
      endpoint,
      method,
      whole
        ? `${endpoint} did not complete its answer to ${method} within ${timeoutMs} ms.`
        : `${endpoint} did not answer ${method} within ${timeoutMs} ms.`,
    );
    this.name = 'VimTimeoutError';
    this.timeoutMs = timeoutMs;
    this.whole = whole;
  }
}

/** The connection could not be made or broke; `reason` holds the socket error code and text. */
export class UnreachableError extends VimWireError {
  readonly reason: string;
  constructor(endpoint: string, method: string, reason: string) {
    super(endpoint, method, `cannot reach ${endpoint}: ${reason}.`);
    this.name = 'UnreachableError';
    this.reason = reason;
  }
}
