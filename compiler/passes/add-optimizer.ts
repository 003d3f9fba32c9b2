// Appends the optimizer step to a differentiated graph: `state` leaves (velocity, moments, step
// counter) and `update` nodes that each assign a parameter or state leaf. The math follows
// tfjs's optimizers (SGD; momentum v ← μv + g, p ← p − lr·v; Adam with bias correction).
//
// Naming: state `<param>.velocity`, `<param>.m`, `<param>.v`, `adam.step`; the update writing
// leaf `t` is `new(t)`.
import { freshId, nodeIndex, paramGrads } from '../ir/graph.js';
import { createNode, type OpWithAttrs } from '../ir/node.js';
import type { Graph, Node, TensorType } from '../ir/types.js';
import { inferNodeType, ops } from '../ops/index.js';
import type { TrainSpec } from '../frontend/graph-spec.js';
import type { PassContext } from './context.js';

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

class Appender {
  readonly added: Node[] = [];
  private next: number;
  private readonly index: Map<number, Node>;

  constructor(graph: Graph) {
    this.next = freshId(graph);
    this.index = new Map(nodeIndex(graph));
  }

  node(id: number): Node {
    const n = this.index.get(id);
    if (n === undefined) throw new Error(`internal: no node %${id}`);
    return n;
  }

  private push(node: Node): number {
    this.added.push(node);
    this.index.set(node.id, node);
    return node.id;
  }

  state(name: string, type: TensorType): number {
    return this.push(
      createNode({ op: 'state', attrs: {} }, { id: this.next++, name, inputs: [], type, role: 'state' }),
    );
  }

  /** An update node writing leaf `assigns`, typed by its op's shape rule. */
  update(op: OpWithAttrs, inputs: readonly number[], assigns: number): number {
    const operands = inputs.map((i) => this.node(i));
    const leaf = this.node(assigns);
    const type = inferNodeType(
      ops[op.op],
      operands.map((n) => n.type),
      op.attrs,
      operands.map((n) => n.name),
    );
    if (typeof type === 'string')
      throw new Error(`internal: update of '${leaf.name}' (${op.op}) is ill-typed: ${type}`);
    return this.push(
      createNode(op, { id: this.next++, name: `new(${leaf.name})`, inputs, type, role: 'update', assigns }),
    );
  }
}

function addSgd(a: Appender, train: Extract<TrainSpec, { optimizer: 'sgd' }>, param: Node, grad: number): void {
  const momentum = train.momentum ?? 0;
  if (momentum === 0) {
    a.update({ op: 'sgd_update', attrs: { lr: train.lr } }, [param.id, grad], param.id);
    return;
  }
  const v = a.state(`${param.name}.velocity`, param.type);
  const vNew = a.update({ op: 'momentum_velocity', attrs: { momentum } }, [v, grad], v);
  a.update({ op: 'sgd_update', attrs: { lr: train.lr } }, [param.id, vNew], param.id);
}

function addAdam(
  a: Appender,
  train: Extract<TrainSpec, { optimizer: 'adam' }>,
  step: number,
  param: Node,
  grad: number,
): void {
  const beta1 = train.beta1 ?? ADAM_DEFAULTS.beta1;
  const beta2 = train.beta2 ?? ADAM_DEFAULTS.beta2;
  const eps = train.eps ?? ADAM_DEFAULTS.eps;
  const m = a.state(`${param.name}.m`, param.type);
  const v = a.state(`${param.name}.v`, param.type);
  const mNew = a.update({ op: 'adam_moment', attrs: { beta: beta1, squared: false } }, [m, grad], m);
  const vNew = a.update({ op: 'adam_moment', attrs: { beta: beta2, squared: true } }, [v, grad], v);
  a.update({ op: 'adam_update', attrs: { lr: train.lr, beta1, beta2, eps } }, [param.id, mNew, vNew, step], param.id);
}

/** The optimizer pass. Parameters without a gradient (not on a path to the loss) are left as they are. */
export function addOptimizer(graph: Graph, ctx: PassContext): Graph {
  const grads = paramGrads(graph);
  if (grads.size === 0)
    throw new Error(
      `cannot add an optimizer to '${graph.name}': no parameter has a gradient (run differentiate first)`,
    );
  const a = new Appender(graph);
  const params = graph.nodes.filter((n) => n.op === 'param');
  const train = ctx.train;
  switch (train.optimizer) {
    case 'sgd':
      for (const p of params) {
        const g = grads.get(p.id);
        if (g !== undefined) addSgd(a, train, p, g);
      }
      break;
    case 'adam': {
      const t = a.state('adam.step', { shape: [], dtype: ctx.dtype });
      const tNew = a.update({ op: 'step_increment', attrs: {} }, [t], t);
      for (const p of params) {
        const g = grads.get(p.id);
        if (g !== undefined) addAdam(a, train, tNew, p, g);
      }
      break;
    }
  }
  return { ...graph, nodes: [...graph.nodes, ...a.added] };
}
