// tanh(x); its derivative 1 − y² is written from the saved output.
import { activationVjp, derivativeOp, plainActivation, unaryOp } from './elementwise.js';
import { tfjsActivation } from './tfjs.js';

export const tanh = unaryOp('tanh', {
  f: (x) => Math.tanh(x),
  code: (x) => `Math.tanh(${x})`,
  vjp: activationVjp<'tanh'>('y', (dy, y, _attrs, xn) => ({
    op: 'tanh_grad',
    attrs: {},
    inputs: [dy, y],
    factor: `⊙tanh'(${xn})`,
  })),
  spec: plainActivation('hyperbolic tangent'),
  // (e^2x − 1)/(e^2x + 1)
  examples: [{ operands: [[-2, 0, 0.5]], output: [-0.9640275800758169, 0, 0.46211715726000974] }],
  tfjs: () => tfjsActivation('tanh'),
  onnx: (_node, c) => c.op('Tanh', c.inputs),
});

/** dx = dy ⊙ (1 − y²) */
export const tanhGrad = derivativeOp('tanh_grad', {
  saved: 'y',
  df: (dy, y) => dy * (1 - y * y),
  code: (dy, y) => `${dy} * (1 - ${y} * ${y})`,
  prime: "tanh'",
  expanded: (z) => `1 − tanh²(${z})`,
  examples: [{ operands: [[2], [0.5]], output: [2 * 0.75] }],
  domains: ['real', 'unit'],
  onnx: (_node, c) => {
    const [dy = '', y = ''] = c.inputs;
    return c.op('Mul', [dy, c.op('Sub', [c.scalar(1), c.op('Mul', [y, y])])]);
  },
});
