// Hourly dependency edges: key by hour + source machine + source process + destination IP + port; first/last
// seen; polls = the 5-minute snapshots the edge was present in; destination machine and process resolved.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectionSnapshot, TcpSocket } from '../../model/guest.js';
import { DependencyStore, edgesOfSnapshot, HOUR_MS } from '../../rollup/dependency-store.js';
import { deleteByPrefix } from './helpers.js';

const redis = new Redis('redis://127.0.0.1:6379/15', { maxRetriesPerRequest: 2 });
const prefix = `t-i12-deps-${process.pid}-${randomBytes(3).toString('hex')}`;
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
});

const H0 = Date.UTC(2026, 11, 1, 10);
const proc = (name: string, pid = 1) => ({ pid, name, path: null, args: null });
const est = (l: string, lp: number, r: string, rp: number, p: string | null): TcpSocket => ({
  state: 'established',
  localIp: l,
  localPort: lp,
  remoteIp: r,
  remotePort: rp,
  process: p ? proc(p) : null,
});
const listen = (port: number, p: string | null): TcpSocket => ({
  state: 'listen',
  localIp: '0.0.0.0',
  localPort: port,
  remoteIp: '0.0.0.0',
  remotePort: 0,
  process: p ? proc(p) : null,
});
const ips: Record<string, string> = { '10.0.0.1': 'web', '10.0.0.2': 'db' };
const resolve = { machineOfIp: (ip: string) => ips[ip] ?? null };

describe('hourly dependency edges', () => {
  it('turns a snapshot into outbound edges once each, and inbound ones only from undiscovered clients', () => {
    const snap: ConnectionSnapshot = {
      machine: 'web',
      ts: H0 + 60_000,
      notes: [],
      sockets: [
        listen(80, 'nginx'),
        est('10.0.0.1', 40001, '10.0.0.2', 5432, 'java'),
        est('10.0.0.1', 40002, '10.0.0.2', 5432, 'java'),
        est('10.0.0.1', 80, '192.168.1.50', 51000, 'nginx'),
        est('10.0.0.1', 80, '10.0.0.2', 51001, 'nginx'),
        est('127.0.0.1', 40003, '127.0.0.1', 80, 'curl'),
        est('127.0.0.1', 80, '127.0.0.1', 40003, 'nginx'),
      ],
    };
    const edges = edgesOfSnapshot(snap, { ...resolve, processOfListener: (m, p) => (m === 'db' && p === 5432 ? 'postgres' : null) });
    expect(
      edges.map((e) => [e.sourceMachine, e.sourceProcess, e.destinationMachine, e.destinationIp, e.destinationPort, e.destinationProcess]),
    ).toEqual([
      ['web', 'java', 'db', '10.0.0.2', 5432, 'postgres'],
      ['192.168.1.50', null, 'web', '10.0.0.1', 80, 'nginx'],
      ['web', 'curl', 'web', '127.0.0.1', 80, 'nginx'],
    ]);
    expect(edges.every((e) => e.hour === H0 && e.polls === 1)).toBe(true);
  });

  it('aggregates 5-minute snapshots per hour with first/last seen and polls, and names the destination process', async () => {
    const store = new DependencyStore(redis, prefix);
    // db's listeners are known from its own snapshot.
    await store.record({ machine: 'db', ts: H0, sockets: [listen(5432, 'postgres')], notes: [] }, resolve);
    const webSnap = (ts: number, present: boolean): ConnectionSnapshot => ({
      machine: 'web',
      ts,
      notes: [],
      sockets: present ? [est('10.0.0.1', 40001, '10.0.0.2', 5432, 'java')] : [],
    });
    // Hour 0: present in 10 of 12 polls (absent at 5 and 6); recorded twice at 0 (a retried write).
    for (let i = 0; i < 12; i++) await store.record(webSnap(H0 + i * 300_000, i !== 5 && i !== 6), resolve);
    await store.record(webSnap(H0, true), resolve);
    // Hour 1: 3 polls; hour 2: none (stopped).
    for (let i = 0; i < 3; i++) await store.record(webSnap(H0 + HOUR_MS + i * 300_000, true), resolve);
    for (let i = 0; i < 12; i++) await store.record(webSnap(H0 + 2 * HOUR_MS + i * 300_000, false), resolve);
    const all = await store.edges(H0, H0 + 3 * HOUR_MS);
    expect(all).toEqual([
      {
        hour: H0,
        sourceMachine: 'web',
        sourceIp: '10.0.0.1',
        sourceProcess: 'java',
        sourceApplication: null,
        destinationMachine: 'db',
        destinationIp: '10.0.0.2',
        destinationPort: 5432,
        destinationProcess: 'postgres',
        destinationApplication: null,
        firstSeen: H0,
        lastSeen: H0 + 11 * 300_000,
        polls: 10,
      },
      expect.objectContaining({ hour: H0 + HOUR_MS, firstSeen: H0 + HOUR_MS, lastSeen: H0 + HOUR_MS + 600_000, polls: 3 }),
    ]);
    expect(await store.edges(H0 + 2 * HOUR_MS, H0 + 3 * HOUR_MS)).toEqual([]);
    // A range inside an hour returns that hour's edges.
    expect((await store.edges(H0 + 30 * 60_000, H0 + 40 * 60_000)).map((e) => e.hour)).toEqual([H0]);
  });
});
