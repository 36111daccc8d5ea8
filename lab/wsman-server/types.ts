// The simulator-facing contract of the WS-Man server: a backend evaluates requests into items;
// the server does the wire (HTTP/HTTPS, NTLM, sealing, envelopes, contexts, batching, faults).
import type { Logger } from '../../common/log.js';
import type { CimValue } from '../../collectors/wsman/cim.js';

export interface RenderedItem {
  className: string;
  /**
   * The resource namespace WITHOUT the class, e.g. "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2";
   * the item element's namespace is `${namespaceUri}/${className}` as Windows writes it.
   */
  namespaceUri: string;
  properties: Record<string, CimValue>;
  /** true for a WQL projection (SELECT a, b): rendered as <w:XmlFragment> with unqualified children. */
  fragment: boolean;
}

export interface EnumerateRequest {
  resourceUri: string;
  filter?: { dialect: string; text: string };
  selectors: Record<string, string>;
  /** The authenticated account as the client sent it ("HV01\\collector", "collector"). */
  user: string;
}

export interface GetRequest {
  resourceUri: string;
  selectors: Record<string, string>;
  user: string;
}

export interface InvokeRequest {
  resourceUri: string;
  method: string;
  selectors: Record<string, string>;
  params: Record<string, string | string[]>;
  user: string;
}

export interface WsmanBackend {
  /** Evaluates an enumeration into its items. Throw WsmanServerFault for faults. */
  enumerate(req: EnumerateRequest): Promise<RenderedItem[]> | RenderedItem[];
  get?(req: GetRequest): Promise<RenderedItem> | RenderedItem;
  /** Returns the output parameters (className is used as "<Method>_OUTPUT" when empty). */
  invoke?(req: InvokeRequest): Promise<RenderedItem> | RenderedItem;
}

export interface WsmanServerOptions {
  backend: WsmanBackend;
  /** username as the client sends it ("HV01\\collector" matches that domain only; "collector" matches any domain) -> password. */
  users: Record<string, string>;
  /** HTTP (5985-style): NTLM with message encryption; plaintext refused with HTTP 500 unless allowUnencrypted. */
  http?: {
    port: number;
    allowUnencrypted?: boolean /** Basic over HTTP, only with allowUnencrypted (for wsl WSNOSSL=1). */;
    basic?: boolean;
  };
  /** HTTPS (5986-style): NTLM and/or Basic. */
  https?: { port: number; cert: string; key: string; basic?: boolean; ntlm?: boolean };
  /** Always 127.0.0.1 in tests. */
  host?: string;
  /** Idle expiry of enumeration contexts (Windows EnumerationTimeoutms, default 60000). */
  enumerationTimeoutMs?: number;
  /** MaxBatchItems (default 32000). */
  maxBatchItems?: number;
  /** Server cap on MaxEnvelopeSize (default 512000). */
  maxEnvelopeSize?: number;
  /** Appears in NTLM target info and in fault Machine attributes. */
  computerName?: string;
  log?: Logger;
}

export interface WsmanServerStats {
  requests: number;
  /** Successful NTLM / Basic authentications (one per connection for NTLM). */
  authentications: number;
  authFailures: number;
  /** NTLM authentications over HTTPS whose channel binding (CBT) matched the server certificate. */
  channelBound: number;
  connections: number;
  openContexts: number;
  faults: number;
  plaintextRefused: number;
}

export interface WsmanServerHandle {
  httpPort?: number;
  httpsPort?: number;
  stats(): WsmanServerStats;
  /** Closes every open connection (as a host restart or idle timeout does); clients must re-authenticate. */
  dropConnections(): void;
  /** Forgets every connection's NTLM authentication but keeps the sockets open: the next request gets 401. */
  forgetAuthentication(): void;
  /** Expires every open enumeration context now (the next Pull gets wsen:InvalidEnumerationContext). */
  expireEnumerations(): void;
  close(): Promise<void>;
}

export type WsmanServerFaultKind =
  | 'AccessDenied'
  | 'InvalidNamespace'
  | 'InvalidClass'
  | 'InvalidQuery'
  | 'CannotProcessFilter'
  | 'InvalidSelectors'
  | 'InvalidResourceURI'
  | 'ResourceNotFound'
  | 'TimedOut'
  | 'QuotaLimit'
  | 'InvalidEnumerationContext'
  | 'EncodingLimit'
  | 'ActionNotSupported'
  | 'InvalidMessageInformationHeader'
  | 'UnsupportedFeature'
  | 'InternalError';

/** Thrown by a backend (or the server) to answer with a faithful SOAP fault. */
export class WsmanServerFault extends Error {
  readonly kind: WsmanServerFaultKind;
  constructor(kind: WsmanServerFaultKind, message: string) {
    super(message);
    this.name = 'WsmanServerFault';
    this.kind = kind;
  }
}
