// relu(x) = max(x, 0).
// NOTE: relu'(0) = 0 (as tfjs and PyTorch). JAX's `max` would split the gradient in half at the
// kink; a subgradient of 0 keeps dead units dead and matches the fused kernels' `x > 0` test.
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';
import type { OpDef } from './op-def.js';
import { tfjsActivation } from './tfjs.js';

export const relu: OpDef<'relu'> = {
  ...unaryOp(
    'relu',
    (x) => (x > 0 ? x : 0),
    (x) => `${x} > 0 ? ${x} : 0`,
    activationVjp<'relu'>('x', (dy, x, _attrs, xn) => ({
      op: 'relu_grad',
      attrs: {},
      inputs: [dy, x],
      factor: `⊙relu'(${xn})`,
    })),
  ),
  tfjs: () => tfjsActivation('relu'),
  onnx: (_node, c) => c.op('Relu', c.inputs),
};

/** dx = dy ⊙ [x > 0] */
export const reluGrad: OpDef<'relu_grad'> = {
  ...derivativeOp(
    'relu_grad',
    'x',
    (dy, x) => (x > 0 ? dy : 0),
    (dy, x) => `${x} > 0 ? ${dy} : 0`,
  ),
  onnx: (_node, c) => {
    const [dy = '', x = ''] = c.inputs;
    return c.op('Where', [c.op('Greater', [x, c.scalar(0)]), dy, c.scalar(0)]);
  },
};
