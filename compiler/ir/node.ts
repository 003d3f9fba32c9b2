// Construction of node records. An op and its attrs vary together (a correlated union), so
// nodes are built from an `{ op, attrs }` pair of that union: no casts needed.
import type { AttrMap, Node, OpName } from './types.js';

/** An op name with attrs of that op. */
export type OpWithAttrs = { [P in OpName]: { readonly op: P; readonly attrs: AttrMap[P] } }[OpName];

export type NodeBaseFields = Omit<Node, 'op' | 'attrs'>;

/** The node record for `op` with its typed attrs. */
export function createNode(op: OpWithAttrs, base: NodeBaseFields): Node {
  return { ...base, ...op };
}
