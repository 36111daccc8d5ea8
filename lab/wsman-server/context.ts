// What the listeners' request handling shares: counters, the dispatcher, the account lookup and the
// per-socket NTLM state.
import type { Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import type { Dispatcher } from './dispatch.js';
import type { ConnState } from './respond.js';
import type { WsmanServerStats } from './types.js';

export interface ServerContext {
  stats: WsmanServerStats;
  dispatcher: Dispatcher;
  /** Keyed by the socket requests carry, so NTLM state lives and dies with the connection. */
  states: WeakMap<Socket, ConnState>;
  lookup: (user: string, domain: string) => string | undefined;
  computerName: string;
  log?: Logger;
}
