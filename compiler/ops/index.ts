// The op registry: a plain literal, one line per op, no registration by side effect. Every op
// list elsewhere (fusion sets, in-place table, He init, spec ops and losses, JSON Schema enums)
// is derived from it here, from the traits each op file declares (compiler/ops/op-def.ts).
import type { SpecAttrs } from '../frontend/graph-spec.js';
import type { OpWithAttrs } from '../ir/node.js';
import type { AttrMap, NodeOf, OpName, TensorType } from '../ir/types.js';
import { adamMoment, adamUpdate, stepIncrement } from './adam-update.js';
import { add } from './add.js';
import { binaryCrossEntropy, binaryCrossEntropyGrad } from './binary-cross-entropy.js';
import { crossEntropy, crossEntropyGrad } from './cross-entropy.js';
import { gelu, geluGrad } from './gelu.js';
import { identity } from './identity.js';
import { leakyRelu, leakyReluGrad } from './leaky-relu.js';
import { fill, input, param, state, target } from './leaves.js';
import { linear } from './linear.js';
import { logSoftmax, logSoftmaxGrad } from './log-softmax.js';
import { matmul } from './matmul.js';
import { mse, mseGrad } from './mse.js';
import type { LossVocabulary, NodeVocabulary, OpDef, OpGroup } from './op-def.js';
import { relu, reluGrad } from './relu.js';
import { momentumVelocity, sgdUpdate } from './sgd-update.js';
import { sigmoid, sigmoidGrad } from './sigmoid.js';
import { sigmoidBinaryCrossEntropyGrad } from './sigmoid-binary-cross-entropy-grad.js';
import { softmax, softmaxGrad } from './softmax.js';
import { softmaxCrossEntropyGrad } from './softmax-cross-entropy-grad.js';
import { softplus, softplusGrad } from './softplus.js';
import { sumRows } from './sum-rows.js';
import { tanh, tanhGrad } from './tanh.js';

/** The registry with each op's own definition type (so `spec` use is visible to the type checker). */
const registry = {
  input,
  target,
  param,
  state,
  fill,
  linear,
  relu,
  leaky_relu: leakyRelu,
  sigmoid,
  tanh,
  gelu,
  identity,
  softplus,
  softmax,
  log_softmax: logSoftmax,
  add,
  cross_entropy: crossEntropy,
  binary_cross_entropy: binaryCrossEntropy,
  mse,
  matmul,
  sum_rows: sumRows,
  relu_grad: reluGrad,
  leaky_relu_grad: leakyReluGrad,
  sigmoid_grad: sigmoidGrad,
  tanh_grad: tanhGrad,
  gelu_grad: geluGrad,
  softplus_grad: softplusGrad,
  softmax_grad: softmaxGrad,
  log_softmax_grad: logSoftmaxGrad,
  cross_entropy_grad: crossEntropyGrad,
  mse_grad: mseGrad,
  binary_cross_entropy_grad: binaryCrossEntropyGrad,
  softmax_cross_entropy_grad: softmaxCrossEntropyGrad,
  sigmoid_binary_cross_entropy_grad: sigmoidBinaryCrossEntropyGrad,
  sgd_update: sgdUpdate,
  momentum_velocity: momentumVelocity,
  adam_moment: adamMoment,
  step_increment: stepIncrement,
  adam_update: adamUpdate,
} satisfies { readonly [K in OpName]: OpDef<K> };

export const ops: { readonly [K in OpName]: OpDef<K> } = registry;

type Registry = typeof registry;
/** Ops a spec node may use: their `spec` trait says `use: 'node'` (compiler/frontend/graph-spec.ts `SpecOp`). */
export type SpecNodeOpName = {
  [K in keyof Registry]: Registry[K] extends { readonly spec: { readonly use: 'node' } } ? K : never;
}[keyof Registry];
/** Ops a spec may name as its loss: their `spec` trait says `use: 'loss'`. */
export type SpecLossOpName = {
  [K in keyof Registry]: Registry[K] extends { readonly spec: { readonly use: 'loss' } } ? K : never;
}[keyof Registry];

/** Every op name, in registry order. */
export const opNames: readonly OpName[] = Object.keys(ops).filter((k): k is OpName => k in ops);

/** The ops of a group, in registry order. */
export function opsInGroup(...groups: readonly OpGroup[]): ReadonlySet<OpName> {
  return new Set(opNames.filter((op) => groups.includes(ops[op].group)));
}

/** Spec node ops in registry order, each with its vocabulary. */
export const specNodeOps: readonly SpecNodeOpName[] = opNames.filter(
  (op): op is SpecNodeOpName => ops[op].spec?.use === 'node',
);

/** Spec loss ops in registry order. */
export const specLossOps: readonly SpecLossOpName[] = opNames.filter(
  (op): op is SpecLossOpName => ops[op].spec?.use === 'loss',
);

/** Spec node ops by name, typed per op (checked property by property against the registry). */
const nodeVocabularies: { readonly [K in SpecNodeOpName]: { readonly spec: NodeVocabulary<K> } } = registry;

/** The vocabulary of a spec node op. */
export function nodeVocabulary<K extends SpecNodeOpName>(op: K): NodeVocabulary<K> {
  return nodeVocabularies[op].spec;
}

/** The IR op and attrs of a spec node (its op's `attrsFromSpec`, defaults applied). */
export function specNodeAttrs<K extends SpecNodeOpName>(op: K, node: SpecAttrs): OpWithAttrs {
  // NOTE: TS cannot correlate `op: K` with `AttrMap[K]` inside the union OpWithAttrs; the pair
  // is built from the same K, so it is one of its members.
  return { op, attrs: nodeVocabulary(op).attrsFromSpec(node) } as OpWithAttrs;
}

/** The vocabulary of a spec loss op. */
export function lossVocabulary(op: SpecLossOpName): LossVocabulary {
  return registry[op].spec;
}

/** The definition of a node's op, typed so the node's attrs fit it without casts. */
export function defOf<K extends OpName>(node: NodeOf<K>): OpDef<K> {
  return ops[node.op];
}

/** Operand count the op expects for these attrs (variadic ops: at least 2). */
export function expectedArity<K extends OpName>(def: OpDef<K>, attrs: AttrMap[K]): number {
  return def.arity?.(attrs) ?? def.inputNames.length;
}

/**
 * The op's output type for these operands, checking the operand count first; an error message
 * otherwise (without location: callers add the node name and place).
 */
export function inferNodeType<K extends OpName>(
  def: OpDef<K>,
  inputs: readonly TensorType[],
  attrs: AttrMap[K],
  labels: readonly string[],
): TensorType | string {
  if (def.leaf) return def.inferType(inputs, attrs, labels);
  if (def.variadic === true) {
    if (inputs.length < 2) return `${def.op} takes at least 2 operands but got ${inputs.length}`;
  } else {
    const n = expectedArity(def, attrs);
    if (inputs.length !== n) {
      return `${def.op} takes ${n} operand${n === 1 ? '' : 's'} (${def.inputNames.slice(0, n).join(', ')}) but got ${inputs.length}`;
    }
  }
  return def.inferType(inputs, attrs, labels);
}
