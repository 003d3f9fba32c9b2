// Common-subexpression elimination: a computed node with the same op, attrs, operands and role
// as an earlier one is that earlier node. Deterministic: the first in graph order is kept and
// later duplicates read it. Operand order is part of the key (add(a, b) and add(b, a) round
// differently), and pinned values (outputs, gradients, updates) keep their own nodes.
import type { Graph, Node } from '../../ir/types.js';
import { defOf } from '../../ops/index.js';
import type { Pass } from '../context.js';
import { pinnedIds, redirect } from './graph-edit.js';

/** Attrs as text with sorted keys, so equal attrs give equal keys whatever their key order. */
function attrsKey(attrs: object): string {
  return JSON.stringify(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function nodeKey(node: Node, inputs: readonly number[]): string {
  return `${node.op}|${attrsKey(node.attrs)}|${node.role}|${inputs.join(',')}`;
}

/** Duplicate id → the id of the first equal node. */
function duplicates(graph: Graph): Map<number, number> {
  const pinned = pinnedIds(graph);
  const first = new Map<string, number>();
  const replace = new Map<number, number>();
  for (const n of graph.nodes) {
    if (defOf(n).leaf || n.assigns !== undefined) continue;
    // Operands are redirected first, so chains of duplicates collapse in one sweep.
    const key = nodeKey(
      n,
      n.inputs.map((i) => replace.get(i) ?? i),
    );
    const kept = first.get(key);
    if (kept === undefined) first.set(key, n.id);
    else if (!pinned.has(n.id)) replace.set(n.id, kept);
  }
  return replace;
}

/** The graph with every duplicate computation merged into its first occurrence. */
export function eliminateCommonSubexpressions(graph: Graph): Graph {
  return redirect(graph, duplicates(graph));
}

export const cse: Pass = { name: 'cse', run: (graph) => eliminateCommonSubexpressions(graph) };
