// The op registry: a plain literal, one line per op, no registration by side effect.
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
import type { OpDef } from './op-def.js';
import { relu, reluGrad } from './relu.js';
import { momentumVelocity, sgdUpdate } from './sgd-update.js';
import { sigmoid, sigmoidGrad } from './sigmoid.js';
import { sigmoidBinaryCrossEntropyGrad } from './sigmoid-binary-cross-entropy-grad.js';
import { softmax, softmaxGrad } from './softmax.js';
import { softmaxCrossEntropyGrad } from './softmax-cross-entropy-grad.js';
import { sumRows } from './sum-rows.js';
import { tanh, tanhGrad } from './tanh.js';

export const ops: { readonly [K in OpName]: OpDef<K> } = {
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
  softmax,
  log_softmax: logSoftmax,
  add,
  cross_entropy: crossEntropy,
  mse,
  binary_cross_entropy: binaryCrossEntropy,
  matmul,
  sum_rows: sumRows,
  relu_grad: reluGrad,
  leaky_relu_grad: leakyReluGrad,
  sigmoid_grad: sigmoidGrad,
  tanh_grad: tanhGrad,
  gelu_grad: geluGrad,
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
};

/** Every op name, in registry order. */
export const opNames: readonly OpName[] = Object.keys(ops).filter((k): k is OpName => k in ops);

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
