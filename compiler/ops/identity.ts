// identity(x) = x. Its VJP passes the incoming gradient through unchanged (no backward node).
import { unaryOp } from './elementwise.js';

export const identity = unaryOp(
  'identity',
  (x) => x,
  (x) => x,
  {
    saves: [],
    grad: ({ dy }, operand) => (operand === 0 ? dy : undefined),
  },
);
