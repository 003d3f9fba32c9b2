// Which kernels each API function runs, in graph (topological) order: `forward` computes only
// what the outputs need; `lossAndGrads` runs forward, loss and backward; `trainStep` adds the
// optimizer updates.
import type { Graph, Node } from '../ir/types.js';

export interface Schedule {
  /** Every node that needs a kernel, in order. */
  readonly kernels: readonly Node[];
  readonly forward: readonly Node[];
  /** Forward nodes the loss needs, the loss, and the backward nodes. */
  readonly backward: readonly Node[];
  readonly update: readonly Node[];
  /** Param id → the node holding ∂L/∂param. */
  readonly paramGrads: ReadonlyMap<number, Node>;
}

const LEAVES = new Set(['input', 'target', 'param', 'state', 'const']);

export function needsKernel(node: Node): boolean {
  return !LEAVES.has(node.role);
}

/** Ids of `roots` and everything they depend on. */
export function ancestors(graph: Graph, roots: readonly number[]): Set<number> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop() as number;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const i of byId.get(id)?.inputs ?? []) stack.push(i);
  }
  return seen;
}

export function partitionSchedule(graph: Graph): Schedule {
  const kernels = graph.nodes.filter(needsKernel);
  const forwardSet = ancestors(graph, graph.outputs);
  const forward = kernels.filter((n) => forwardSet.has(n.id) && (n.role === 'forward' || n.role === 'loss'));
  const update = kernels.filter((n) => n.role === 'update');
  const updateInputs = ancestors(
    graph,
    update.flatMap((n) => n.inputs),
  );
  const lossSet = graph.loss === undefined ? new Set<number>() : ancestors(graph, [graph.loss]);
  const backward = kernels.filter(
    (n) => n.role !== 'update' && (lossSet.has(n.id) || n.role === 'backward' || updateInputs.has(n.id)),
  );
  return { kernels, forward, backward, update, paramGrads: paramGradients(graph) };
}

/**
 * The gradient node of each parameter: the backward node named `d(<param>)` (the autodiff
 * pass's naming rule for the final, summed gradient of a leaf).
 */
export function paramGradients(graph: Graph): Map<number, Node> {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const out = new Map<number, Node>();
  for (const p of graph.nodes) {
    if (p.role !== 'param') continue;
    const g = byName.get(`d(${p.name})`);
    if (g !== undefined) out.set(p.id, g);
  }
  return out;
}
