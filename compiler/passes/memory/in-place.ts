// Which ops may write their result over one of their operands: the ops whose file declares an
// `inPlace` reason (compiler/ops/op-def.ts). A template is alias-safe when element i of the
// output depends only on element i of each operand and is stored after those reads, so by the
// time O[i] overwrites X[i], X[i] has been consumed and X[j > i] is still intact. The builders
// in compiler/ops/elementwise.ts declare it for the loops they write (`unary`: `const x = X[i];
// O[i] = f(x)`; `derivative`: `const dy = DY[i], s = S[i]; O[i] = f(dy, s)`), add for its sum.
import type { OpName } from '../../ir/types.js';
import { opNames, ops } from '../../ops/index.js';

/** Op → why its `single` kernel is alias-safe (the template shape it uses). */
export const inPlaceOps: ReadonlyMap<OpName, string> = new Map(
  opNames.flatMap((op): [OpName, string][] => {
    const why = ops[op].inPlace;
    return why === undefined ? [] : [[op, why]];
  }),
);

// NOTE: row ops (softmax, log_softmax, their gradients) read each row several times; their
// current templates happen to be safe too, but only element-i kernels are listed, so a change
// to a row template cannot silently break aliasing. matmul, linear and sum_rows read many
// operand elements per output element: never in place.
