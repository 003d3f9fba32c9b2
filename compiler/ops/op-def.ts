// The contract every op file fulfils. One op = one file: its name, named operands, typed attrs,
// shape rule, naive reference implementation, VJP rule and (later) kernel template.
import type { AttrMap, OpName, TensorType } from '../ir/types.js';

/** A concrete tensor for the reference interpreter: batch resolved, row-major data. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array;
}

export interface OpDef<K extends OpName> {
  readonly op: K;
  /** Operand names in order (`['x', 'weight', 'bias']`); for variadic ops, the repeated name. */
  readonly inputNames: readonly string[];
  /** True when the op takes any number (≥ 2) of operands, all named `inputNames[0]`. */
  readonly variadic?: boolean;
  /**
   * Shape rule: the output type, or an error message naming the operands and shapes that
   * disagree (the caller adds the location and node name).
   */
  inferType(inputs: readonly TensorType[], attrs: AttrMap[K]): TensorType | string;
  /**
   * Naive reference implementation, the living definition generated kernels are checked
   * against. Writes the result into `out.data` (already allocated with the output's shape).
   */
  reference(inputs: readonly Tensor[], attrs: AttrMap[K], out: Tensor): void;
  /** Attribute text for the IR printer, e.g. `alpha=0.01`; omitted when the op has none. */
  printAttrs?(attrs: AttrMap[K]): string;
}
