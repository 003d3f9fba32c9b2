// The one node record of chainrule's IR. Forward, backward and optimizer nodes all share it:
// the backward graph is data in the same IR, never closures or a tape.

/** A static dimension, or `'B'`: the batch dimension when the batch size is chosen at run time. */
export type Dim = number | 'B';
export type Shape = readonly Dim[];
/** Element types. `i32` is only used for class-index targets. */
export type DType = 'f32' | 'f64' | 'i32';
export type FloatDType = 'f32' | 'f64';

export interface TensorType {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Where a node came from in the spec, for located error messages. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number; // 1-based
  readonly col: number; // 1-based
}

export type InitName = 'glorot_uniform' | 'he_uniform' | 'zeros';

/**
 * Typed attributes per op; its keys are the op names. Each op's file under compiler/ops/ adds
 * its own entry (`declare module '../ir/types.js' { interface AttrMap { relu: … } }`) next to
 * its shape rule, reference, VJP, kernel and traits, and compiler/ops/index.ts lists the op in
 * the registry: one op = one file plus one registry line. Op lists elsewhere are derived from
 * the registry, never kept by hand (docs/ops.md).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from compiler/ops/*.ts
export interface AttrMap {}

export type OpName = keyof AttrMap;

export interface NodeBase {
  /** Stable id, unique within a graph; passes that create nodes take fresh ids. */
  readonly id: number;
  /** Unique readable name: the spec's node name, `fc1.weight`, `grad(fc1)`, ... */
  readonly name: string;
  /** Operand node ids, in the order of the op's `inputNames`. */
  readonly inputs: readonly number[];
  readonly type: TensorType;
  readonly role: Role;
  /** Backward nodes: which forward node they differentiate and the local chain-rule factor. */
  readonly grad?: { readonly of: number; readonly factor: string };
  /** Update nodes: at the end of a training step this value is written into that leaf. */
  readonly assigns?: number;
  readonly loc?: SourceLoc;
}

/**
 * `input`/`target`/`param`/`state`/`fill` are leaves; `forward` computes inference values;
 * `loss` is the scalar objective; `backward` nodes compute gradients; `update` nodes apply the
 * optimizer.
 */
export type Role = 'input' | 'target' | 'param' | 'state' | 'const' | 'forward' | 'loss' | 'backward' | 'update';

/** A node of a given op, with that op's attrs typed. */
export type NodeOf<K extends OpName> = { [P in K]: NodeBase & { readonly op: P; readonly attrs: AttrMap[P] } }[K];
export type Node = NodeOf<OpName>;

export interface Graph {
  /** The model name from the spec (used for the generated file name). */
  readonly name: string;
  /** Nodes in a topological order: every input precedes its consumers. */
  readonly nodes: readonly Node[];
  /** Named outputs (spec `outputs`), as node ids. */
  readonly outputs: readonly number[];
  /** The scalar loss node, when the spec declares one. */
  readonly loss?: number;
  /**
   * The kernels of the generated code, in execution order (set by the `fuse` pass). Absent:
   * one kernel per non-leaf node, in node order.
   */
  readonly kernels?: readonly Kernel[];
  /** Where every value lives in the arena (set by the `plan-memory` pass). Absent: no reuse. */
  readonly memory?: MemoryPlan;
}

/** How the nodes of a kernel are computed together; codegen has one template per pattern. */
export type FusionPattern =
  /** One node, its op's own kernel template. */
  | 'single'
  /** linear (X·W + b) with the activation applied in the matmul epilogue. */
  | 'linear_activation'
  /** dZ = (dY·Wᵀ) ⊙ f'(a): the activation derivative in the backward matmul's epilogue. */
  | 'matmul_activation_grad'
  /** dW = Xᵀ·dZ and db = Σrows dZ in one pass over dZ. */
  | 'weight_bias_grad'
  /** linear (X·W + b) written straight into the softmax/log_softmax output, normalized in place row by row. */
  | 'linear_softmax'
  /** The loss and its gradient w.r.t. the loss's input, both reading the same predictions and targets. */
  | 'loss_grad'
  /** A chain of elementwise ops in one loop. */
  | 'elementwise';

/** One function of the generated code. */
export interface Kernel {
  /** Identifier-safe and unique, named after what it fuses (`fc1_linear_relu`). */
  readonly name: string;
  readonly pattern: FusionPattern;
  /** The nodes it computes, in dependency order. */
  readonly nodes: readonly number[];
  /** The values it stores (read by other kernels or by the caller); the rest stay in registers. */
  readonly writes: readonly number[];
  /**
   * Optimizer update nodes folded into this kernel for `trainStep` (the gradient is consumed
   * where it is hot); `lossAndGrads` runs the kernel without them.
   */
  readonly updates?: readonly number[];
}

/** Where a value lives in the generated module. */
export type Storage =
  /** The caller's input/target array, read in place (never copied). */
  | { readonly kind: 'external'; readonly key: string }
  /** `size` floats at `offset` in the fixed arena. */
  | { readonly kind: 'fixed'; readonly offset: number; readonly size: number }
  /** `rowSize` floats per batch row, at `rowOffset · B` in the batch arena. */
  | { readonly kind: 'batch'; readonly rowOffset: number; readonly rowSize: number }
  /** Update nodes write their result straight into the leaf they assign (in place). */
  | { readonly kind: 'alias'; readonly of: number };

/**
 * The arena layout: every stored value's region. With a fixed batch every dim is a literal and
 * everything is `fixed`; with a run-time batch, batched values go to a second arena of B rows.
 */
export interface MemoryPlan {
  readonly storage: ReadonlyMap<number, Storage>;
  /** Floats in the fixed arena. */
  readonly fixedSize: number;
  /** Floats per batch row in the batch arena. */
  readonly batchRowSize: number;
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
