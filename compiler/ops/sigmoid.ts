// sigmoid(x) = 1 / (1 + e^−x), evaluated without overflow for large |x|.
import { activationVjp, derivativeOp, plainActivation, unaryOp } from './elementwise.js';
import { tfjsActivation } from './tfjs.js';

export function sigmoidOf(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x); // e^x ≤ 1 here, so no overflow
  return e / (1 + e);
}

/** `sigmoidOf` as generated code: the branch keeps exp's argument ≤ 0. */
export const sigmoidCode = (x: string): string =>
  `(${x} >= 0 ? 1 / (1 + Math.exp(-${x})) : Math.exp(${x}) / (1 + Math.exp(${x})))`;

export const sigmoid = unaryOp('sigmoid', {
  f: sigmoidOf,
  code: sigmoidCode,
  // σ' = y(1 − y), written from the saved output: no second exp.
  vjp: activationVjp<'sigmoid'>('y', (dy, y, _attrs, xn) => ({
    op: 'sigmoid_grad',
    attrs: {},
    inputs: [dy, y],
    factor: `⊙σ'(${xn})`,
  })),
  spec: plainActivation('1 / (1 + e^−x)'),
  diagram: { formula: (_node, [x]) => `σ(${x ?? '?'})` },
  // e^x/(e^x + 1), spelled differently from the reference; ±1000 must not overflow.
  examples: [
    { operands: [[-2, 0, 0.5]], output: [0.11920292202211755, 0.5, 0.6224593312018546] },
    { operands: [[-1000, 1000]], output: [0, 1] },
  ],
  tfjs: () => tfjsActivation('sigmoid'),
  onnx: (_node, c) => c.op('Sigmoid', c.inputs),
});

/** dx = dy ⊙ y(1 − y) */
export const sigmoidGrad = derivativeOp('sigmoid_grad', {
  saved: 'y',
  df: (dy, y) => dy * y * (1 - y),
  code: (dy, y) => `${dy} * ${y} * (1 - ${y})`,
  prime: "σ'",
  expanded: (z) => `σ(${z})(1 − σ(${z}))`,
  examples: [{ operands: [[2], [0.25]], output: [2 * 0.25 * 0.75] }],
  domains: ['real', 'unit'],
  onnx: (_node, c) => {
    const [dy = '', y = ''] = c.inputs;
    return c.op('Mul', [c.op('Mul', [dy, y]), c.op('Sub', [c.scalar(1), y])]);
  },
});
