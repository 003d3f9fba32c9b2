// The generic rewrite driver: applies a table of named local rules until none fires (tinygrad's
// graph_rewrite, with names so every rewrite can be traced). A rule anchors on the ops in
// `match`; its `rewrite` inspects the node and its neighbourhood and returns what the node
// becomes, or `undefined` when the pattern does not apply there.
import { consumers, freshId, gradName, nodeById, nodeIndex, topoOrder } from '../../ir/graph.js';
import { createNode, type OpWithAttrs } from '../../ir/node.js';
import type { Graph, Node, NodeOf, OpName, TensorType } from '../../ir/types.js';
import { defOf, inferNodeType } from '../../ops/index.js';
import { pinnedIds, redirect, withNodes } from './graph-edit.js';

/** What a rule turns its matched node into. */
export type Rewrite =
  /** Readers of the matched node read this existing node instead; the matched node goes. */
  | { readonly kind: 'use'; readonly id: number }
  /** The matched node keeps its id, name and op, with these operands. */
  | { readonly kind: 'operands'; readonly inputs: readonly number[] }
  /**
   * A new node (fresh id) takes the matched node's place: its name, role, location and the
   * tensor it differentiates; `factor` is its chain-rule factor for the diagrams.
   */
  | { readonly kind: 'node'; readonly op: OpWithAttrs; readonly inputs: readonly number[]; readonly factor: string };

/** The neighbourhood a rule may inspect (read-only). */
export interface RuleView {
  node(id: number): Node;
  name(id: number): string;
  /** True when `reader` is the one reader of `id` (in one operand slot) and `id` is not pinned. */
  onlyReadBy(id: number, reader: number): boolean;
}

export interface Rule {
  /** Short kebab-case name, shown by traces and the rule listing. */
  readonly name: string;
  /** One line: the pattern before → after. */
  readonly description: string;
  /** Ops of the node the pattern is rooted at; the driver offers only those nodes. */
  readonly match: readonly OpName[];
  rewrite(node: Node, view: RuleView): Rewrite | undefined;
}

/** One rule application, for `--trace-rules`-style listings and tests. */
export interface Fired {
  readonly rule: string;
  /** The matched node's name. */
  readonly node: string;
}

/** The rule view of one graph, with the node index and pinned set the driver reuses for that step. */
interface StepView extends RuleView {
  readonly index: ReadonlyMap<number, Node>;
  readonly pinned: ReadonlySet<number>;
}

function viewOf(graph: Graph): StepView {
  const index = nodeIndex(graph);
  const readers = consumers(graph);
  const pinned = pinnedIds(graph);
  const node = (id: number): Node => nodeById(graph, id, index);
  return {
    node,
    name: (id) => node(id).name,
    onlyReadBy: (id, reader) => {
      const rs = readers.get(id) ?? [];
      return !pinned.has(id) && rs.length === 1 && rs[0] === reader;
    },
    index,
    pinned,
  };
}

/**
 * Backward nodes named after `from` (`d(h)`, `d(h)@fc2`) are renamed after `to` when it differentiates
 * them now and the new name is free: the identity rule keeps gradient names readable.
 */
function renameGradients(graph: Graph, from: Node, to: Node): Graph {
  const prefix = gradName(from.name);
  const names = new Set(graph.nodes.map((n) => n.name));
  const nodes = graph.nodes.map((n): Node => {
    if (n.grad?.of !== to.id || !n.name.startsWith(prefix)) return n;
    const name = gradName(to.name) + n.name.slice(prefix.length);
    if (names.has(name)) return n;
    names.delete(n.name);
    names.add(name);
    return { ...n, name };
  });
  return withNodes(graph, nodes);
}

function inferredType<K extends OpName>(node: NodeOf<K>, operands: readonly (Node | undefined)[]): TensorType | string {
  const types = operands.map((n) => n?.type).filter((t) => t !== undefined);
  if (types.length !== operands.length) return 'it reads a node that does not exist';
  return inferNodeType(
    defOf(node),
    types,
    node.attrs,
    operands.map((n) => n?.name ?? '?'),
  );
}

/** `node` with its type inferred again from its (new) operands; a rule bug throws. */
function retyped(index: ReadonlyMap<number, Node>, node: Node, rule: string): Node {
  const type = inferredType(
    node,
    node.inputs.map((i) => index.get(i)),
  );
  if (typeof type === 'string') throw new Error(`internal: rule '${rule}' made '${node.name}' ill-typed: ${type}`);
  return { ...node, type };
}

/** The graph after one rewrite of `node` (`index`: its nodes by id); `next` is the id a new node takes. */
function apply(
  graph: Graph,
  index: ReadonlyMap<number, Node>,
  node: Node,
  r: Rewrite,
  next: number,
  rule: string,
): Graph {
  switch (r.kind) {
    case 'use': {
      const target = index.get(r.id);
      const out = redirect(graph, new Map([[node.id, r.id]]));
      return target === undefined || node.role !== 'forward' ? out : renameGradients(out, node, target);
    }
    case 'operands': {
      const edited = retyped(index, { ...node, inputs: r.inputs }, rule);
      return withNodes(
        graph,
        graph.nodes.map((n) => (n.id === node.id ? edited : n)),
      );
    }
    case 'node': {
      const { op: _op, attrs: _attrs, ...fields } = node;
      const grad = { of: node.grad?.of ?? node.id, factor: r.factor };
      const fresh = retyped(index, createNode(r.op, { ...fields, id: next, inputs: r.inputs, grad }), rule);
      // The new node stands where the old one stood, then every reader moves over to it.
      const placed = withNodes(
        graph,
        graph.nodes.flatMap((n) => (n.id === node.id ? [fresh, n] : [n])),
      );
      return redirect(placed, new Map([[node.id, fresh.id]]));
    }
  }
}

/** The first rule application on `graph`, if any (nodes in graph order, rules in table order). */
function firstRewrite(
  graph: Graph,
  view: StepView,
  rules: readonly Rule[],
): { node: Node; rule: Rule; rewrite: Rewrite } | undefined {
  for (const node of graph.nodes) {
    for (const rule of rules) {
      if (!rule.match.includes(node.op)) continue;
      const rewrite = rule.rewrite(node, view);
      if (rewrite === undefined) continue;
      // Pinned values keep their node: outputs and gradients are keyed by its name.
      if (rewrite.kind === 'use' && view.pinned.has(node.id)) continue;
      return { node, rule, rewrite };
    }
  }
  return undefined;
}

/**
 * Applies `rules` until none fires. Surviving nodes keep their ids; new nodes take ids above every
 * id of the input graph. Returns the graph and the applications in order.
 */
export function rewriteGraph(graph: Graph, rules: readonly Rule[]): { graph: Graph; fired: Fired[] } {
  const fired: Fired[] = [];
  let next = freshId(graph);
  let current = graph;
  // Every rule removes or shrinks a node, so this bound is only hit by a rule that undoes another.
  const limit = 4 * graph.nodes.length + 16;
  for (let step = 0; ; step++) {
    const view = viewOf(current);
    const found = firstRewrite(current, view, rules);
    if (found === undefined) return { graph: current, fired };
    if (step >= limit)
      throw new Error(
        `internal: simplify rules did not reach a fixed point on '${graph.name}' (last: ${found.rule.name})`,
      );
    const rewritten = apply(current, view.index, found.node, found.rewrite, next, found.rule.name);
    if (found.rewrite.kind === 'node') next++;
    const sorted = topoOrder(rewritten.nodes);
    if (!sorted.ok) throw new Error(`internal: rule '${found.rule.name}' made a cycle at '${found.node.name}'`);
    current = withNodes(rewritten, sorted.order);
    fired.push({ rule: found.rule.name, node: found.node.name });
  }
}
