// tanh(x); its derivative 1 − y² is written from the saved output.
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';

export const tanh = unaryOp(
  'tanh',
  (x) => Math.tanh(x),
  (x) => `Math.tanh(${x})`,
  activationVjp<'tanh'>('y', (dy, y, _attrs, xn) => ({
    op: 'tanh_grad',
    attrs: {},
    inputs: [dy, y],
    factor: `⊙tanh'(${xn})`,
  })),
);

/** dx = dy ⊙ (1 − y²) */
export const tanhGrad = derivativeOp(
  'tanh_grad',
  'y',
  (dy, y) => dy * (1 - y * y),
  (dy, y) => `${dy} * (1 - ${y} * ${y})`,
);
