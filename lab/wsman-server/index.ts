// The lab's WS-Management server: the far side of the collector's client, for the Hyper-V lab and the tests.
export {
  WsmanServerFault,
  type WsmanBackend,
  type RenderedItem,
  type WsmanServerOptions,
  type WsmanServerHandle,
  type WsmanServerStats,
  type WsmanServerFaultKind,
  type EnumerateRequest,
  type GetRequest,
  type InvokeRequest,
} from './types.js';
export { startWsmanServer } from './server.js';
export { NtlmServerContext, NtlmAuthFailure } from './ntlm-acceptor.js';
