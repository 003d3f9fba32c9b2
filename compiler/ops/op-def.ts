// The contract every op file fulfils. One op = one file: its name, named operands, typed attrs,
// shape rule, naive reference implementation, VJP rule and kernel template.
import type { KernelContext } from '../codegen/kernel-context.js';
import type { AttrMap, NodeOf, OpName, TensorType } from '../ir/types.js';
import type { OnnxContext } from './onnx.js';
import type { TfjsLayer } from './tfjs.js';

/** A concrete tensor for the reference interpreter: batch resolved, row-major data. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array;
}

/**
 * One backward equation a VJP rule emits. The autodiff pass turns it into a node: it infers the
 * type with the op's shape rule and records `factor` (the local chain-rule factor, e.g.
 * `·fc2.weightᵀ`) on the node's `grad` field.
 */
export type GradEquation = {
  [P in OpName]: {
    readonly op: P;
    readonly attrs: AttrMap[P];
    readonly inputs: readonly number[];
    readonly factor: string;
  };
}[OpName];

/** What a VJP rule sees: the forward node, the id of its output's gradient, and names for factor text. */
export interface VjpContext<N> {
  readonly node: N;
  /** Id of the node holding ∂L/∂(this node's output). */
  readonly dy: number;
  /** Readable name of any node id (for factor text such as `⊙relu'(fc1)`). */
  name(id: number): string;
}

export interface VjpRule<N> {
  /**
   * Forward tensors the backward equations read: operand names from `inputNames`, or `'output'`.
   * The memory planner keeps exactly these forward buffers alive until the backward pass.
   */
  readonly saves: readonly string[];
  /**
   * The gradient contribution to operand `operand` (an index into `node.inputs`): a new equation,
   * the id of an existing node when the local derivative is the identity (dX = dY), or
   * `undefined` when the operand is not differentiable (class-index targets).
   */
  grad(ctx: VjpContext<N>, operand: number): GradEquation | number | undefined;
}

export interface OpDef<K extends OpName> {
  readonly op: K;
  /** Leaves (input/target/param/state/fill) have a declared type and no operands. */
  readonly leaf: boolean;
  /** Operand names in order (`['x', 'weight', 'bias']`); for variadic ops, the repeated name. */
  readonly inputNames: readonly string[];
  /** True when the op takes any number (≥ 2) of operands, all named `inputNames[0]`. */
  readonly variadic?: boolean;
  /** Operand count for these attrs when it depends on them (linear without bias); else inputNames.length. */
  arity?(attrs: AttrMap[K]): number;
  /**
   * Shape rule: the output type, or an error message naming the operands (`labels`, one per
   * input, e.g. the producing nodes' names) and the shapes that disagree. The operand count has
   * already been checked by `inferNodeType` in `ops/index.ts`.
   */
  inferType(inputs: readonly TensorType[], attrs: AttrMap[K], labels: readonly string[]): TensorType | string;
  /**
   * Naive reference implementation, the living definition generated kernels are checked
   * against. Computes in float64 and writes the result into `out.data` (already allocated with
   * the output's shape and dtype, so an f32 output rounds like an f32 kernel).
   */
  reference(inputs: readonly Tensor[], attrs: AttrMap[K], out: Tensor): void;
  /** Attribute text for the IR printer, e.g. `alpha=0.01`; omitted when the op has none. */
  printAttrs?(attrs: AttrMap[K]): string;
  /** The VJP rule; absent for ops that are never differentiated (backward and update ops). */
  readonly vjp?: VjpRule<{ readonly id: number; readonly inputs: readonly number[]; readonly attrs: AttrMap[K] }>;
  /**
   * Pointwise ops: the code of one output element from its operands' element values (identifiers
   * or expressions, each may appear several times). Single-op kernels and fused loops both use
   * it, so fused and unfused code compute exactly the same formula.
   */
  pointwise?(node: NodeOf<K>, operands: readonly string[]): string;
  /**
   * The kernel template: TS statements computing the node in the generated module, specialized
   * to its static dims (helpers in compiler/codegen/template-kit.ts). Absent only for leaves.
   */
  kernel?(node: NodeOf<K>, ctx: KernelContext): string;
  /**
   * How the node lowers to standard ONNX ops (opset `ONNX_OPSET` in ./onnx.ts), emitted through
   * `ctx`; returns the value name holding the node's output. Absent only for leaves, which the
   * exporter turns into graph inputs or initializers.
   */
  onnx?(node: NodeOf<K>, ctx: OnnxContext): string;
  /** The TensorFlow.js Layers layer a forward node becomes (./tfjs.ts); absent: not exportable to tfjs. */
  tfjs?(node: NodeOf<K>): TfjsLayer;
}
