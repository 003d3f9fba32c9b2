// Small pure helpers the simplification passes share: what must survive, and how to replace
// one node by another everywhere it is referenced.
import { paramGrads } from '../../ir/graph.js';
import type { Graph, Node } from '../../ir/types.js';

/**
 * Values the caller sees or that persist after a step: outputs, the loss, update nodes and
 * parameter gradients. They are the roots of liveness, and their nodes are never merged or
 * replaced by another node (outputs and gradients are keyed by node name).
 */
export function pinnedIds(graph: Graph): Set<number> {
  const pinned = new Set<number>(graph.outputs);
  if (graph.loss !== undefined) pinned.add(graph.loss);
  for (const n of graph.nodes) if (n.role === 'update') pinned.add(n.id);
  for (const g of paramGrads(graph).values()) pinned.add(g);
  return pinned;
}

/**
 * The graph with these nodes. The fusion and memory plans refer to node ids, so they are dropped
 * when the nodes change (the simplification passes run before fusion and planning).
 */
export function withNodes(graph: Graph, nodes: readonly Node[]): Graph {
  const { kernels: _kernels, memory: _memory, ...rest } = graph;
  return { ...rest, nodes };
}

/**
 * Every reference to a key of `replace` (operands, outputs, loss, `grad.of`) redirected to its
 * value; the replaced nodes themselves are removed. Values must be defined before their readers.
 */
export function redirect(graph: Graph, replace: ReadonlyMap<number, number>): Graph {
  if (replace.size === 0) return graph;
  const to = (id: number): number => replace.get(id) ?? id;
  const nodes = graph.nodes
    .filter((n) => !replace.has(n.id))
    .map((n): Node => {
      const inputs = n.inputs.some((i) => replace.has(i)) ? n.inputs.map(to) : n.inputs;
      const grad = n.grad !== undefined && replace.has(n.grad.of) ? { ...n.grad, of: to(n.grad.of) } : n.grad;
      return inputs === n.inputs && grad === n.grad ? n : { ...n, inputs, ...(grad === undefined ? {} : { grad }) };
    });
  const loss = graph.loss === undefined ? {} : { loss: to(graph.loss) };
  return { ...withNodes(graph, nodes), outputs: graph.outputs.map(to), ...loss };
}
