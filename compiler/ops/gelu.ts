// gelu, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';
import type { OnnxContext } from './onnx.js';
import type { OpDef } from './op-def.js';

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

export const gelu: OpDef<'gelu'> = {
  ...unaryOp(
    'gelu',
    geluOf,
    (x) => `0.5 * ${x} * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (${x} + 0.044715 * ${x} * ${x} * ${x})))`,
    activationVjp<'gelu'>('x', (dy, x, _attrs, xn) => ({
      op: 'gelu_grad',
      attrs: {},
      inputs: [dy, x],
      factor: `⊙gelu'(${xn})`,
    })),
  ),
  // NOTE: no `tfjs` layer: tfjs's 'gelu' is the erf form, and its 'gelu_new' (this tanh form) does
  // not load back (tfjs 4.22 camel-cases the name to an unknown 'geluNew').
  onnx: (_node, c) => {
    const [x = ''] = c.inputs;
    const t = geluTanhOnnx(c, x);
    return c.op('Mul', [c.op('Mul', [c.scalar(0.5), x]), c.op('Add', [c.scalar(1), t])]);
  },
};

/** dx = dy ⊙ gelu'(x) */
// Generated code calls `geluDerivative`, a helper every module defines (compiler/codegen/module-helpers.ts).
export const geluGrad: OpDef<'gelu_grad'> = {
  ...derivativeOp(
    'gelu_grad',
    'x',
    (dy, x) => dy * geluDerivative(x),
    (dy, x) => `${dy} * geluDerivative(${x})`,
  ),
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
};
