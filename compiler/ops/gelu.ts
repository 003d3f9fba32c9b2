// gelu, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';

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

export const gelu = unaryOp(
  'gelu',
  geluOf,
  (x) => `0.5 * ${x} * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (${x} + 0.044715 * ${x} * ${x} * ${x})))`,
  activationVjp<'gelu'>('x', (dy, x, _attrs, xn) => ({
    op: 'gelu_grad',
    attrs: {},
    inputs: [dy, x],
    factor: `⊙gelu'(${xn})`,
  })),
);

/** dx = dy ⊙ gelu'(x) */
// Generated code calls `geluDerivative`, a helper every module defines (compiler/codegen/module-helpers.ts).
export const geluGrad = derivativeOp(
  'gelu_grad',
  'x',
  (dy, x) => dy * geluDerivative(x),
  (dy, x) => `${dy} * geluDerivative(${x})`,
);
