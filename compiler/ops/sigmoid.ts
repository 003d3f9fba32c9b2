// sigmoid(x) = 1 / (1 + e^−x), evaluated without overflow for large |x|.
import { activationVjp, derivativeOp, unaryOp } from './elementwise.js';
import type { OpDef } from './op-def.js';
import { tfjsActivation } from './tfjs.js';

export function sigmoidOf(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x); // e^x ≤ 1 here, so no overflow
  return e / (1 + e);
}

/** `sigmoidOf` as generated code: the branch keeps exp's argument ≤ 0. */
export const sigmoidCode = (x: string): string =>
  `(${x} >= 0 ? 1 / (1 + Math.exp(-${x})) : Math.exp(${x}) / (1 + Math.exp(${x})))`;

export const sigmoid: OpDef<'sigmoid'> = {
  ...unaryOp(
    'sigmoid',
    sigmoidOf,
    sigmoidCode,
    // σ' = y(1 − y), written from the saved output: no second exp.
    activationVjp<'sigmoid'>('y', (dy, y, _attrs, xn) => ({
      op: 'sigmoid_grad',
      attrs: {},
      inputs: [dy, y],
      factor: `⊙σ'(${xn})`,
    })),
  ),
  tfjs: () => tfjsActivation('sigmoid'),
  onnx: (_node, c) => c.op('Sigmoid', c.inputs),
};

/** dx = dy ⊙ y(1 − y) */
export const sigmoidGrad: OpDef<'sigmoid_grad'> = {
  ...derivativeOp(
    'sigmoid_grad',
    'y',
    (dy, y) => dy * y * (1 - y),
    (dy, y) => `${dy} * ${y} * (1 - ${y})`,
  ),
  onnx: (_node, c) => {
    const [dy = '', y = ''] = c.inputs;
    return c.op('Mul', [c.op('Mul', [dy, y]), c.op('Sub', [c.scalar(1), y])]);
  },
};
