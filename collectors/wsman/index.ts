// Public surface of the WS-Management stack (the client side; the lab's server is lab/wsman-server/). No Hyper-V knowledge here.
export type { CimValue, CimInstance, EndpointReference } from './cim.js';
export {
  wmiResourceUri,
  wqlString,
  isCimInstance,
  isEndpointReference,
  propArray,
  propString,
  propStrings,
  propBigInt,
  propNumber,
  propBoolean,
} from './cim.js';
export { parseEmbeddedInstance, renderEmbeddedInstance, CimXmlError } from './cimxml.js';
export { WsmanClient, type WsmanClientOptions } from './client.js';
export {
  WsmanError,
  WsmanAuthError,
  WsmanAccessDeniedError,
  WsmanTimeoutError,
  WsmanEnumerationContextError,
  WsmanInvalidNamespaceError,
  WsmanTransportError,
  WsmanFault,
  WsmanLimitError,
  type FaultInfo,
} from './errors.js';
export { NS, WQL_DIALECT, WMI_BASE } from './namespaces.js';
export { parseWmiResourceUri } from './cim.js';
export { connectWithFallback } from './fallback.js';
