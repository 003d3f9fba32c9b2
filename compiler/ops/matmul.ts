// matmul: C = op(A)·op(B) with op = transpose when the flag is set. Emitted by linear's VJP
// (dX = dY·Wᵀ, dW = Xᵀ·dY); codegen folds the transposes into the loop order.
import type { Dim, TensorType } from '../ir/types.js';
import type { OpDef } from './op-def.js';
import { at, floatOperandsError, formatShape, get } from './shape.js';
import { matmulGemm } from '../codegen/template-kit.js';
import { int } from './onnx.js';

/** [rows, cols] of op(M) for a 2-D shape. */
function opDims(shape: readonly Dim[], trans: boolean): [Dim, Dim] {
  const [r, c] = [at(shape, 0), at(shape, 1)];
  return trans ? [c, r] : [r, c];
}

export const matmul: OpDef<'matmul'> = {
  op: 'matmul',
  leaf: false,
  group: 'linalg',
  inputNames: ['a', 'b'],
  diagram: { backward: (node) => `matmul ${node.attrs.transA ? 'Aᵀ' : 'A'}·${node.attrs.transB ? 'Bᵀ' : 'B'}` },
  inferType(inputs, attrs, labels): TensorType | string {
    const bad = floatOperandsError(inputs, labels);
    if (bad !== undefined) return bad;
    const [a, b] = [at(inputs, 0), at(inputs, 1)];
    const [al, bl] = [labels[0] ?? 'a', labels[1] ?? 'b'];
    if (a.shape.length !== 2) return `${al} is ${formatShape(a.shape)} but matmul needs a matrix`;
    if (b.shape.length !== 2) return `${bl} is ${formatShape(b.shape)} but matmul needs a matrix`;
    const [m, k1] = opDims(a.shape, attrs.transA);
    const [k2, n] = opDims(b.shape, attrs.transB);
    if (k1 !== k2) {
      const ta = attrs.transA ? 'ᵀ' : '';
      const tb = attrs.transB ? 'ᵀ' : '';
      return `inner dimensions differ: ${al}${ta} is [${m},${k1}] but ${bl}${tb} is [${k2},${n}]`;
    }
    return { shape: [m, n], dtype: a.dtype };
  },
  reference(inputs, attrs, out) {
    const [a, b] = [at(inputs, 0), at(inputs, 1)];
    const [aRows, aCols] = [at(a.shape, 0), at(a.shape, 1)];
    const bCols = at(b.shape, 1);
    const m = attrs.transA ? aCols : aRows;
    const k = attrs.transA ? aRows : aCols;
    const n = attrs.transB ? at(b.shape, 0) : bCols;
    const aAt = (i: number, l: number): number => (attrs.transA ? get(a, l * aCols + i) : get(a, i * aCols + l));
    const bAt = (l: number, j: number): number => (attrs.transB ? get(b, j * bCols + l) : get(b, l * bCols + j));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc += aAt(i, l) * bAt(l, j);
        out.data[i * n + j] = acc;
      }
    }
  },
  printAttrs: (a) => [a.transA ? 'transA' : '', a.transB ? 'transB' : ''].filter((s) => s !== '').join(','),
  kernel: (node, ctx) => matmulGemm(node, ctx),
  onnx: (node, c) =>
    c.op('Gemm', c.inputs, { transA: int(node.attrs.transA ? 1 : 0), transB: int(node.attrs.transB ? 1 : 0) }),
};
