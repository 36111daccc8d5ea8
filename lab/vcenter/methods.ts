// The vim25 methods the lab answers, one small handler each. A handler validates everything first
// (throwing VimFault) and then returns the response body: a string, or a generator of strings that
// the server streams.
import { randomUUID } from 'node:crypto';
import { COUNTERS, COUNTER_BY_KEY } from './perf-counters.js';
import { availableMetricsXml, planQueryPerf, providerSummaryXml, queryPerfXml, requestedCounters } from './perf.js';
import {
  PathPlan,
  objectContentXml,
  pageXml,
  parseFilterSpec,
  parseMoRef,
  planObjects,
  selectObjects,
  type Retrieval,
} from './property-collector.js';
import {
  perfCounterInfo,
  serviceContent,
  userSession,
  type ContainerViewState,
  type LabSession,
  type PropertyContext,
} from './properties.js';
import type { SessionStore } from './sessions.js';
import { VimFault, faults } from './soap.js';
import { KNOWN_TYPES, SERVICE, type LabInventory, type MoRef } from './model.js';
import { fieldXml } from './values.js';
import { escapeXml as esc } from '../../common/xml/escape.js';
import { child, childText, children, type XmlNode } from '../../common/xml/reader.js';
import { isoTime } from './iso-time.js';

export type Body = string | Iterable<string>;

export interface CallContext {
  body: XmlNode;
  this: MoRef;
  session: (LabSession & { cookie: string }) | null;
  ipAddress: string;
  userAgent: string;
  /** Set by Login: the cookie to send back. */
  setCookie?: string;
}

/** The caller's session; dispatch() lets only public methods through without one, so this is a real check. */
function sessionOf(call: CallContext): LabSession & { cookie: string } {
  if (!call.session) throw faults.notAuthenticated(call.this);
  return call.session;
}

export interface LabOptions {
  vcenterName: string;
  instanceUuid: string;
  startedAt: number;
  now: () => number;
  /** Server-side cap on objects per RetrievePropertiesEx page (vCenter pages even when asked for more). */
  maxObjectsCap: number;
  /** Seconds after a 20-s slot ends before its sample shows in QueryPerf. */
  perfLatencySec: number;
}

type Handler = (state: LabState, call: CallContext) => Body;

/** Methods that need no session, as on vCenter. */
const PUBLIC = new Set(['RetrieveServiceContent', 'Login']);

export class LabState {
  readonly views = new Map<string, ContainerViewState & { sessionKey: string }>();
  readonly retrievals = new Map<string, Retrieval>();
  #nextToken = 1;

  constructor(
    readonly inv: LabInventory,
    readonly sessions: SessionStore,
    readonly opts: LabOptions,
  ) {}

  propertyContext(session: LabSession | null): PropertyContext {
    return {
      inv: this.inv,
      vcenterName: this.opts.vcenterName,
      instanceUuid: this.opts.instanceUuid,
      startedAt: this.opts.startedAt,
      now: this.opts.now,
      session,
      sessions: () => this.sessions.list(),
      views: () => [...this.views.values()].filter((v) => v.sessionKey === session?.key),
      view: (value) => this.views.get(value),
    };
  }

  token(): string {
    return String(this.#nextToken++);
  }

  /** Forgets views and retrievals of sessions that no longer exist. */
  sweep(): void {
    const live = new Set(this.sessions.list().map((s) => s.key));
    for (const [k, v] of this.views) if (!live.has(v.sessionKey)) this.views.delete(k);
    for (const [k, r] of this.retrievals) if (!live.has(r.sessionKey)) this.retrievals.delete(k);
  }

  dispatch(method: string, call: CallContext): Body {
    const entry = HANDLERS[method];
    if (!PUBLIC.has(method) && !call.session) throw faults.notAuthenticated(call.this);
    if (!entry) throw faults.methodNotFound(call.this, method);
    if (entry.on !== call.this.type || (entry.value && entry.value !== call.this.value)) {
      throw faults.methodNotFound(call.this, method);
    }
    if (call.session) this.sessions.touch(call.session);
    return entry.handle(this, call);
  }
}

const bool = (t: string | undefined) => t === 'true' || t === '1';

function retrieve(state: LabState, call: CallContext): Retrieval {
  const specs = children(call.body, 'specSet').map(parseFilterSpec);
  if (!specs.length) throw faults.invalidArgument('specSet');
  const ctx = state.propertyContext(call.session);
  const plan = new PathPlan(specs);
  const objects = planObjects(ctx, selectObjects(ctx, specs), plan);
  const asked = Number(childText(child(call.body, 'options') ?? call.body, 'maxObjects') ?? '');
  const pageSize = Math.min(asked > 0 ? asked : Infinity, state.opts.maxObjectsCap);
  return { objects, plan, cursor: 0, pageSize, sessionKey: sessionOf(call).key };
}

/** One page of a retrieval, registering a token when more remain. */
function page(state: LabState, call: CallContext, r: Retrieval, token: string | null): Body {
  const more = r.cursor + r.pageSize < r.objects.length;
  const next = more ? (token ?? state.token()) : null;
  if (next) state.retrievals.set(next, r);
  if (!more && token) state.retrievals.delete(token);
  return pageXml(state.propertyContext(call.session), r, next);
}

function retrievalFor(state: LabState, call: CallContext): { token: string; r: Retrieval } {
  const token = childText(call.body, 'token') ?? '';
  const r = state.retrievals.get(token);
  if (!r || r.sessionKey !== call.session?.key) throw faults.invalidArgument('token', `no retrieval in progress with token "${token}"`);
  return { token, r };
}

const HANDLERS: Record<string, { on: string; value?: string; handle: Handler }> = {
  RetrieveServiceContent: {
    on: 'ServiceInstance',
    value: SERVICE.instance.value,
    handle: (s, c) => fieldXml('returnval', serviceContent(s.propertyContext(c.session))),
  },
  CurrentTime: {
    on: 'ServiceInstance',
    value: SERVICE.instance.value,
    handle: (s) => `<returnval>${isoTime(s.opts.now(), true)}</returnval>`,
  },

  Login: {
    on: 'SessionManager',
    value: SERVICE.sessionManager.value,
    handle: (s, c) => {
      const user = childText(c.body, 'userName') ?? '';
      const password = child(c.body, 'password')?.text ?? '';
      const result = s.sessions.login(user, password, c.ipAddress, c.userAgent);
      if (!result) throw faults.invalidLogin();
      if (c.session) s.sessions.logout(c.session.cookie);
      c.setCookie = result.cookie;
      return fieldXml('returnval', userSession(result.session));
    },
  },
  Logout: {
    on: 'SessionManager',
    value: SERVICE.sessionManager.value,
    handle: (s, c) => {
      s.sessions.logout(sessionOf(c).cookie);
      s.sweep();
      return '';
    },
  },
  SessionIsActive: {
    on: 'SessionManager',
    value: SERVICE.sessionManager.value,
    handle: (s, c) =>
      `<returnval>${s.sessions.isActive(childText(c.body, 'sessionID') ?? '', childText(c.body, 'userName') ?? '')}</returnval>`,
  },
  TerminateSession: {
    on: 'SessionManager',
    value: SERVICE.sessionManager.value,
    handle: (s, c) => {
      const missing = s.sessions.terminate(children(c.body, 'sessionId').map((n) => n.text.trim()));
      if (missing.length) throw new VimFault('NotFound', `The object or item referred to could not be found: session ${missing[0]}`);
      s.sweep();
      return '';
    },
  },

  CreateContainerView: {
    on: 'ViewManager',
    value: SERVICE.viewManager.value,
    handle: (s, c) => {
      const container = parseMoRef(child(c.body, 'container'), 'container');
      if (!s.inv.exists(container) || container.type === 'VirtualMachine') throw faults.notFound(container);
      const types = children(c.body, 'type').map((t) => t.text.trim());
      for (const t of types) if (!KNOWN_TYPES.has(t)) throw faults.invalidArgument('type', `unknown type ${t}`);
      const recursive = bool(childText(c.body, 'recursive'));
      s.sweep(); // views of sessions that expired meanwhile go before a new one is made
      const sessionKey = sessionOf(c).key;
      const ref = { type: 'ContainerView', value: `session[${sessionKey}]${randomUUID()}` };
      s.views.set(ref.value, { ref, container, types, recursive, view: s.inv.view(container, types, recursive), sessionKey });
      return `<returnval type="ContainerView">${esc(ref.value)}</returnval>`;
    },
  },
  DestroyView: {
    on: 'ContainerView',
    handle: (s, c) => {
      if (!s.views.delete(c.this.value)) throw faults.notFound(c.this);
      return '';
    },
  },

  RetrievePropertiesEx: {
    on: 'PropertyCollector',
    value: SERVICE.propertyCollector.value,
    handle: (s, c) => page(s, c, retrieve(s, c), null),
  },
  ContinueRetrievePropertiesEx: {
    on: 'PropertyCollector',
    value: SERVICE.propertyCollector.value,
    handle: (s, c) => {
      const { token, r } = retrievalFor(s, c);
      return page(s, c, r, token);
    },
  },
  CancelRetrievePropertiesEx: {
    on: 'PropertyCollector',
    value: SERVICE.propertyCollector.value,
    handle: (s, c) => {
      s.retrievals.delete(retrievalFor(s, c).token);
      return '';
    },
  },
  RetrieveProperties: {
    on: 'PropertyCollector',
    value: SERVICE.propertyCollector.value,
    handle: (s, c) => {
      const r = retrieve(s, c);
      const ctx = s.propertyContext(c.session);
      return (function* () {
        for (const o of r.objects) yield objectContentXml(ctx, 'returnval', o, r.plan);
      })();
    },
  },

  QueryPerf: {
    on: 'PerformanceManager',
    value: SERVICE.perfManager.value,
    handle: (s, c) => queryPerfXml(planQueryPerf(s.inv, c.body, { now: s.opts.now(), latencySec: s.opts.perfLatencySec })),
  },
  QueryAvailablePerfMetric: {
    on: 'PerformanceManager',
    value: SERVICE.perfManager.value,
    handle: (s, c) => availableMetricsXml(s.inv, c.body),
  },
  QueryPerfProviderSummary: {
    on: 'PerformanceManager',
    value: SERVICE.perfManager.value,
    handle: (s, c) => providerSummaryXml(s.inv, c.body),
  },
  QueryPerfCounter: {
    on: 'PerformanceManager',
    value: SERVICE.perfManager.value,
    handle: (_s, c) =>
      requestedCounters(c.body)
        .flatMap((k) => {
          const info = COUNTER_BY_KEY.get(k);
          return info ? [fieldXml('returnval', perfCounterInfo(info))] : [];
        })
        .join(''),
  },
  QueryPerfCounterByLevel: {
    on: 'PerformanceManager',
    value: SERVICE.perfManager.value,
    handle: (_s, c) => {
      const level = Number(childText(c.body, 'level') ?? '4');
      return COUNTERS.filter((k) => k.level <= level)
        .map((k) => fieldXml('returnval', perfCounterInfo(k)))
        .join('');
    },
  },
};

export const SUPPORTED_METHODS = Object.keys(HANDLERS);
