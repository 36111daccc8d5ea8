// Migration groups (issue 12): the connected components of the dependency graph, as Azure Migrate proposes groups
// from its dependency map. Machines are the nodes; an edge joins two discovered machines when the traffic between
// them, on ports that are not shared infrastructure, was present in enough 5-minute polls. Pure: the stores feed it.
import type { DependencyEdge } from '../model/guest.js';

export interface GroupOptions {
  /** Destination ports whose edges never join two machines (DNS, NTP, AD, backup agents). */
  ignorePorts: readonly number[];
  /** Polls summed over the range (all hours, both directions) a pair of machines needs to be joined. */
  minPolls: number;
}

export interface SuggestedGroup {
  name: string;
  /** Machine ids, sorted. */
  machines: string[];
  /** The machine pairs that joined the group: ports and polls, for people to judge the suggestion. */
  links: { a: string; b: string; ports: number[]; polls: number }[];
}

export interface GroupSuggestion {
  groups: SuggestedGroup[];
  /** Machines seen in the dependency data that no kept edge joins to another machine. */
  standalone: string[];
  /** Edges left out, and why (counts). */
  ignored: { ignoredPort: number; belowMinPolls: number; undiscoveredPeer: number; selfLoop: number };
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/**
 * The connected components of the machines joined by edges that pass the thresholds, largest first. `machines`
 * (the inventory's ids) says which ends are discovered machines; without it, an edge's source is a machine unless it
 * is an address (an inbound connection from an undiscovered client has its IP as source).
 */
export function suggestGroups(edges: readonly DependencyEdge[], o: GroupOptions, machines?: readonly string[]): GroupSuggestion {
  const ignorePorts = new Set(o.ignorePorts);
  const ignored = { ignoredPort: 0, belowMinPolls: 0, undiscoveredPeer: 0, selfLoop: 0 };
  const known = machines ? new Set(machines) : null;
  const isMachine = (id: string | null, ip: string): id is string => id !== null && (known ? known.has(id) : id !== ip);
  const nodes = new Set<string>();
  const pairs = new Map<string, { a: string; b: string; ports: Set<number>; polls: number }>();
  for (const e of edges) {
    const src = isMachine(e.sourceMachine, e.sourceIp);
    const dst = isMachine(e.destinationMachine, '');
    if (src) nodes.add(e.sourceMachine);
    if (dst && e.destinationMachine) nodes.add(e.destinationMachine);
    if (ignorePorts.has(e.destinationPort)) {
      ignored.ignoredPort++;
      continue;
    }
    if (!src || !dst || !e.destinationMachine) {
      ignored.undiscoveredPeer++;
      continue;
    }
    if (e.destinationMachine === e.sourceMachine) {
      ignored.selfLoop++;
      continue;
    }
    const k = pairKey(e.sourceMachine, e.destinationMachine);
    const [a, b] = [e.sourceMachine, e.destinationMachine].sort() as [string, string];
    const p = pairs.get(k) ?? { a, b, ports: new Set<number>(), polls: 0 };
    p.ports.add(e.destinationPort);
    p.polls += e.polls;
    pairs.set(k, p);
  }
  // Union-find over the pairs that pass the threshold.
  const parent = new Map<string, string>([...nodes].map((n) => [n, n]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    let c = x;
    while (c !== r) {
      const next = parent.get(c) as string;
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  const kept: { a: string; b: string; ports: number[]; polls: number }[] = [];
  for (const p of pairs.values()) {
    if (p.polls < o.minPolls) {
      ignored.belowMinPolls++;
      continue;
    }
    kept.push({ a: p.a, b: p.b, ports: [...p.ports].sort((x, y) => x - y), polls: p.polls });
    const ra = find(p.a);
    const rb = find(p.b);
    const [lo, hi] = [ra, rb].sort() as [string, string];
    if (lo !== hi) parent.set(hi, lo);
  }
  const components = new Map<string, string[]>();
  for (const n of nodes) {
    const r = find(n);
    components.set(r, [...(components.get(r) ?? []), n]);
  }
  const multi = [...components.values()]
    .filter((c) => c.length > 1)
    .map((c) => c.sort())
    .sort((x, y) => y.length - x.length || (x[0] ?? '').localeCompare(y[0] ?? ''));
  const groups = multi.map((members, i) => {
    const inGroup = new Set(members);
    return {
      name: `suggested-${i + 1}`,
      machines: members,
      links: kept.filter((l) => inGroup.has(l.a)).sort((x, y) => x.a.localeCompare(y.a) || x.b.localeCompare(y.b)),
    };
  });
  const standalone = [...components.values()]
    .filter((c) => c.length === 1)
    .map((c) => c[0] as string)
    .sort();
  return { groups, standalone, ignored };
}

/** Parses "53,123,88" (the --ignore-ports option). */
export function parsePortList(text: string): number[] {
  const ports = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new Error(`not a list of TCP ports: ${text}`);
  return ports;
}
