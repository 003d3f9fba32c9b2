// Shape and dtype helpers shared by the op files' shape rules and reference implementations.
import type { DType, FloatDType, Shape, TensorType } from '../ir/types.js';
import type { Tensor } from './op-def.js';

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function formatType(type: TensorType): string {
  return `${type.dtype}${formatShape(type.shape)}`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'f32' || dtype === 'f64';
}

/** Number of elements of a concrete shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Element `i` of a list whose length was already checked; throws on a broken invariant. */
export function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`internal: missing element ${i} of ${list.length}`);
  return v;
}

/** Reads element `i` of a tensor's data (bounds already guaranteed by its shape). */
export function get(t: Tensor, i: number): number {
  return t.data[i] ?? Number.NaN;
}

/** `[rows, cols]` of a tensor seen as a matrix over its last axis (a scalar is 1×1). */
export function rowsCols(shape: readonly number[]): [number, number] {
  const cols = shape.length === 0 ? 1 : at(shape, shape.length - 1);
  return [cols === 0 ? 0 : sizeOf(shape) / cols, cols];
}

/** Error text when any operand is not a float tensor of the first operand's dtype, else undefined. */
export function floatOperandsError(inputs: readonly TensorType[], labels: readonly string[]): string | undefined {
  const first = inputs[0];
  if (first === undefined) return undefined;
  for (let i = 0; i < inputs.length; i++) {
    const t = at(inputs, i);
    if (!isFloat(t.dtype)) return `${labels[i] ?? `operand ${i}`} is ${formatType(t)} but must be a float tensor`;
    if (t.dtype !== first.dtype) {
      return `dtypes differ: ${labels[0] ?? 'operand 0'} is ${first.dtype} but ${labels[i] ?? `operand ${i}`} is ${t.dtype}`;
    }
  }
  return undefined;
}

/** Shape rule of elementwise ops: all operands float, same dtype, same shape; result like them. */
export function sameTypeRule(inputs: readonly TensorType[], labels: readonly string[]): TensorType | string {
  const bad = floatOperandsError(inputs, labels);
  if (bad !== undefined) return bad;
  const first = at(inputs, 0);
  for (let i = 1; i < inputs.length; i++) {
    const t = at(inputs, i);
    if (!sameShape(first.shape, t.shape)) {
      return `operand shapes differ: ${labels[0] ?? 'operand 0'} is ${formatShape(first.shape)} but ${labels[i] ?? `operand ${i}`} is ${formatShape(t.shape)}`;
    }
  }
  return { shape: first.shape, dtype: first.dtype };
}

/** Shape rule of a unary elementwise op on a float tensor. */
export function unaryRule(inputs: readonly TensorType[], labels: readonly string[]): TensorType | string {
  return sameTypeRule(inputs, labels);
}

/** Shape rule of ops that normalize along the last axis (softmax): a float tensor of rank ≥ 1. */
export function lastAxisRule(inputs: readonly TensorType[], labels: readonly string[]): TensorType | string {
  const x = at(inputs, 0);
  if (x.shape.length === 0) return `${labels[0] ?? 'x'} is a scalar but needs a last axis to normalize over`;
  return sameTypeRule(inputs, labels);
}

/** out[i] = f(x[i]) */
export function mapUnary(x: Tensor, out: Tensor, f: (v: number) => number): void {
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(get(x, i));
}

/** out[i] = f(a[i], b[i]) */
export function mapBinary(a: Tensor, b: Tensor, out: Tensor, f: (u: number, v: number) => number): void {
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(get(a, i), get(b, i));
}

/** A scalar operand's value (loss seeds, step counters). */
export function scalar(t: Tensor): number {
  return get(t, 0);
}
