// Autodiff: derives the backward graph as data in the same IR. Walks the forward graph in reverse
// topological order from the loss (seeded with dL/dL = 1), applying each op's VJP rule, over
// only the nodes that lie on a path from a parameter to the loss. A tensor read by several
// consumers gets its gradient as an explicit `add` node (fan-in sum).
//
// Naming: the total gradient of tensor t is `d(t)`; when t has several consumers, each
// contribution is `d(t)@<consumer>` and `d(t)` is their sum. Parameter gradients are always
// `d(<param>)` with `grad.of` = the parameter (see `paramGrads` in ir/graph.ts).
import { ancestors, descendants, freshId, gradName, nodeIndex } from '../ir/graph.js';
import { createNode, type NodeBaseFields, type OpWithAttrs } from '../ir/node.js';
import type { Graph, Node, NodeOf, OpName, TensorType } from '../ir/types.js';
import { defOf, inferNodeType, ops } from '../ops/index.js';
import type { GradEquation, VjpContext } from '../ops/op-def.js';
import type { PassContext } from './context.js';

/** Mutable state of one differentiation. */
class Tape {
  readonly added: Node[] = [];
  private next: number;
  private readonly index: Map<number, Node>;

  constructor(readonly graph: Graph) {
    this.next = freshId(graph);
    this.index = new Map(nodeIndex(graph));
  }

  node(id: number): Node {
    const n = this.index.get(id);
    if (n === undefined) throw new Error(`internal: no node %${id} in '${this.graph.name}'`);
    return n;
  }

  /** Appends a backward node; its type comes from the op's shape rule. */
  emit(op: OpWithAttrs, name: string, inputs: readonly number[], of: number, factor: string): number {
    const operands = inputs.map((i) => this.node(i));
    const type: TensorType | string = inferNodeType(
      ops[op.op],
      operands.map((n) => n.type),
      op.attrs,
      operands.map((n) => n.name),
    );
    if (typeof type === 'string') throw new Error(`internal: backward node '${name}' (${op.op}) is ill-typed: ${type}`);
    const base: NodeBaseFields = { id: this.next++, name, inputs, type, role: 'backward', grad: { of, factor } };
    const node = createNode(op, base);
    this.added.push(node);
    this.index.set(node.id, node);
    return node.id;
  }

  seed(loss: Node): number {
    const base: NodeBaseFields = {
      id: this.next++,
      name: gradName(loss.name),
      inputs: [],
      type: loss.type,
      role: 'const',
      grad: { of: loss.id, factor: '1' },
    };
    const node = createNode({ op: 'fill', attrs: { value: 1 } }, base);
    this.added.push(node);
    this.index.set(node.id, node);
    return node.id;
  }
}

/** Ids of the nodes on a path from a parameter to the loss. */
function gradientPath(graph: Graph, loss: number): Set<number> {
  const fromParams = descendants(
    graph,
    graph.nodes.filter((n) => n.op === 'param').map((n) => n.id),
  );
  const toLoss = ancestors(graph, [loss]);
  return new Set([...fromParams].filter((id) => toLoss.has(id)));
}

/** How many gradient contributions each on-path tensor receives (one per on-path operand slot). */
function contributionCounts(graph: Graph, path: ReadonlySet<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const n of graph.nodes) {
    if (!path.has(n.id)) continue;
    for (const i of n.inputs) if (path.has(i)) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

/** Applies one node's VJP rule to each on-path operand; returns [operand id, contribution id]. */
function backprop<K extends OpName>(
  tape: Tape,
  node: NodeOf<K>,
  dy: number,
  path: ReadonlySet<number>,
  counts: ReadonlyMap<number, number>,
): [number, number][] {
  const rule = defOf(node).vjp;
  if (rule === undefined)
    throw new Error(`differentiation rule for '${node.op}' not implemented (node '${node.name}')`);
  const ctx: VjpContext<NodeOf<K>> = { node, dy, name: (id) => tape.node(id).name };
  const seen = new Map<number, number>();
  const out: [number, number][] = [];
  node.inputs.forEach((operand, k) => {
    if (!path.has(operand)) return;
    const contribution: GradEquation | number | undefined = rule.grad(ctx, k);
    if (contribution === undefined) {
      throw new Error(
        `'${node.op}' has no gradient for its operand ${k} ('${tape.node(operand).name}'), which lies on a path to a parameter`,
      );
    }
    if (typeof contribution === 'number') return void out.push([operand, contribution]);
    const target = tape.node(operand).name;
    const repeat = (seen.get(operand) ?? 0) + 1;
    seen.set(operand, repeat);
    const shared = (counts.get(operand) ?? 1) > 1;
    const name = shared ? `${gradName(target)}@${node.name}${repeat > 1 ? `#${repeat}` : ''}` : gradName(target);
    const { inputs, factor, ...op } = contribution;
    out.push([operand, tape.emit(op, name, inputs, operand, factor)]);
  });
  return out;
}

/** The autodiff pass: appends the backward graph (the input graph is not modified). */
export function differentiate(graph: Graph, _ctx: PassContext): Graph {
  if (graph.loss === undefined) throw new Error(`cannot differentiate '${graph.name}': it declares no loss`);
  const tape = new Tape(graph);
  const path = gradientPath(graph, graph.loss);
  const counts = contributionCounts(graph, path);
  const contributions = new Map<number, number[]>();
  const lossNode = tape.node(graph.loss);
  contributions.set(lossNode.id, [tape.seed(lossNode)]);
  for (const node of [...graph.nodes].reverse()) {
    if (!path.has(node.id)) continue;
    // Contributions arrive latest consumer first; sum them in forward order.
    const parts = [...(contributions.get(node.id) ?? [])].reverse();
    if (parts.length === 0) continue;
    const first = parts[0] ?? 0;
    const dy =
      parts.length === 1 ? first : tape.emit({ op: 'add', attrs: {} }, gradName(node.name), parts, node.id, 'Σ');
    if (defOf(node).leaf) continue;
    for (const [operand, id] of backprop(tape, node, dy, path, counts)) {
      contributions.set(operand, [...(contributions.get(operand) ?? []), id]);
    }
  }
  return { ...graph, nodes: [...graph.nodes, ...tape.added] };
}
