// leaky_relu(x) = x for x > 0, alpha·x otherwise (alpha defaults to 0.01 in the spec).
// NOTE: at x = 0 the derivative is alpha (the x ≤ 0 branch), as tfjs's LeakyRelu gradient.
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';

export const DEFAULT_LEAKY_ALPHA = 0.01;

export const leakyRelu = unaryOp(
  'leaky_relu',
  (x, a) => (x > 0 ? x : a.alpha * x),
  (x, node) => `${x} > 0 ? ${x} : ${node.attrs.alpha} * ${x}`,
  activationVjp<'leaky_relu'>('x', (dy, x, attrs, xn) => ({
    op: 'leaky_relu_grad',
    attrs: { alpha: attrs.alpha },
    inputs: [dy, x],
    factor: `⊙leaky_relu'(${xn})`,
  })),
  (a) => `alpha=${a.alpha}`,
);

/** dx = dy ⊙ (x > 0 ? 1 : alpha) */
export const leakyReluGrad = derivativeOp(
  'leaky_relu_grad',
  'x',
  (dy, x, a) => (x > 0 ? dy : a.alpha * dy),
  (dy, x, node) => `${x} > 0 ? ${dy} : ${node.attrs.alpha} * ${dy}`,
  (a) => `alpha=${a.alpha}`,
);
