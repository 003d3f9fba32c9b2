// leaky_relu(x) = x for x > 0, alpha·x otherwise (alpha defaults to 0.01 in the spec).
// NOTE: at x = 0 the derivative is alpha (the x ≤ 0 branch), as tfjs's LeakyRelu gradient.
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';
import { float } from './onnx.js';
import type { OpDef } from './op-def.js';

export const DEFAULT_LEAKY_ALPHA = 0.01;

export const leakyRelu: OpDef<'leaky_relu'> = {
  ...unaryOp(
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
  ),
  tfjs: (node) => ({ className: 'LeakyReLU', config: { alpha: node.attrs.alpha } }),
  onnx: (node, c) => c.op('LeakyRelu', c.inputs, { alpha: float(node.attrs.alpha) }),
};

/** dx = dy ⊙ (x > 0 ? 1 : alpha) */
export const leakyReluGrad: OpDef<'leaky_relu_grad'> = {
  ...derivativeOp(
    'leaky_relu_grad',
    'x',
    (dy, x, a) => (x > 0 ? dy : a.alpha * dy),
    (dy, x, node) => `${x} > 0 ? ${dy} : ${node.attrs.alpha} * ${dy}`,
    (a) => `alpha=${a.alpha}`,
  ),
  onnx: (node, c) => {
    const [dy = '', x = ''] = c.inputs;
    return c.op('Where', [c.op('Greater', [x, c.scalar(0)]), dy, c.op('Mul', [dy, c.scalar(node.attrs.alpha)])]);
  },
};
