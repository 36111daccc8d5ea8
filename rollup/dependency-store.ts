import type { Redis } from 'ioredis';
import type { ConnectionSnapshot, DependencyEdge, TcpSocket } from '../model/guest.js';
import { keyOf } from '../queue/redis.js';

export const HOUR_MS = 3_600_000;

/** How IP addresses and listening ports resolve to discovered machines and their processes. */
export interface DependencyResolver {
  /** The discovered machine (inventory id) that has this IP address, or null. */
  machineOfIp(ip: string): string | null;
  /** The process listening on this port of a discovered machine; defaults to the listeners this store has seen. */
  processOfListener?(machine: string, port: number): string | null;
}

export interface DependencyStoreOptions {
  /** Hours of edges kept (default 30 days). */
  retentionHours?: number;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::' || ip === '*' || ip === '::ffff:0.0.0.0';
}

/** Start of the UTC hour of `ms`. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** The identity of an hourly edge: source machine + source process + destination IP + port (the hour is the key). */
export function edgeField(e: Pick<DependencyEdge, 'sourceMachine' | 'sourceProcess' | 'destinationIp' | 'destinationPort'>): string {
  return `${e.sourceMachine}\t${e.sourceProcess ?? ''}\t${e.destinationIp}\t${e.destinationPort}`;
}

/**
 * Turns one snapshot into the edges present in it, at most once each (several connections of one process to one
 * destination port count as one presence). Outbound connections (local port not listening) are edges from this
 * machine; inbound ones (local port listening) are edges only when the client is not a discovered machine (a
 * discovered client reports its own side, so counting both would count a poll twice); their source is the IP.
 */
export function edgesOfSnapshot(snapshot: ConnectionSnapshot, resolve: DependencyResolver): DependencyEdge[] {
  const listening = new Map<number, TcpSocket>();
  for (const s of snapshot.sockets) if (s.state === 'listen' && !listening.has(s.localPort)) listening.set(s.localPort, s);
  const self = snapshot.machine;
  const machineOf = (ip: string): string | null => (LOOPBACK.test(ip) ? self : resolve.machineOfIp(ip));
  const listenerProcess = (machine: string, port: number): string | null => {
    if (machine === self) return listening.get(port)?.process?.name ?? null;
    return resolve.processOfListener?.(machine, port) ?? null;
  };
  const hour = hourOf(snapshot.ts);
  const out = new Map<string, DependencyEdge>();
  for (const s of snapshot.sockets) {
    if (s.state !== 'established' || isUnspecified(s.remoteIp)) continue;
    let edge: DependencyEdge;
    const inbound = listening.has(s.localPort) && !listening.has(s.remotePort);
    if (!inbound) {
      const dest = machineOf(s.remoteIp);
      edge = {
        hour,
        sourceMachine: self,
        sourceIp: s.localIp,
        sourceProcess: s.process?.name ?? null,
        sourceApplication: null,
        destinationMachine: dest,
        destinationIp: s.remoteIp,
        destinationPort: s.remotePort,
        destinationProcess: dest ? listenerProcess(dest, s.remotePort) : null,
        destinationApplication: null,
        firstSeen: snapshot.ts,
        lastSeen: snapshot.ts,
        polls: 1,
      };
    } else {
      if (machineOf(s.remoteIp) !== null) continue;
      edge = {
        hour,
        sourceMachine: s.remoteIp,
        sourceIp: s.remoteIp,
        sourceProcess: null,
        sourceApplication: null,
        destinationMachine: self,
        destinationIp: s.localIp,
        destinationPort: s.localPort,
        destinationProcess: s.process?.name ?? listening.get(s.localPort)?.process?.name ?? null,
        destinationApplication: null,
        firstSeen: snapshot.ts,
        lastSeen: snapshot.ts,
        polls: 1,
      };
    }
    const f = edgeField(edge);
    if (!out.has(f)) out.set(f, edge);
  }
  return [...out.values()];
}

/** Folds one snapshot's presence into the hour's edge: polls counts distinct snapshots (by time). */
export function mergeEdge(prev: DependencyEdge | null, next: DependencyEdge): DependencyEdge {
  if (!prev) return next;
  const newer = next.lastSeen > prev.lastSeen;
  // The same snapshot recorded again (a retried write) is not a second poll.
  const same = next.firstSeen === prev.firstSeen || next.firstSeen === prev.lastSeen;
  return {
    ...prev,
    destinationMachine: prev.destinationMachine ?? next.destinationMachine,
    destinationProcess: (newer ? next.destinationProcess : null) ?? prev.destinationProcess ?? next.destinationProcess,
    firstSeen: Math.min(prev.firstSeen, next.firstSeen),
    lastSeen: Math.max(prev.lastSeen, next.lastSeen),
    polls: same ? prev.polls : prev.polls + 1,
  };
}

/**
 * Hourly dependency edges (issue 12).
 *   <prefix>:deps:hours            zset   hour start ms (score) -> hour start ms
 *   <prefix>:deps:hour:<hourMs>    hash   edgeField -> DependencyEdge JSON   (expires after the retention)
 *   <prefix>:deps:listeners        hash   machine -> { port: process name } JSON (its last snapshot's listeners)
 */
export class DependencyStore {
  private readonly retentionMs: number;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: DependencyStoreOptions = {},
  ) {
    this.retentionMs = (opts.retentionHours ?? 24 * 30) * HOUR_MS;
  }

  private hoursKey(): string {
    return keyOf(this.prefix, 'deps', 'hours');
  }
  private hourKey(hour: number): string {
    return keyOf(this.prefix, 'deps', 'hour', String(hour));
  }
  private listenersKey(): string {
    return keyOf(this.prefix, 'deps', 'listeners');
  }

  /** The listening ports and their processes from each machine's last snapshot (loaded before resolving others). */
  async listeners(): Promise<Map<string, Map<number, string | null>>> {
    const all = await this.redis.hgetall(this.listenersKey());
    const out = new Map<string, Map<number, string | null>>();
    for (const [m, v] of Object.entries(all)) {
      const obj = JSON.parse(v) as Record<string, string | null>;
      out.set(m, new Map(Object.entries(obj).map(([p, n]) => [Number(p), n])));
    }
    return out;
  }

  async record(snapshot: ConnectionSnapshot, resolve: DependencyResolver): Promise<void> {
    // Listeners first, so a later snapshot of another machine can name this one's server process.
    const mine: Record<string, string | null> = {};
    for (const s of snapshot.sockets) if (s.state === 'listen') mine[String(s.localPort)] ??= s.process?.name ?? null;
    await this.redis.hset(this.listenersKey(), snapshot.machine, JSON.stringify(mine));
    let resolver = resolve;
    if (!resolve.processOfListener) {
      const known = await this.listeners();
      resolver = { machineOfIp: (ip) => resolve.machineOfIp(ip), processOfListener: (m, p) => known.get(m)?.get(p) ?? null };
    }
    const edges = edgesOfSnapshot(snapshot, resolver);
    const hour = hourOf(snapshot.ts);
    const key = this.hourKey(hour);
    if (edges.length > 0) {
      const fields = edges.map(edgeField);
      const prev = await this.redis.hmget(key, ...fields);
      const flat: string[] = [];
      edges.forEach((e, i) => {
        const p = prev[i];
        flat.push(fields[i] as string, JSON.stringify(mergeEdge(p ? (JSON.parse(p) as DependencyEdge) : null, e)));
      });
      await this.redis
        .multi()
        .hset(key, ...flat)
        .pexpireat(key, hour + HOUR_MS + this.retentionMs)
        .zadd(this.hoursKey(), hour, String(hour))
        .zremrangebyscore(this.hoursKey(), '-inf', `(${hour - this.retentionMs}`)
        .exec();
    }
  }

  /** Edges of the hours that overlap [fromMs, toMs). */
  async edges(fromMs: number, toMs: number): Promise<DependencyEdge[]> {
    const hours = await this.redis.zrangebyscore(this.hoursKey(), hourOf(fromMs), `(${toMs}`);
    const out: DependencyEdge[] = [];
    for (const h of hours) {
      const all = await this.redis.hgetall(this.hourKey(Number(h)));
      for (const v of Object.values(all)) out.push(JSON.parse(v) as DependencyEdge);
    }
    return out.sort(
      (a, b) =>
        a.hour - b.hour ||
        a.sourceMachine.localeCompare(b.sourceMachine) ||
        (a.sourceProcess ?? '').localeCompare(b.sourceProcess ?? '') ||
        a.destinationIp.localeCompare(b.destinationIp) ||
        a.destinationPort - b.destinationPort,
    );
  }
}
