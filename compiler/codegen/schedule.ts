// Which kernels each API function runs, in graph (topological) order: `forward` computes only
// what the outputs need; `lossAndGrads` runs forward, loss and backward; `trainStep` adds the
// optimizer updates.
import { ancestors, nodeById, paramGrads } from '../ir/graph.js';
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

/** Param id → its gradient node (see `paramGrads` in compiler/ir/graph.ts for the rule). */
export function paramGradients(graph: Graph): Map<number, Node> {
  const out = new Map<number, Node>();
  for (const [param, grad] of paramGrads(graph)) out.set(param, nodeById(graph, grad));
  return out;
}
