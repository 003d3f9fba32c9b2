// Runs one op's reference implementation on plain arrays (float64 unless told), for op tests.
import { inferNodeType, ops } from '../../compiler/ops/index.js';
import type { Tensor } from '../../compiler/ops/op-def.js';
import type { AttrMap, DType, OpName, TensorType } from '../../compiler/ir/types.js';

export interface Operand {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  readonly dtype?: DType;
}

function allocate(dtype: DType, values: ArrayLike<number> | number): Float32Array | Float64Array | Int32Array {
  const make = dtype === 'f32' ? Float32Array : dtype === 'i32' ? Int32Array : Float64Array;
  return typeof values === 'number' ? new make(values) : make.from(values);
}

/** The op's output (shape from its shape rule) for these operands. */
export function runOp<K extends OpName>(
  op: K,
  attrs: AttrMap[K],
  operands: readonly Operand[],
  outDType: DType = 'f64',
): Tensor {
  const def = ops[op];
  const types: TensorType[] = operands.map((o) => ({ shape: o.shape, dtype: o.dtype ?? outDType }));
  const type = inferNodeType(
    def,
    types,
    attrs,
    operands.map((_, i) => `in${i}`),
  );
  if (typeof type === 'string') throw new Error(type);
  const shape = type.shape.map((d) => (typeof d === 'number' ? d : 0));
  const inputs: Tensor[] = operands.map((o) => ({ shape: o.shape, data: allocate(o.dtype ?? outDType, o.data) }));
  const out: Tensor = {
    shape,
    data: allocate(
      type.dtype,
      shape.reduce((a, b) => a * b, 1),
    ),
  };
  def.reference(inputs, attrs, out);
  return out;
}

/** The output as a plain number array. */
export function runOpValues<K extends OpName>(
  op: K,
  attrs: AttrMap[K],
  operands: readonly Operand[],
  outDType: DType = 'f64',
): number[] {
  return Array.from(runOp(op, attrs, operands, outDType).data);
}

/** Asserts every element of `actual` is within `rel` relative error (plus `abs`) of `expected`. */
export function closeTo(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  abs = 0,
): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i] ?? Number.NaN, expected[i] ?? Number.NaN];
    if (!(Math.abs(a - e) <= rel * Math.abs(e) + abs)) return `element ${i}: ${a} vs expected ${e}`;
  }
  return undefined;
}
