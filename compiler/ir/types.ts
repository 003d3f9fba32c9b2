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

/** Activation functions that share the elementwise kernel skeleton. */
export type ActivationName = 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh' | 'gelu' | 'identity';
export type LossName = 'cross_entropy' | 'mse' | 'binary_cross_entropy';
export type InitName = 'glorot_uniform' | 'he_uniform' | 'zeros';

/**
 * Typed attributes per op. The keys of this map are the op names: adding an op means adding
 * its attrs here, its file under compiler/ops/, and one line in compiler/ops/index.ts.
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
  softmax_grad: Record<string, never>;
  log_softmax_grad: Record<string, never>;
  cross_entropy_grad: { readonly input: 'probs' | 'log_probs' };
  mse_grad: Record<string, never>;
  binary_cross_entropy_grad: Record<string, never>;

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
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
