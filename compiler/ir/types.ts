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
 * Typed attributes per op. The keys of this map are the op names: adding an op means adding
 * its attrs here, its file under compiler/ops/ (shape rule, reference, VJP, kernel and traits:
 * group, spec vocabulary, diagram/explain words…), and one line in compiler/ops/index.ts.
 * Op lists elsewhere are derived from the registry, never kept by hand (docs/ops.md).
 */
export interface AttrMap {
  // Leaves: values supplied by the caller or held by the model between steps.
  input: Record<string, never>;
  target: Record<string, never>;
  /** A trainable parameter; `init` is how the generated module initializes it. */
  param: { readonly init: InitName; readonly fanIn: number; readonly fanOut: number };
  /** Optimizer state (velocity, moments, step counter); starts at zero. */
  state: Record<string, never>;
  /** A constant filled with one value (the loss seed dL/dL = 1). */
  fill: { readonly value: number };

  // Forward ops.
  linear: { readonly units: number; readonly bias: boolean };
  relu: Record<string, never>;
  leaky_relu: { readonly alpha: number };
  sigmoid: Record<string, never>;
  tanh: Record<string, never>;
  gelu: Record<string, never>;
  identity: Record<string, never>;
  softplus: Record<string, never>;
  softmax: Record<string, never>;
  log_softmax: Record<string, never>;
  /** n-ary elementwise sum; also the explicit gradient fan-in sum in the backward graph. */
  add: Record<string, never>;
  /** `input` says whether the loss reads probabilities (softmax) or log-probabilities (log_softmax). */
  cross_entropy: { readonly input: 'probs' | 'log_probs' };
  mse: Record<string, never>;
  binary_cross_entropy: Record<string, never>;

  // Backward ops (emitted by VJP rules; each lives in the file of the op it differentiates,
  // except the generic linear-algebra ones).
  /** C = op(A)·op(B); the transposes are folded into the loop order, never materialized. */
  matmul: { readonly transA: boolean; readonly transB: boolean };
  /** Σ over the batch rows: [B,n] -> [n] (bias gradients). */
  sum_rows: Record<string, never>;
  relu_grad: Record<string, never>;
  leaky_relu_grad: { readonly alpha: number };
  sigmoid_grad: Record<string, never>;
  tanh_grad: Record<string, never>;
  gelu_grad: Record<string, never>;
  softplus_grad: Record<string, never>;
  softmax_grad: Record<string, never>;
  log_softmax_grad: Record<string, never>;
  cross_entropy_grad: { readonly input: 'probs' | 'log_probs' };
  mse_grad: Record<string, never>;
  binary_cross_entropy_grad: Record<string, never>;
  /** Fused by `simplify`: softmax/log_softmax + cross_entropy gradient w.r.t. the logits, dL·(p − y)/n. */
  softmax_cross_entropy_grad: { readonly input: 'probs' | 'log_probs' };
  /** Fused by `simplify`: sigmoid + binary_cross_entropy gradient w.r.t. the sigmoid's input, dL·(p − y)/N. */
  sigmoid_binary_cross_entropy_grad: Record<string, never>;

  // Optimizer update ops (role 'update', each `assigns` a param or state leaf).
  sgd_update: { readonly lr: number };
  momentum_velocity: { readonly momentum: number };
  adam_moment: { readonly beta: number; readonly squared: boolean };
  step_increment: Record<string, never>;
  adam_update: { readonly lr: number; readonly beta1: number; readonly beta2: number; readonly eps: number };
}

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
