// Which ops may write their result over one of their operands. The table is checked against
// the kernel templates in the ops' files (compiler/ops/, `kernel`): a template is alias-safe when element i
// of the output depends only on element i of each operand and is stored after those reads, so
// by the time O[i] overwrites X[i], X[i] has been consumed and X[j > i] is still intact.
import type { OpName } from '../../ir/types.js';

/** Op → why its `single` kernel is alias-safe (the template shape it uses). */
export const inPlaceOps: ReadonlyMap<OpName, string> = new Map<OpName, string>([
  // `unary`: `const x = X[i]; O[i] = f(x)`: one read, then one store, per element.
  ['relu', 'unary: reads X[i] into a local, then stores O[i]'],
  ['leaky_relu', 'unary: reads X[i] into a local, then stores O[i]'],
  ['sigmoid', 'unary: reads X[i] into a local, then stores O[i]'],
  ['tanh', 'unary: reads X[i] into a local, then stores O[i]'],
  ['gelu', 'unary: reads X[i] into a local, then stores O[i]'],
  ['identity', 'unary: reads X[i] into a local, then stores O[i]'],
  // `derivative`: `const dy = DY[i], s = S[i]; O[i] = f(dy, s)`: either operand may be overwritten.
  ['relu_grad', 'derivative: reads DY[i] and S[i] into locals, then stores O[i]'],
  ['leaky_relu_grad', 'derivative: reads DY[i] and S[i] into locals, then stores O[i]'],
  ['sigmoid_grad', 'derivative: reads DY[i] and S[i] into locals, then stores O[i]'],
  ['tanh_grad', 'derivative: reads DY[i] and S[i] into locals, then stores O[i]'],
  ['gelu_grad', 'derivative: reads DY[i] and S[i] into locals, then stores O[i]'],
  // `add`: `O[i] = A0[i] + A1[i] + …`: the right side is evaluated before the store.
  ['add', 'add: O[i] = A0[i] + A1[i] + … reads every operand element i before the store'],
]);

// NOTE: row ops (softmax, log_softmax, their gradients) read each row several times; their
// current templates happen to be safe too, but only element-i kernels are listed, so a change
// to a row template cannot silently break aliasing. matmul, linear and sum_rows read many
// operand elements per output element: never in place.
