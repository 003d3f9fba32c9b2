// relu(x) = max(x, 0).
// NOTE: relu'(0) = 0 (as tfjs and PyTorch). JAX's `max` would split the gradient in half at the
// kink; a subgradient of 0 keeps dead units dead and matches the fused kernels' `x > 0` test.
import { activationVjp, derivativeOp, plainActivation, unaryOp } from './elementwise.js';
import { tfjsActivation } from './tfjs.js';

export const relu = unaryOp('relu', {
  f: (x) => (x > 0 ? x : 0),
  code: (x) => `${x} > 0 ? ${x} : 0`,
  vjp: activationVjp<'relu'>('x', (dy, x, _attrs, xn) => ({
    op: 'relu_grad',
    attrs: {},
    inputs: [dy, x],
    factor: `⊙relu'(${xn})`,
  })),
  spec: plainActivation("max(x, 0), with relu'(0) = 0"),
  feedInit: 'he_uniform',
  examples: [{ operands: [[-2, -0.5, 0, 0.5, 3]], output: [0, 0, 0, 0.5, 3] }],
  domains: ['awayFromZero'],
  tfjs: () => tfjsActivation('relu'),
  onnx: (_node, c) => c.op('Relu', c.inputs),
  wasmStore: 'relu',
});

/** dx = dy ⊙ [x > 0] */
export const reluGrad = derivativeOp('relu_grad', {
  saved: 'x',
  df: (dy, x) => (x > 0 ? dy : 0),
  code: (dy, x) => `${x} > 0 ? ${dy} : 0`,
  prime: "relu'",
  expanded: (z) => `𝟙[${z} > 0]`,
  examples: [
    {
      operands: [
        [5, 5, 5],
        [-1, 0, 1],
      ],
      output: [0, 0, 5],
    },
  ],
  domains: ['real', 'awayFromZero'],
  onnx: (_node, c) => {
    const [dy = '', x = ''] = c.inputs;
    return c.op('Where', [c.op('Greater', [x, c.scalar(0)]), dy, c.scalar(0)]);
  },
  wasmGradStore: 'relu',
});
