// Where every value of a scheduled graph lives in the generated module. Two arenas:
// `fixed` (parameters, gradients, optimizer state, scalars; sized once) and `batch`
// (activations and their gradients, B rows each; sized for the current batch). With a fixed
// batch every dim is a literal and everything goes to `fixed`.
import type { Graph, MemoryPlan, Node, Shape, Storage } from '../ir/types.js';

/** The layout codegen reads (the `plan-memory` pass's output, or `naiveLayout`). */
export type Layout = MemoryPlan;
export type { Storage };

/** Elements per batch row (shape with its `'B'` dim removed), or undefined when not batched. */
export function perRow(shape: Shape): number | undefined {
  if (!shape.includes('B')) return undefined;
  return shape.reduce<number>((n, d) => (d === 'B' ? n : n * d), 1);
}

export function staticSize(shape: Shape): number {
  return shape.reduce<number>((n, d) => n * (d === 'B' ? 1 : d), 1);
}

/**
 * A layout without reuse: every value gets its own region, in schedule order. The memory
 * planner pass replaces this with a liveness-based packing; codegen only reads offsets.
 */
export function naiveLayout(graph: Graph): Layout {
  const storage = new Map<number, Storage>();
  let fixed = 0;
  let row = 0;
  // Parameters, then optimizer state, first: their offsets stay stable across graph edits.
  const ordered = [...graph.nodes].sort((a, b) => rank(a) - rank(b));
  for (const node of ordered) {
    if (node.role === 'input' || node.role === 'target') {
      storage.set(node.id, { kind: 'external', key: node.name });
    } else if (node.assigns !== undefined) {
      storage.set(node.id, { kind: 'alias', of: node.assigns });
    } else {
      const r = perRow(node.type.shape);
      if (r === undefined) {
        const size = staticSize(node.type.shape);
        storage.set(node.id, { kind: 'fixed', offset: fixed, size });
        fixed += size;
      } else {
        storage.set(node.id, { kind: 'batch', rowOffset: row, rowSize: r });
        row += r;
      }
    }
  }
  return { storage, fixedSize: fixed, batchRowSize: row };
}

function rank(node: Node): number {
  switch (node.role) {
    case 'param':
      return 0;
    case 'state':
      return 1;
    default:
      return 2;
  }
}
