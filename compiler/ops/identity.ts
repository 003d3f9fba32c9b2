// identity(x) = x. Its VJP passes the incoming gradient through unchanged (no backward node).
import { plainActivation, unaryOp } from './elementwise.js';
import { tfjsActivation } from './tfjs.js';

export const identity = unaryOp('identity', {
  f: (x) => x,
  code: (x) => x,
  vjp: {
    saves: [],
    grad: ({ dy }, operand) => (operand === 0 ? dy : undefined),
  },
  spec: plainActivation('x unchanged'),
  examples: [{ operands: [[-2, 0, 3]], output: [-2, 0, 3] }],
  tfjs: () => tfjsActivation('linear'),
  onnx: (_node, c) => c.op('Identity', c.inputs),
});
