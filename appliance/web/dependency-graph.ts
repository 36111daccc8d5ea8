// The dependency map's data (issue 12): hourly edges folded into one graph for a machine or a group over a time
// range: machines (and undiscovered addresses) as nodes, one edge per (source, destination) with its ports,
// processes and polls. Served as JSON to the map page's script (appliance/web/static/dependency-map.js).
import type { DependencyEdge } from '../../model/guest.js';

export interface GraphNode {
  id: string;
  label: string;
  /** A discovered machine (its page and map exist), or an address the inventory does not know. */
  discovered: boolean;
  /** The machine asked for, or a member of the group asked for. */
  focus: boolean;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  ports: number[];
  /** "client -> server" process pairs, as seen. */
  processes: string[];
  polls: number;
  /** What the map writes on the edge: ports and processes. */
  label: string;
}

export interface DependencyGraph {
  from: string;
  to: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The edges touching `focus` (a machine or a group's machines), as a graph; every other machine is a neighbour. */
export function dependencyGraph(
  edges: readonly DependencyEdge[],
  focus: ReadonlySet<string>,
  names: ReadonlyMap<string, string>,
  range: { from: number; to: number },
): DependencyGraph {
  const nodes = new Map<string, GraphNode>();
  const node = (id: string, known: boolean) => {
    if (!nodes.has(id)) nodes.set(id, { id, label: names.get(id) ?? id, discovered: known && names.has(id), focus: focus.has(id) });
    return id;
  };
  const folded = new Map<string, { source: string; target: string; ports: Set<number>; processes: Set<string>; polls: number }>();
  for (const e of edges) {
    const target = e.destinationMachine ?? e.destinationIp;
    if (!focus.has(e.sourceMachine) && !focus.has(target)) continue;
    const source = node(e.sourceMachine, e.sourceMachine !== e.sourceIp);
    node(target, e.destinationMachine !== null);
    const key = `${source}\u0000${target}`;
    const f = folded.get(key) ?? { source, target, ports: new Set<number>(), processes: new Set<string>(), polls: 0 };
    f.ports.add(e.destinationPort);
    f.processes.add(`${e.sourceProcess ?? '?'} -> ${e.destinationProcess ?? '?'}`);
    f.polls += e.polls;
    folded.set(key, f);
  }
  for (const id of focus) if (names.has(id)) node(id, true);
  const out = [...folded.values()].map((f, i) => {
    const ports = [...f.ports].sort((a, b) => a - b);
    const processes = [...f.processes].sort();
    return {
      id: `e${i}`,
      source: f.source,
      target: f.target,
      ports,
      processes,
      polls: f.polls,
      label: `${ports.join(', ')} · ${processes.join(', ')}`,
    };
  });
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    nodes: [...nodes.values()].sort((a, b) => a.label.localeCompare(b.label)),
    edges: out,
  };
}
