// leaky_relu(x) = x for x > 0, alpha·x otherwise (alpha defaults to 0.01 in the spec).
// NOTE: at x = 0 the derivative is alpha (the x ≤ 0 branch), as tfjs's LeakyRelu gradient.
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';
import { float } from './onnx.js';

export const DEFAULT_LEAKY_ALPHA = 0.01;

export const leakyRelu = unaryOp('leaky_relu', {
  f: (x, a) => (x > 0 ? x : a.alpha * x),
  code: (x, node) => `${x} > 0 ? ${x} : ${node.attrs.alpha} * ${x}`,
  vjp: activationVjp<'leaky_relu'>('x', (dy, x, attrs, xn) => ({
    op: 'leaky_relu_grad',
    attrs: { alpha: attrs.alpha },
    inputs: [dy, x],
    factor: `⊙leaky_relu'(${xn})`,
  })),
  printAttrs: (a) => `alpha=${a.alpha}`,
  spec: {
    use: 'node',
    summary: 'x if x > 0 else alpha·x (alpha defaults to 0.01)',
    arity: 'unary',
    attrs: ['alpha'],
    attrsFromSpec: (node) => ({ alpha: node.alpha ?? DEFAULT_LEAKY_ALPHA }),
  },
  feedInit: 'he_uniform',
  diagram: { formula: (node, [x]) => `leaky_relu(${x ?? '?'}; α=${node.attrs.alpha})` },
  examples: [
    { attrs: { alpha: 0.01 }, operands: [[-2, -0.5, 0, 0.5, 3]], output: [-0.02, -0.005, 0, 0.5, 3] },
    { attrs: { alpha: 0.2 }, operands: [[-2, -0.5, 0, 0.5, 3]], output: [-0.4, -0.1, 0, 0.5, 3] },
  ],
  domains: ['awayFromZero'],
  tfjs: (node) => ({ className: 'LeakyReLU', config: { alpha: node.attrs.alpha } }),
  onnx: (node, c) => c.op('LeakyRelu', c.inputs, { alpha: float(node.attrs.alpha) }),
});

/** dx = dy ⊙ (x > 0 ? 1 : alpha) */
export const leakyReluGrad = derivativeOp('leaky_relu_grad', {
  saved: 'x',
  df: (dy, x, a) => (x > 0 ? dy : a.alpha * dy),
  code: (dy, x, node) => `${x} > 0 ? ${dy} : ${node.attrs.alpha} * ${dy}`,
  prime: "leaky_relu'",
  expanded: (z, a) => `𝟙[${z} > 0] + ${a.alpha}·𝟙[${z} ≤ 0]`,
  printAttrs: (a) => `alpha=${a.alpha}`,
  diagram: { backward: (node) => `leaky_relu_grad α=${node.attrs.alpha}` },
  examples: [
    {
      attrs: { alpha: 0.1 },
      operands: [
        [5, 5, 5],
        [-1, 0, 1],
      ],
      output: [0.5, 0.5, 5],
    },
  ],
  domains: ['real', 'awayFromZero'],
  onnx: (node, c) => {
    const [dy = '', x = ''] = c.inputs;
    return c.op('Where', [c.op('Greater', [x, c.scalar(0)]), dy, c.op('Mul', [dy, c.scalar(node.attrs.alpha)])]);
  },
});
