// Bounds every XML read from a peer: a hostile answer fails at a limit while it streams in, never
// after a multi-gigabyte tree was built (issue 10, finding 1).

/** The caps of one parse. Every read from a peer has all four; callers raise one for a known-large answer. */
export interface XmlLimits {
  /** Bytes of the document (after any transport decoding). */
  maxBytes: number;
  /** Element nesting (vim25 data objects and WS-Man envelopes nest a dozen levels at most). */
  maxDepth: number;
  /** Elements opened, counted as they are read, so a flood of `<a/>` stops at the cap. */
  maxElements: number;
  /** Characters of one text run (between two tags). */
  maxTextLength: number;
}

/** The vim25 client's historic name: maxBytes and maxDepth required, the newer caps optional. */
export type ParseLimits = Pick<XmlLimits, 'maxBytes' | 'maxDepth'> & Partial<XmlLimits>;

export const DEFAULT_LIMITS: XmlLimits = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 2_000_000,
  maxTextLength: 16 * 1024 * 1024,
});

export function limitsWith(over: Partial<XmlLimits> | undefined): XmlLimits {
  if (!over) return DEFAULT_LIMITS;
  return {
    maxBytes: over.maxBytes ?? DEFAULT_LIMITS.maxBytes,
    maxDepth: over.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxElements: over.maxElements ?? DEFAULT_LIMITS.maxElements,
    maxTextLength: over.maxTextLength ?? DEFAULT_LIMITS.maxTextLength,
  };
}

/** Why a document was refused, for callers that word their own message (the lab servers). */
export type XmlRejectReason = 'doctype' | 'malformed' | 'empty' | 'limit';

/** A document this reader will not accept. The message says why, without the document's content. */
export class XmlRejected extends Error {
  readonly reason: XmlRejectReason;
  constructor(message: string, reason: XmlRejectReason = 'malformed') {
    super(message);
    this.name = 'XmlRejected';
    this.reason = reason;
  }
}

/** A cap was exceeded; `limit` names the XmlLimits key so a collector can name its config key in a fix. */
export class XmlLimitError extends XmlRejected {
  readonly limit: keyof XmlLimits;
  /** The cap that was exceeded. */
  readonly value: number;
  constructor(limit: keyof XmlLimits, value: number, message: string) {
    super(message, 'limit');
    this.name = 'XmlLimitError';
    this.limit = limit;
    this.value = value;
  }
}

export function sizeText(bytes: number): string {
  return bytes >= 1048576 ? `${Math.round(bytes / 1048576)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** 2000000 -> "2,000,000": the figure an administrator compares with the config. */
export function countText(n: number): string {
  return n.toLocaleString('en-US');
}

export function bytesExceeded(maxBytes: number, subject = 'the response'): XmlLimitError {
  return new XmlLimitError('maxBytes', maxBytes, `${subject} is larger than ${sizeText(maxBytes)}`);
}
