// Read-only helpers over a Graph: lookup, consumers, fresh ids, topological order, and the
// naming rules of backward and optimizer nodes.
import { MinHeap } from './min-heap.js';
import type { Graph, Node } from './types.js';

/** Map from node id to node. */
export function nodeIndex(graph: Graph): ReadonlyMap<number, Node> {
  // Cached per node array: passes call this for every kernel and node, and rebuilding it each
  // time made compile time grow faster than quadratically with graph size. Graphs are immutable
  // (a pass returns new arrays); the length check guards against an array grown in place.
  const cached = indexCache.get(graph.nodes);
  if (cached !== undefined && cached.size === graph.nodes.length) return cached;
  const index = new Map(graph.nodes.map((n) => [n.id, n]));
  indexCache.set(graph.nodes, index);
  return index;
}

const indexCache = new WeakMap<readonly Node[], ReadonlyMap<number, Node>>();

/** Map from node id to its place in `graph.nodes` (cached like `nodeIndex`). */
export function nodePositions(graph: Graph): ReadonlyMap<number, number> {
  const cached = positionCache.get(graph.nodes);
  if (cached !== undefined && cached.size === graph.nodes.length) return cached;
  const positions = new Map(graph.nodes.map((n, k) => [n.id, k]));
  positionCache.set(graph.nodes, positions);
  return positions;
}

const positionCache = new WeakMap<readonly Node[], ReadonlyMap<number, number>>();

/** The node with this id; throws (an internal error) when there is none. */
export function nodeById(graph: Graph, id: number, index: ReadonlyMap<number, Node> = nodeIndex(graph)): Node {
  const node = index.get(id);
  if (node === undefined) throw new Error(`internal: graph '${graph.name}' has no node %${id}`);
  return node;
}

/** The node with this unique name, if any. */
export function nodeByName(graph: Graph, name: string): Node | undefined {
  return graph.nodes.find((n) => n.name === name);
}

/** For every node id, the ids of the nodes that read it (once per operand slot, in graph order). */
export function consumers(graph: Graph): ReadonlyMap<number, readonly number[]> {
  const map = new Map<number, number[]>(graph.nodes.map((n) => [n.id, []]));
  for (const n of graph.nodes) for (const i of n.inputs) map.get(i)?.push(n.id);
  return map;
}

/** An id no node of the graph uses: one more than the largest. */
export function freshId(graph: Graph): number {
  return graph.nodes.reduce((m, n) => Math.max(m, n.id + 1), 0);
}

/**
 * A topological order (Kahn's algorithm, ties broken by position in `nodes`, so an already
 * ordered list comes back unchanged), or the ids left on a cycle or reading an undefined id.
 */
export function topoOrder(nodes: readonly Node[]): { ok: true; order: Node[] } | { ok: false; stuck: number[] } {
  const ids = new Set(nodes.map((n) => n.id));
  const pending = new Map(nodes.map((n) => [n.id, n.inputs.filter((i) => ids.has(i)).length]));
  const readers = new Map<number, Node[]>();
  for (const n of nodes)
    for (const i of new Set(n.inputs)) {
      const list = readers.get(i);
      if (list === undefined) readers.set(i, [n]);
      else list.push(n);
    }
  const position = new Map(nodes.map((n, k) => [n.id, k]));
  // The ready nodes by position: a heap, as every leaf (input, parameter, state) is ready at once.
  const ready = new MinHeap();
  nodes.forEach((n, k) => {
    if (pending.get(n.id) === 0 && n.inputs.every((i) => ids.has(i))) ready.push(k);
  });
  const order: Node[] = [];
  for (let k = ready.pop(); k !== undefined; k = ready.pop()) {
    const n = nodes[k];
    if (n === undefined) break;
    order.push(n);
    for (const r of readers.get(n.id) ?? []) {
      const left = (pending.get(r.id) ?? 0) - r.inputs.filter((i) => i === n.id).length;
      pending.set(r.id, left);
      if (left === 0 && r.inputs.every((i) => ids.has(i))) ready.push(position.get(r.id) ?? 0);
    }
  }
  if (order.length === nodes.length) return { ok: true, order };
  const done = new Set(order.map((n) => n.id));
  return { ok: false, stuck: nodes.filter((n) => !done.has(n.id)).map((n) => n.id) };
}

/** Ids of every node `roots` depend on (including the roots). */
export function ancestors(graph: Graph, roots: readonly number[]): Set<number> {
  const index = nodeIndex(graph);
  const seen = new Set<number>();
  const stack = [...roots];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (seen.has(id)) continue;
    seen.add(id);
    for (const i of index.get(id)?.inputs ?? []) stack.push(i);
  }
  return seen;
}

/** Ids of every node that depends on any of `roots` (including the roots). */
export function descendants(graph: Graph, roots: readonly number[]): Set<number> {
  const seen = new Set(roots);
  for (const n of graph.nodes) if (n.inputs.some((i) => seen.has(i))) seen.add(n.id);
  return seen;
}

/** Name of the (total) gradient node of a tensor: `d(fc1)`, `d(fc1.weight)`. */
export function gradName(tensorName: string): string {
  return `d(${tensorName})`;
}

/**
 * Parameter id → id of the node holding ∂L/∂param, in a graph after autodiff. The gradient of a
 * parameter is the backward node with `grad.of === param.id` named `d(<param>)` (a parameter is
 * read by exactly one linear node, so it never needs a fan-in sum).
 */
export function paramGrads(graph: Graph): ReadonlyMap<number, number> {
  const params = new Map(graph.nodes.filter((n) => n.op === 'param').map((n) => [n.id, n.name]));
  const map = new Map<number, number>();
  for (const n of graph.nodes) {
    if (n.role !== 'backward' || n.grad === undefined) continue;
    const pname = params.get(n.grad.of);
    if (pname !== undefined && n.name === gradName(pname)) map.set(n.grad.of, n.id);
  }
  return map;
}
