// identity(x) = x. Its VJP passes the incoming gradient through unchanged (no backward node).
import { unaryOp } from './elementwise.js';
import type { OpDef } from './op-def.js';
import { tfjsActivation } from './tfjs.js';

export const identity: OpDef<'identity'> = {
  ...unaryOp(
    'identity',
    (x) => x,
    (x) => x,
    {
      saves: [],
      grad: ({ dy }, operand) => (operand === 0 ? dy : undefined),
    },
  ),
  tfjs: () => tfjsActivation('linear'),
  onnx: (_node, c) => c.op('Identity', c.inputs),
};
