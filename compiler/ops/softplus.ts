// softplus(x) = log(1 + eˣ), a smooth relu, computed stably as max(x, 0) + log1p(e^−|x|) (no
// overflow for large x, no lost digits for very negative x). Its derivative is σ(x), computed
// from the saved input with sigmoid's own stable formula.
import { activationVjp, derivativeOp, plainActivation, unaryOp } from './elementwise.js';
import { sigmoidCode, sigmoidOf } from './sigmoid.js';
import { tfjsActivation } from './tfjs.js';

export const softplus = unaryOp('softplus', {
  f: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  code: (x) => `Math.max(${x}, 0) + Math.log1p(Math.exp(-Math.abs(${x})))`,
  vjp: activationVjp<'softplus'>('x', (dy, x, _attrs, xn) => ({
    op: 'softplus_grad',
    attrs: {},
    inputs: [dy, x],
    factor: `⊙softplus'(${xn})`,
  })),
  spec: plainActivation('log(1 + eˣ), a smooth relu; its derivative is σ(x)'),
  feedInit: 'he_uniform',
  // log 2, log(1 + e), log(1 + 1/e); ±40: x and e^−40 (the naive formula gives 40 and 4.2e-18 too).
  examples: [
    {
      operands: [[0, 1, -1, 40, -40]],
      output: [Math.LN2, 1.3132616875182228, 0.31326168751822286, 40, 4.248354255291589e-18],
    },
  ],
  onnx: (_node, c) => c.op('Softplus', c.inputs),
  tfjs: () => tfjsActivation('softplus'),
});

/** dx = dy ⊙ σ(x) */
export const softplusGrad = derivativeOp('softplus_grad', {
  saved: 'x',
  df: (dy, x) => dy * sigmoidOf(x),
  code: (dy, x) => `${dy} * ${sigmoidCode(x)}`,
  prime: "softplus'",
  expanded: (z) => `σ(${z})`,
  // σ(0) = 1/2, σ(ln 3) = 3/4
  examples: [
    {
      operands: [
        [2, 2],
        [0, Math.log(3)],
      ],
      output: [1, 1.5],
    },
  ],
  onnx: (_node, c) => {
    const [dy = '', x = ''] = c.inputs;
    return c.op('Mul', [dy, c.op('Sigmoid', [x])]);
  },
});
