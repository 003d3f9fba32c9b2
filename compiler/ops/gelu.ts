// gelu, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
import { activationVjp, derivativeOp, plainActivation, unaryOp } from './elementwise.js';
import type { OnnxContext } from './onnx.js';

const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

export function geluOf(x: number): number {
  return 0.5 * x * (1 + Math.tanh(C * (x + K * x * x * x)));
}

/** d/dx gelu = 0.5(1 + tanh u) + 0.5·x·(1 − tanh²u)·√(2/π)(1 + 3·0.044715·x²), u = √(2/π)(x + 0.044715x³) */
export function geluDerivative(x: number): number {
  const t = Math.tanh(C * (x + K * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * K * x * x);
}

/** ONNX: t = tanh(C·(x + K·x³)), shared by gelu and its derivative (the exact tanh form, no opset-20 Gelu). */
function geluTanhOnnx(c: OnnxContext, x: string): string {
  const cube = c.op('Mul', [c.op('Mul', [x, x]), x]);
  const inner = c.op('Add', [x, c.op('Mul', [c.scalar(K), cube])]);
  return c.op('Tanh', [c.op('Mul', [c.scalar(C), inner])]);
}

export const gelu = unaryOp('gelu', {
  f: geluOf,
  code: (x) => `0.5 * ${x} * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (${x} + 0.044715 * ${x} * ${x} * ${x})))`,
  vjp: activationVjp<'gelu'>('x', (dy, x, _attrs, xn) => ({
    op: 'gelu_grad',
    attrs: {},
    inputs: [dy, x],
    factor: `⊙gelu'(${xn})`,
  })),
  spec: plainActivation('GELU, tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))'),
  feedInit: 'he_uniform',
  // gelu(1) = 0.5·(1 + tanh(0.7978845608·1.044715))
  examples: [{ operands: [[1, 0, -1]], output: [0.8411919906082768, 0, -0.15880800939172324] }],
  // NOTE: no `tfjs` layer: tfjs's 'gelu' is the erf form, and its 'gelu_new' (this tanh form) does
  // not load back (tfjs 4.22 camel-cases the name to an unknown 'geluNew').
  onnx: (_node, c) => {
    const [x = ''] = c.inputs;
    const t = geluTanhOnnx(c, x);
    return c.op('Mul', [c.op('Mul', [c.scalar(0.5), x]), c.op('Add', [c.scalar(1), t])]);
  },
});

/** dx = dy ⊙ gelu'(x) */
export const geluGrad = derivativeOp('gelu_grad', {
  saved: 'x',
  df: (dy, x) => dy * geluDerivative(x),
  // Generated code calls `geluDerivative`, a helper of the module (compiler/codegen/module-helpers.ts).
  code: (dy, x) => `${dy} * geluDerivative(${x})`,
  prime: "gelu'",
  // The derivative of the tanh form, u = √(2/π)(z + 0.044715z³).
  expanded: (z) => `½(1 + tanh u) + ½·${z}·(1 − tanh²u)·√(2/π)(1 + 0.134145·${z}²), u = √(2/π)(${z} + 0.044715·${z}³)`,
  helpers: ['geluDerivative'],
  // gelu'(0) = 0.5; gelu'(1) from the closed form with tanh(u) = 2·gelu(1) − 1.
  examples: [
    {
      operands: [
        [2, 1],
        [0, 1],
      ],
      output: [1, 1.0829640838457826],
    },
  ],
  onnx: (_node, c) => {
    // dx = dy·(0.5(1 + t) + 0.5·x·(1 − t²)·C·(1 + 3K·x²)), t = tanh(C(x + K·x³))
    const [dy = '', x = ''] = c.inputs;
    const t = geluTanhOnnx(c, x);
    const mul = (a: string, b: string): string => c.op('Mul', [a, b]);
    const left = mul(c.scalar(0.5), c.op('Add', [c.scalar(1), t]));
    const sech2 = c.op('Sub', [c.scalar(1), mul(t, t)]);
    const inner = c.op('Add', [c.scalar(1), mul(c.scalar(3 * K), mul(x, x))]);
    const right = mul(mul(mul(c.scalar(0.5 * C), x), sech2), inner);
    return mul(dy, c.op('Add', [left, right]));
  },
});
