// Loss-head rules: the naive chain `head_grad(loss_grad(dL, p, y), p)` that autodiff emits for
// an activation followed by its paired loss collapses into one fused node computing dL·(p − y)/n
// (compiler/ops/softmax-cross-entropy-grad.ts, sigmoid-binary-cross-entropy-grad.ts). The fused
// form is exact algebra, and more stable: no division by a probability. Each rule fires only when
// the loss gradient has no other reader, so nothing else loses the value it reads.
import type { OpWithAttrs } from '../../ir/node.js';
import type { Node } from '../../ir/types.js';
import type { Rewrite, Rule, RuleView } from './rewrite.js';

/**
 * The fused node `op(dl, p, y)` that replaces `head` = head_grad(lossGrad, p) when `accept`s
 * lossGrad = loss_grad(dl, p, y) over the same p and `head` is its only reader; else undefined.
 */
function fuseHead(
  head: Node,
  view: RuleView,
  accept: (lossGrad: Node) => boolean,
  op: OpWithAttrs,
  factor: (p: number, y: number) => string,
): Rewrite | undefined {
  const [dy, p] = head.inputs;
  if (dy === undefined || p === undefined) return undefined;
  const lossGrad = view.node(dy);
  const [dl, lp, y] = lossGrad.inputs;
  if (!accept(lossGrad) || dl === undefined || lp !== p || y === undefined || !view.onlyReadBy(dy, head.id))
    return undefined;
  return { kind: 'node', op, inputs: [dl, p, y], factor: factor(p, y) };
}

export const softmaxCrossEntropy: Rule = {
  name: 'softmax-cross-entropy',
  description:
    'softmax_grad(cross_entropy_grad[probs](dL, p, y), p) → softmax_cross_entropy_grad[probs](dL, p, y) = dL·(p − y)/n',
  match: ['softmax_grad'],
  rewrite: (node, view) =>
    fuseHead(
      node,
      view,
      (g) => g.op === 'cross_entropy_grad' && g.attrs.input === 'probs',
      { op: 'softmax_cross_entropy_grad', attrs: { input: 'probs' } },
      (p, y) => `(${view.name(p)}−${view.name(y)})/n`,
    ),
};

export const logSoftmaxNll: Rule = {
  name: 'log-softmax-nll',
  description:
    'log_softmax_grad(cross_entropy_grad[log_probs](dL, lp, y), lp) → softmax_cross_entropy_grad[log_probs](dL, lp, y) = dL·(exp(lp) − y)/n',
  match: ['log_softmax_grad'],
  rewrite: (node, view) =>
    fuseHead(
      node,
      view,
      (g) => g.op === 'cross_entropy_grad' && g.attrs.input === 'log_probs',
      { op: 'softmax_cross_entropy_grad', attrs: { input: 'log_probs' } },
      (lp, y) => `(exp(${view.name(lp)})−${view.name(y)})/n`,
    ),
};

/** `σ(x)` when p is a sigmoid node, else p's name: the factor shows what p is computed from. */
function sigmoidText(view: RuleView, p: number): string {
  const node = view.node(p);
  const x = node.op === 'sigmoid' ? node.inputs[0] : undefined;
  return x === undefined ? node.name : `σ(${view.name(x)})`;
}

export const sigmoidBce: Rule = {
  name: 'sigmoid-bce',
  description:
    'sigmoid_grad(binary_cross_entropy_grad(dL, p, y), p) → sigmoid_binary_cross_entropy_grad(dL, p, y) = dL·(p − y)/N',
  match: ['sigmoid_grad'],
  rewrite: (node, view) =>
    fuseHead(
      node,
      view,
      (g) => g.op === 'binary_cross_entropy_grad',
      { op: 'sigmoid_binary_cross_entropy_grad', attrs: {} },
      (p, y) => `(${sigmoidText(view, p)}−${view.name(y)})/N`,
    ),
};
