// Deterministic text form of a graph, jaxpr-like: one typed equation per line. `%k` numbers are
// handed out at print time in topological order, so the text does not depend on node ids.
// The grammar is in docs/ir.md.
import { defOf } from '../ops/index.js';
import { formatType } from '../ops/shape.js';
import { topoOrder } from './graph.js';
import type { Graph, Node, NodeOf, OpName } from './types.js';

/** Attribute text of a node (`[units=128]`), empty when the op has no attrs to show. */
export function printAttrs<K extends OpName>(node: NodeOf<K>): string {
  const text = defOf(node).printAttrs?.(node.attrs) ?? '';
  return text === '' ? '' : `[${text}]`;
}

/** One equation: `%3 fc1: f32[B,128] = linear[units=128] %0 x, %1 fc1.weight, %2 fc1.bias`. */
function equation(node: Node, ref: (id: number) => string): string {
  const operands = node.inputs.map(ref).join(', ');
  const rhs = `${node.op}${printAttrs(node)}${operands === '' ? '' : ` ${operands}`}`;
  const notes: string[] = [];
  if (node.grad !== undefined) notes.push(`∂ ${ref(node.grad.of)}: ${node.grad.factor}`);
  if (node.assigns !== undefined) notes.push(`→ ${ref(node.assigns)}`);
  const comment = notes.length === 0 ? '' : `  # ${notes.join('; ')}`;
  return `${ref(node.id)}: ${formatType(node.type)} = ${rhs}${comment}`;
}

/** The whole graph as text, one equation per line, ending with its outputs and loss. */
export function printGraph(graph: Graph): string {
  const sorted = topoOrder(graph.nodes);
  // An invalid (cyclic) graph still prints, in stored order, so it can be inspected.
  const order = sorted.ok ? sorted.order : [...graph.nodes];
  const number = new Map(order.map((n, k) => [n.id, k]));
  const names = new Map(order.map((n) => [n.id, n.name]));
  const ref = (id: number): string => {
    const k = number.get(id);
    return k === undefined ? `%?${id}` : `%${k} ${names.get(id) ?? '?'}`;
  };
  const lines = [`graph ${graph.name} {`, ...order.map((n) => `  ${equation(n, ref)}`)];
  lines.push(`  outputs: ${graph.outputs.map(ref).join(', ')}`);
  if (graph.loss !== undefined) lines.push(`  loss: ${ref(graph.loss)}`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
