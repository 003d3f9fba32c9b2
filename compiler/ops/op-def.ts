// The contract every op file fulfils. One op = one file: its name, named operands, typed attrs,
// shape rule, naive reference implementation, VJP rule, kernel template, and its traits (group,
// in-place safety, initializer, diagram and explain text, spec vocabulary, module helpers).
// Every list elsewhere (fusion sets, in-place table, He init, spec ops, JSON Schema, labels)
// is derived from these fields: nothing about an op is kept outside its file.
// Adding a trait: make it an optional field here, documented, and derive the side list from
// `ops` in compiler/ops/index.ts (see docs/ops.md).
import type { KernelContext } from '../codegen/kernel-context.js';
import type { GemmActivation, GemmMask } from '../codegen/wasm/gemm-simd.js';
import type { SpecAttrName, SpecAttrs } from '../frontend/graph-spec.js';
import type { AttrMap, InitName, NodeOf, OpName, TensorType } from '../ir/types.js';
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
   * Float operands (names from `inputNames`) the rule never differentiates: a loss's target. Any
   * other float operand must get a gradient; the per-op VJP test checks that (no silent skip).
   */
  readonly noGradient?: readonly string[];
  /**
   * The gradient contribution to operand `operand` (an index into `node.inputs`): a new equation,
   * the id of an existing node when the local derivative is the identity (dX = dY), or
   * `undefined` when the operand is not differentiable (class-index targets).
   */
  grad(ctx: VjpContext<N>, operand: number): GradEquation | number | undefined;
}

/**
 * What kind of op this is. Passes query groups instead of keeping op lists:
 * - `leaf`: input/target/param/state/fill, no operands, no kernel;
 * - `layer`: linear (X·W + b), the matmul fusion patterns start from it;
 * - `activation`: y = f(x) element by element, fused into a matmul epilogue (needs `pointwise`);
 * - `activation-grad`: dx = dy ⊙ f'(saved), operands (dy, saved), fused into a backward matmul
 *   epilogue (needs `pointwise`);
 * - `row`: a normalization along the last axis (softmax, log_softmax), run in place on a
 *   linear's output by the `linear_softmax` pattern;
 * - `row-grad`: the backward op of a row op;
 * - `join`: the n-ary elementwise sum (also the gradient fan-in sum);
 * - `loss` / `loss-grad`: a scalar loss and its gradient, operands (dL, pred, target);
 * - `linalg`: the generic backward matmul and row sum;
 * - `update`: optimizer updates (elementwise ones carry `pointwise`).
 */
export type OpGroup =
  | 'leaf'
  | 'layer'
  | 'activation'
  | 'activation-grad'
  | 'row'
  | 'row-grad'
  | 'join'
  | 'loss'
  | 'loss-grad'
  | 'linalg'
  | 'update';

/** How a spec node names this op (`"op": "relu"`): a node op of the `nodes` list. */
export interface NodeVocabulary<K extends OpName> {
  readonly use: 'node';
  /** One line for `--help`, docs/spec.md and the JSON Schema's enumDescriptions. */
  readonly summary: string;
  /** `unary`: one operand in `input`; `variadic`: two or more in `inputs`. */
  readonly arity: 'unary' | 'variadic';
  /** Spec keys beyond name/op/input(s) this op accepts (declared in compiler/frontend/graph-spec.ts). */
  readonly attrs: readonly SpecAttrName[];
  /** Spec keys among `attrs` that must be present. */
  readonly required?: readonly SpecAttrName[];
  /** The IR attrs from the spec node's keys, defaults applied. */
  attrsFromSpec(node: SpecAttrs): AttrMap[K];
}

/** How a spec names this op as its `loss`. */
export interface LossVocabulary {
  readonly use: 'loss';
  readonly summary: string;
  /** Spec ops whose output the loss must read (the stable fused pairings); absent: any tensor. */
  readonly producers?: readonly OpName[];
}

/**
 * Words `chainrule explain` writes for a backward op: `prime` for an activation derivative
 * (`∂L/∂z = ∂L/∂h ⊙ σ'(z)`), `jacobian` for a row op's (`· J_softmax(z)`).
 */
export interface ExplainText<K extends OpName = OpName> {
  readonly prime?: string;
  readonly jacobian?: string;
  /**
   * Activation derivatives: f'(z) written out from its argument `z` (an indexed entry such as
   * `zₛⱼ`), for `explain --notation index`: `σ(zₛⱼ)(1 − σ(zₛⱼ))`, `𝟙[zₛⱼ > 0]`.
   */
  expanded?(z: string, attrs: AttrMap[K]): string;
  /**
   * Row ops: the Jacobian entry ∂yₛₗ/∂xₛₖ of one row, from the output's entries `y(col)` and the
   * Kronecker delta `delta`: softmax's `pₛₗ(δₗₖ − pₛₖ)`.
   */
  entry?(y: (col: string) => string, delta: string, l: string, k: string): string;
}

/** Words on a diagram node (compiler/diagram/labels.ts); defaults: `op(x)` forward, the op name backward. */
export interface DiagramText<K extends OpName> {
  /** The formula a forward/loss/leaf node computes, from its operands' names. */
  formula?(node: NodeOf<K>, operands: readonly string[]): string;
  /** A short description of a backward node's op. */
  backward?(node: NodeOf<K>): string;
}

/**
 * Worked values for the reference check, written independently of `reference` (by hand or
 * from a closed form spelled differently). Each operand is one row of numbers, fed with
 * shape [1, n] (scalars as []); `output` is the expected result, flat.
 */
export interface OpExample<K extends OpName> {
  readonly attrs?: AttrMap[K];
  readonly operands: readonly (readonly number[])[];
  readonly output: readonly number[];
}

/**
 * Where an operand's values are valid and smooth, for the registry-driven tests (random
 * operands, finite differences): `real` (normal), `awayFromZero` (off a kink at 0), `unit` (0, 1).
 */
export type OperandDomain = 'real' | 'awayFromZero' | 'unit';

export interface OpDef<K extends OpName> {
  readonly op: K;
  /** Leaves (input/target/param/state/fill) have a declared type and no operands. */
  readonly leaf: boolean;
  /** The op's kind; fusion, memory planning and the docs read it (see `OpGroup`). */
  readonly group: OpGroup;
  /**
   * Why this op's `single` kernel may write its result over an operand (e.g. `unary: reads X[i]
   * into a local, then stores O[i]`); absent: never in place. Read by compiler/passes/memory.
   */
  readonly inPlace?: string;
  /** Activations: the initializer of a linear layer that feeds this op (default glorot_uniform). */
  readonly feedInit?: Extract<InitName, 'he_uniform' | 'glorot_uniform'>;
  /**
   * Activations the WebAssembly matmul applies in its store (gemm-simd.ts), so a linear + this op
   * runs as one wasm call with no TypeScript epilogue (and shares its work among threads).
   */
  readonly wasmStore?: GemmActivation;
  /**
   * Activation derivatives the WebAssembly matmul applies in its store from the saved value
   * (gemm-simd.ts), so a backward matmul + this op runs as one wasm call.
   */
  readonly wasmGradStore?: GemmMask;
  /** Diagram words (compiler/diagram/labels.ts). */
  readonly diagram?: DiagramText<K>;
  /** Explain words (compiler/explain/equations.ts). */
  readonly explain?: ExplainText<K>;
  /** Spec vocabulary: how a spec file uses this op (as a node or as the loss); absent: IR only. */
  readonly spec?: NodeVocabulary<K> | LossVocabulary;
  /**
   * Helper functions of the generated module (compiler/codegen/module-helpers.ts) that this op's
   * `kernel`/`pointwise` code calls, e.g. `geluDerivative`.
   */
  readonly helpers?: readonly string[];
  /** Worked values checked against `reference` by test/compiler/ops (see `OpExample`). */
  readonly examples?: readonly OpExample<K>[];
  /** Valid operand values per operand, for tests (default `real`). */
  readonly domains?: readonly OperandDomain[];
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

/** An op a spec node may use (its `spec` trait says `use: 'node'`). */
export type SpecNodeOpDef<K extends OpName> = OpDef<K> & { readonly spec: NodeVocabulary<K> };
/** An op a spec may name as its loss. */
export type SpecLossOpDef<K extends OpName> = OpDef<K> & { readonly spec: LossVocabulary };
