import { describe, expect, it } from 'vitest';
import { parsePortList, suggestGroups } from '../../assessment/groups.js';
import { DEFAULT_IGNORE_PORTS } from '../../config/schema/groups.js';
import type { DependencyEdge } from '../../model/guest.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 11, 1);

function edge(src: string, dst: string | null, port: number, polls = 12, hour = T0, extra: Partial<DependencyEdge> = {}): DependencyEdge {
  return {
    hour,
    sourceMachine: src,
    sourceIp: `10.0.0.${src.length}`,
    sourceProcess: 'client',
    sourceApplication: null,
    destinationMachine: dst,
    destinationIp: `10.0.1.${(dst ?? 'x').length}`,
    destinationPort: port,
    destinationProcess: dst ? 'server' : null,
    destinationApplication: null,
    firstSeen: hour,
    lastSeen: hour + (polls - 1) * 300_000,
    polls,
    ...extra,
  };
}

const opts = { ignorePorts: [...DEFAULT_IGNORE_PORTS], minPolls: 2 };

describe('suggestGroups: connected components of the dependency graph', () => {
  it('two three-tier applications sharing a DNS/AD server become two groups; the DC stands alone', () => {
    const edges = [
      edge('web1', 'app1', 8080),
      edge('app1', 'db1', 1433),
      edge('web2', 'app2', 8080),
      edge('app2', 'db2', 5432),
      ...['web1', 'app1', 'db1', 'web2', 'app2', 'db2'].flatMap((m) => [edge(m, 'dc', 53), edge(m, 'dc', 88), edge(m, 'dc', 389)]),
    ];
    const s = suggestGroups(edges, opts);
    expect(s.groups.map((g) => g.machines)).toEqual([
      ['app1', 'db1', 'web1'],
      ['app2', 'db2', 'web2'],
    ]);
    expect(s.groups.map((g) => g.name)).toEqual(['suggested-1', 'suggested-2']);
    expect(s.standalone).toEqual(['dc']);
    expect(s.ignored.ignoredPort).toBe(18);
    expect(s.groups[0]?.links).toEqual([
      { a: 'app1', b: 'db1', ports: [1433], polls: 12 },
      { a: 'app1', b: 'web1', ports: [8080], polls: 12 },
    ]);
  });

  it('without the ignored ports, the shared server joins everything into one group', () => {
    const edges = [edge('web1', 'app1', 8080), edge('web2', 'app2', 8080), edge('web1', 'dc', 53), edge('web2', 'dc', 53)];
    expect(suggestGroups(edges, { ignorePorts: [], minPolls: 1 }).groups.map((g) => g.machines)).toEqual([
      ['app1', 'app2', 'dc', 'web1', 'web2'],
    ]);
  });

  it('minimum traffic: polls are summed over hours and both directions of a pair; below it the pair is not joined', () => {
    const once = [edge('a', 'b', 443, 1)];
    expect(suggestGroups(once, { ignorePorts: [], minPolls: 2 })).toMatchObject({
      groups: [],
      standalone: ['a', 'b'],
      ignored: { belowMinPolls: 1 },
    });
    const twoHours = [edge('a', 'b', 443, 1, T0), edge('a', 'b', 443, 1, T0 + H)];
    expect(suggestGroups(twoHours, { ignorePorts: [], minPolls: 2 }).groups.map((g) => g.machines)).toEqual([['a', 'b']]);
    const bothWays = [edge('a', 'b', 443, 1), edge('b', 'a', 8443, 1)];
    expect(suggestGroups(bothWays, { ignorePorts: [], minPolls: 2 }).groups[0]).toMatchObject({
      machines: ['a', 'b'],
      links: [{ ports: [443, 8443], polls: 2 }],
    });
    expect(suggestGroups(twoHours, { ignorePorts: [], minPolls: 3 }).groups).toEqual([]);
  });

  it('undiscovered peers (external destinations, inbound clients by IP) and self-connections join nothing', () => {
    const edges = [edge('web', null, 443), edge('203.0.113.9', 'web', 443, 12, T0, { sourceIp: '203.0.113.9' }), edge('web', 'web', 8080)];
    const s = suggestGroups(edges, { ignorePorts: [], minPolls: 1 });
    expect(s).toMatchObject({ groups: [], standalone: ['web'], ignored: { undiscoveredPeer: 2, selfLoop: 1 } });
  });

  it('with the inventory given, only its machines are nodes; a component is transitive (a-b, b-c, d-c is one group)', () => {
    const edges = [edge('a', 'b', 1), edge('b', 'c', 2), edge('d', 'c', 3), edge('ghost', 'a', 4)];
    const s = suggestGroups(edges, { ignorePorts: [], minPolls: 1 }, ['a', 'b', 'c', 'd', 'idle']);
    expect(s.groups.map((g) => g.machines)).toEqual([['a', 'b', 'c', 'd']]);
    expect(s.standalone).toEqual([]);
    expect(s.ignored.undiscoveredPeer).toBe(1);
  });

  it('larger groups first, then by first member; --ignore-ports parses a comma list', () => {
    const edges = [edge('x', 'y', 1), edge('b', 'c', 1), edge('c', 'd', 1)];
    expect(suggestGroups(edges, { ignorePorts: [], minPolls: 1 }).groups.map((g) => g.machines[0])).toEqual(['b', 'x']);
    expect(parsePortList('53, 123,88')).toEqual([53, 123, 88]);
    expect(parsePortList('')).toEqual([]);
    expect(() => parsePortList('53,dns')).toThrow();
    expect(() => parsePortList('70000')).toThrow();
  });

  it('the default ignored ports cover DNS, NTP, Kerberos, LDAP and the global catalogue', () => {
    for (const p of [53, 123, 88, 389, 636, 3268, 3269]) expect(DEFAULT_IGNORE_PORTS).toContain(p);
  });
});
