// Typed WS-Management errors: each says what went wrong on which host and what the administrator can do.
import { UserError } from '../../common/errors.js';

/** The parts of a SOAP fault a caller may branch on. */
export interface FaultInfo {
  /** s:Sender / s:Receiver (local name). */
  code: string;
  /** Local name of the subcode, e.g. AccessDenied, InvalidEnumerationContext. */
  subcode: string;
  /** Namespace of the subcode. */
  subcodeNamespace: string;
  /** WSManFault/@Code (decimal), the number Windows documents in wsmerror.h / WMI HRESULTs. */
  wsmanFaultCode: number | null;
  /** w:FaultDetail URI when present. */
  detail: string | null;
  /** The most specific message text (innermost f:Message, else s:Reason). */
  message: string;
  machine: string | null;
}

export class WsmanError extends UserError {
  readonly endpoint: string;
  readonly fault: FaultInfo | null;
  constructor(endpoint: string, message: string, opts: { fix?: string; code?: string; cause?: unknown; fault?: FaultInfo | null } = {}) {
    super(`${endpoint}: ${message}`, { fix: opts.fix, code: opts.code ?? 'WSMAN_ERROR', cause: opts.cause });
    this.name = 'WsmanError';
    this.endpoint = endpoint;
    this.fault = opts.fault ?? null;
  }

  /**
   * The same error (class, message, fault, cause) with another fix: a collector edge adds the
   * admin-facing advice only it can give (groups, roles, config keys); this layer knows the protocol.
   */
  withFix(fix: string): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.defineProperties(copy, Object.getOwnPropertyDescriptors(this));
    Object.defineProperty(copy, 'fix', { value: fix, enumerable: true, writable: false, configurable: true });
    return copy;
  }
}

/** HTTP 401: the host refused the credentials (or the scheme). Do not retry blindly: accounts lock out. */
export class WsmanAuthError extends WsmanError {
  constructor(endpoint: string, message: string, fix?: string) {
    super(endpoint, message, {
      code: 'WSMAN_AUTH',
      fix:
        fix ??
        'Check the username (HOST\\user for a local account, DOMAIN\\user for a domain account) and the password. The collector does not retry with the same credentials, to avoid locking the account out.',
    });
    this.name = 'WsmanAuthError';
  }
}

/** Authenticated, but not allowed. Which rights the account needs is the caller's knowledge (its collector adds the fix). */
export class WsmanAccessDeniedError extends WsmanError {
  constructor(endpoint: string, message: string, fault: FaultInfo | null, fix?: string) {
    super(endpoint, `access denied (${message.trim()})`, {
      code: 'WSMAN_ACCESS_DENIED',
      fault,
      fix:
        fix ??
        'The host accepted the credentials but refused the operation: give the account the rights this operation needs on this host.',
    });
    this.name = 'WsmanAccessDeniedError';
  }
}

/** The request (or the whole round trip) took longer than allowed. */
export class WsmanTimeoutError extends WsmanError {
  constructor(endpoint: string, message: string, fault: FaultInfo | null = null, cause?: unknown) {
    super(endpoint, message, {
      code: 'WSMAN_TIMEOUT',
      fault,
      cause,
      fix: 'The host is slow or overloaded: allow the client more time (timeoutMs), or check the host (WMI service, CPU).',
    });
    this.name = 'WsmanTimeoutError';
  }
}

/** The enumeration context expired, was already used, or is unknown: restart the whole Enumerate. */
export class WsmanEnumerationContextError extends WsmanError {
  constructor(endpoint: string, message: string, fault: FaultInfo | null) {
    super(endpoint, `enumeration context no longer valid (${message.trim()})`, {
      code: 'WSMAN_ENUMERATION_CONTEXT',
      fault,
      fix: 'Restart the enumeration; the host forgets contexts that stay idle longer than its EnumerationTimeoutms (60 s by default).',
    });
    this.name = 'WsmanEnumerationContextError';
  }
}

/** The WMI namespace does not exist on the host (what that means for a role is the caller's knowledge). */
export class WsmanInvalidNamespaceError extends WsmanError {
  readonly resourceUri: string | undefined;
  constructor(endpoint: string, message: string, fault: FaultInfo | null, resourceUri?: string, fix?: string) {
    super(endpoint, `invalid WMI namespace${resourceUri ? ` for ${resourceUri}` : ''} (${message.trim()})`, {
      code: 'WSMAN_INVALID_NAMESPACE',
      fault,
      fix:
        fix ?? 'The WMI namespace of this resource URI does not exist on the host: the role or feature that provides it is not installed.',
    });
    this.name = 'WsmanInvalidNamespaceError';
    this.resourceUri = resourceUri;
  }
}

/** Could not talk WS-Man at all: connection refused or reset, DNS, TLS handshake, plaintext refused, bad framing. */
export class WsmanTransportError extends WsmanError {
  constructor(endpoint: string, message: string, fix: string, cause?: unknown) {
    super(endpoint, message, { code: 'WSMAN_TRANSPORT', fix, cause });
    this.name = 'WsmanTransportError';
  }
}

/** A reply went past one of the client's caps (bytes while it streamed in, or elements, depth, text while parsed). */
export class WsmanLimitError extends WsmanError {
  /** The cap's name (an XmlLimits key: maxBytes, maxElements, maxDepth, maxTextLength). */
  readonly limit: string;
  readonly value: number;
  constructor(endpoint: string, message: string, limit: string, value: number, cause?: unknown) {
    super(endpoint, message, {
      code: 'WSMAN_LIMIT',
      cause,
      fix: `The host sent more than the client accepts (${limit} ${value}); this is a broken or hostile host, or a cap set too low for it.`,
    });
    this.name = 'WsmanLimitError';
    this.limit = limit;
    this.value = value;
  }
}

/** Any other SOAP fault, with its code, subcode and WSManFault code. */
export class WsmanFault extends WsmanError {
  constructor(endpoint: string, fault: FaultInfo, fix?: string) {
    super(
      endpoint,
      `WS-Management fault ${fault.subcode || fault.code}${fault.wsmanFaultCode !== null ? ` (code ${fault.wsmanFaultCode})` : ''}: ${fault.message.trim()}`,
      { code: 'WSMAN_FAULT', fault, fix: fix ?? 'See the message from the host; this is usually a request the host does not support.' },
    );
    this.name = 'WsmanFault';
  }
}
