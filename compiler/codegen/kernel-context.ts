// What a kernel template sees: names of the buffers it reads and writes, and every dim as a
// literal (or `B` when the batch is chosen at run time). Templates return TS statements.
import type { Dim, FloatDType, Node, NodeOf, OpName, Shape } from '../ir/types.js';

export interface KernelContext {
  readonly dtype: FloatDType;
  /** `Float32Array` or `Float64Array`. */
  readonly floatArray: string;
  /** The identifier of the typed array holding a node's value (indexed from 0). */
  ref(id: number): string;
  node(id: number): Node;
  /** A dim as code: its literal, or `B`. */
  dim(d: Dim): string;
  /** Number of elements of a shape as code (`8192` or `B * 128`). */
  count(shape: Shape): string;
  /** Product of all but the last dim as code (rows of a row-major matrix). */
  rows(shape: Shape): string;
  /** The last dim, which is always static. */
  cols(shape: Shape): number;
  /** Register-block size for every matmul (rows × cols of accumulators); default: chosen per shape (`chooseTile`). */
  readonly tile?: { readonly rows: number; readonly cols: number };
  /** Matmuls compute only these rows of their product (a thread's slice; see js-threads.ts). */
  readonly rowRange?: { readonly from: string; readonly to: string };
}

/** A kernel template: the statements computing one node (placed in its own function). */
export type KernelTemplate<K extends OpName> = (node: NodeOf<K>, ctx: KernelContext) => string;

/** A number as a TS literal that round-trips exactly (and stays readable for simple values). */
export function lit(x: number): string {
  if (Number.isInteger(x)) return `${x}`;
  return `${x}`;
}
