// sum_rows: Σ over the rows of a matrix, [n, p] -> [p]. Emitted by linear's VJP for the bias
// gradient (db = Σ_rows dY: the bias is broadcast over rows, so its gradient sums them).
import type { TensorType } from '../ir/types.js';
import type { OpDef } from './op-def.js';
import { at, floatOperandsError, formatShape, get } from './shape.js';
import { reduceSum } from './onnx.js';

export const sumRows: OpDef<'sum_rows'> = {
  op: 'sum_rows',
  leaf: false,
  group: 'linalg',
  inputNames: ['x'],
  diagram: { backward: () => 'sum over rows' },
  inferType(inputs, _attrs, labels): TensorType | string {
    const bad = floatOperandsError(inputs, labels);
    if (bad !== undefined) return bad;
    const x = at(inputs, 0);
    if (x.shape.length !== 2) return `${labels[0] ?? 'x'} is ${formatShape(x.shape)} but sum_rows needs a matrix`;
    return { shape: [at(x.shape, 1)], dtype: x.dtype };
  },
  reference(inputs, _attrs, out) {
    const x = at(inputs, 0);
    const [n, p] = [at(x.shape, 0), at(x.shape, 1)];
    for (let j = 0; j < p; j++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += get(x, i * p + j);
      out.data[j] = acc;
    }
  },
  kernel(node, ctx) {
    const [dy] = node.inputs as [number];
    const src = ctx.node(dy).type.shape;
    const n = ctx.cols(node.type.shape);
    return [
      `const DY = ${ctx.ref(dy)}, O = ${ctx.ref(node.id)};`,
      `for (let j = 0; j < ${n}; j++) {`,
      '  let s = 0;',
      `  for (let r = 0; r < ${ctx.rows(src)}; r++) s += DY[r * ${n} + j];`,
      '  O[j] = s;',
      '}',
    ].join('\n');
  },
  onnx: (_node, c) => reduceSum(c, c.inputs[0] ?? '', [0], false),
};
