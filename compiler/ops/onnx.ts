// The ONNX lowering contract each op file implements (`OpDef.onnx`): how one IR node becomes
// standard ONNX ops (default domain, opset ONNX_OPSET). The compiler knows nothing about protobuf:
// an op emits nodes through this builder and src/interop/onnx serializes what it collects.
import type { TensorType } from '../ir/types.js';

/** The opset every exported graph declares; GELU uses the exact tanh decomposition (no opset-20 `Gelu`). */
export const ONNX_OPSET = 17;

/** An ONNX node attribute value: ints and floats are told apart by the wrapper. */
export type OnnxAttr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] };

export const int = (value: number): OnnxAttr => ({ kind: 'int', value });
export const float = (value: number): OnnxAttr => ({ kind: 'float', value });
export const ints = (value: readonly number[]): OnnxAttr => ({ kind: 'ints', value });

/** What an op's lowering sees and can emit. Values are ONNX value names. */
export interface OnnxContext {
  /** The node's operands, in `inputNames` order. */
  readonly inputs: readonly string[];
  /** The operands' IR types (e.g. to tell class-index targets from probability rows). */
  readonly inputTypes: readonly TensorType[];
  /** The ONNX element type of the model's floats (`TensorProto.DataType`: 1 float, 11 double). */
  readonly floatElementType: number;
  /** Emits one ONNX node with one output; returns the output's value name. */
  op(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, OnnxAttr>>): string;
  /** A scalar constant of the model's float type (broadcasts against any tensor). */
  scalar(value: number): string;
  /** A constant int64 vector (axes, shapes). */
  int64s(values: readonly number[]): string;
  /** A constant int32 vector (class ids compared against class-index targets). */
  int32s(values: readonly number[]): string;
  /** The length of axis `axis` of a value, as a float scalar (the batch size n at run time). */
  dim(value: string, axis: number): string;
  /** The element count of a value, as a float scalar. */
  count(value: string): string;
}

/** Σ along `axes` (ReduceSum takes its axes as an input since opset 13). */
export function reduceSum(c: OnnxContext, x: string, axes: readonly number[], keepdims: boolean): string {
  return c.op('ReduceSum', [x, c.int64s(axes)], { keepdims: int(keepdims ? 1 : 0) });
}

/** Mean over every element, a scalar (ReduceMean keeps axes as an attribute until opset 18). */
export function meanAll(c: OnnxContext, x: string): string {
  return c.op('ReduceMean', [x], { keepdims: int(0) });
}

/** Dense rows of a cross-entropy target: class indices [n] become one-hot [n,k] rows. */
export function denseTarget(c: OnnxContext, y: string, yType: TensorType, k: number): string {
  if (yType.dtype !== 'i32') return y;
  const classes = c.int32s(Array.from({ length: k }, (_, j) => j));
  const column = c.op('Unsqueeze', [y, c.int64s([1])]);
  return c.op('Cast', [c.op('Equal', [column, classes])], { to: int(c.floatElementType) });
}

/** Columns of a [rows, k] type (static in every chainrule graph). */
export function lastDim(type: TensorType): number {
  const k = type.shape[type.shape.length - 1];
  if (typeof k !== 'number') throw new Error(`internal: the last axis of [${type.shape.join(',')}] is not static`);
  return k;
}
