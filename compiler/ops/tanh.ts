// tanh(x); its derivative 1 − y² is written from the saved output.
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';
import type { OpDef } from './op-def.js';
import { tfjsActivation } from './tfjs.js';

export const tanh: OpDef<'tanh'> = {
  ...unaryOp(
    'tanh',
    (x) => Math.tanh(x),
    (x) => `Math.tanh(${x})`,
    activationVjp<'tanh'>('y', (dy, y, _attrs, xn) => ({
      op: 'tanh_grad',
      attrs: {},
      inputs: [dy, y],
      factor: `⊙tanh'(${xn})`,
    })),
  ),
  tfjs: () => tfjsActivation('tanh'),
  onnx: (_node, c) => c.op('Tanh', c.inputs),
};

/** dx = dy ⊙ (1 − y²) */
export const tanhGrad: OpDef<'tanh_grad'> = {
  ...derivativeOp(
    'tanh_grad',
    'y',
    (dy, y) => dy * (1 - y * y),
    (dy, y) => `${dy} * (1 - ${y} * ${y})`,
  ),
  onnx: (_node, c) => {
    const [dy = '', y = ''] = c.inputs;
    return c.op('Mul', [dy, c.op('Sub', [c.scalar(1), c.op('Mul', [y, y])])]);
  },
};
