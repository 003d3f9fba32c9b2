// Loss-head rules: the naive chain `head_grad(loss_grad(dL, p, y), p)` that autodiff emits for
// an activation followed by its paired loss collapses into one fused node computing dL·(p − y)/n
// (compiler/ops/softmax-cross-entropy-grad.ts, sigmoid-binary-cross-entropy-grad.ts). The fused
// form is exact algebra, and more stable: no division by a probability. Each rule fires only when
// the loss gradient has no other reader, so nothing else loses the value it reads.
import type { Node } from '../../ir/types.js';
import type { Rewrite, Rule, RuleView } from './rewrite.js';

/** The loss-gradient operand of `head` ([dl, p, y]) when it is `op` over the same p, read only by `head`. */
function lossGradOperands(
  head: Node,
  view: RuleView,
  accept: (lossGrad: Node) => boolean,
): { dl: number; p: number; y: number } | undefined {
  const [dy, p] = head.inputs;
  if (dy === undefined || p === undefined) return undefined;
  const lossGrad = view.node(dy);
  const [dl, lp, y] = lossGrad.inputs;
  if (!accept(lossGrad) || dl === undefined || lp !== p || y === undefined) return undefined;
  return view.onlyReadBy(dy, head.id) ? { dl, p, y } : undefined;
}

export const softmaxCrossEntropy: Rule = {
  name: 'softmax-cross-entropy',
  description: 'softmax_grad(cross_entropy_grad[probs](dL, p, y), p) → softmax_cross_entropy_grad[probs](dL, p, y) = dL·(p − y)/n',
  match: ['softmax_grad'],
  rewrite(node, view): Rewrite | undefined {
    const m = lossGradOperands(node, view, (g) => g.op === 'cross_entropy_grad' && g.attrs.input === 'probs');
    if (m === undefined) return undefined;
    return {
      kind: 'node',
      op: { op: 'softmax_cross_entropy_grad', attrs: { input: 'probs' } },
      inputs: [m.dl, m.p, m.y],
      factor: `(${view.name(m.p)}−${view.name(m.y)})/n`,
    };
  },
};

export const logSoftmaxNll: Rule = {
  name: 'log-softmax-nll',
  description:
    'log_softmax_grad(cross_entropy_grad[log_probs](dL, lp, y), lp) → softmax_cross_entropy_grad[log_probs](dL, lp, y) = dL·(exp(lp) − y)/n',
  match: ['log_softmax_grad'],
  rewrite(node, view): Rewrite | undefined {
    const m = lossGradOperands(node, view, (g) => g.op === 'cross_entropy_grad' && g.attrs.input === 'log_probs');
    if (m === undefined) return undefined;
    return {
      kind: 'node',
      op: { op: 'softmax_cross_entropy_grad', attrs: { input: 'log_probs' } },
      inputs: [m.dl, m.p, m.y],
      factor: `(exp(${view.name(m.p)})−${view.name(m.y)})/n`,
    };
  },
};

export const sigmoidBce: Rule = {
  name: 'sigmoid-bce',
  description: 'sigmoid_grad(binary_cross_entropy_grad(dL, p, y), p) → sigmoid_binary_cross_entropy_grad(dL, p, y) = dL·(p − y)/N',
  match: ['sigmoid_grad'],
  rewrite(node, view): Rewrite | undefined {
    const m = lossGradOperands(node, view, (g) => g.op === 'binary_cross_entropy_grad');
    if (m === undefined) return undefined;
    const p = view.node(m.p);
    const x = p.op === 'sigmoid' ? p.inputs[0] : undefined;
    const pText = x === undefined ? p.name : `σ(${view.name(x)})`;
    return {
      kind: 'node',
      op: { op: 'sigmoid_binary_cross_entropy_grad', attrs: {} },
      inputs: [m.dl, m.p, m.y],
      factor: `(${pText}−${view.name(m.y)})/N`,
    };
  },
};
