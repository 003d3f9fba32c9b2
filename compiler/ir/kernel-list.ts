// Kernels of a graph: what the `fuse` pass chose, or one kernel per non-leaf node. Shared by the
// memory planner and codegen so both agree on what is stored and in which order it runs.
import { nodeIndex } from './graph.js';
import type { Graph, Kernel, Node } from './types.js';

const LEAF_ROLES: ReadonlySet<Node['role']> = new Set(['input', 'target', 'param', 'state', 'const']);

export function isLeaf(node: Node): boolean {
  return LEAF_ROLES.has(node.role);
}

/** The graph's kernels in execution order (the default: every non-leaf node alone, in node order). */
export function kernelsOf(graph: Graph): readonly Kernel[] {
  if (graph.kernels !== undefined) return graph.kernels;
  return graph.nodes
    .filter((n) => !isLeaf(n))
    .map((n) => ({ name: identifier(n.name), pattern: 'single', nodes: [n.id], writes: [n.id] }));
}

/**
 * Ids a kernel reads from memory: operands of its nodes (and of its fused updates) that it does
 * not compute itself, in first-use order.
 */
export function kernelReads(graph: Graph, kernel: Kernel, withUpdates = true): number[] {
  const inside = new Set([...kernel.nodes, ...(withUpdates ? (kernel.updates ?? []) : [])]);
  const index = nodeIndex(graph);
  const reads: number[] = [];
  for (const id of inside) {
    for (const i of index.get(id)?.inputs ?? []) if (!inside.has(i) && !reads.includes(i)) reads.push(i);
  }
  return reads;
}

/** A readable JS identifier from a node name (`d(fc1)@h` → `d_fc1_h`). */
export function identifier(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return s === '' ? 'v' : /^\d/.test(s) ? `_${s}` : s;
}

/**
 * The kernel list as text, one kernel per line in execution order: name, pattern, the nodes it
 * computes (values kept in registers in parentheses) and fused updates. Used by golden tests
 * and written next to the IR dumps by `chainrule compile`.
 */
export function printKernels(graph: Graph): string {
  const index = nodeIndex(graph);
  const name = (id: number): string => index.get(id)?.name ?? `%${id}`;
  const kernels = kernelsOf(graph);
  const lines = kernels.map((k, i) => {
    const nodes = k.nodes.map((id) => (k.writes.includes(id) ? name(id) : `(${name(id)})`)).join(', ');
    const updates = k.updates === undefined ? '' : `  + updates ${k.updates.map(name).join(', ')}`;
    return `${String(i).padStart(3)} k_${k.name}  [${k.pattern}]  ${nodes}${updates}`;
  });
  const nodes = graph.nodes.filter((n) => !isLeaf(n)).length;
  return `${lines.join('\n')}\n# ${kernels.length} kernels for ${nodes} IR nodes\n`;
}
