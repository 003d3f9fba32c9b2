// An independent oracle: the same spec evaluated with TensorFlow.js ops (cpu backend), with the
// loss taken from tfjs's own loss functions on logits (softmaxCrossEntropy, sigmoidCrossEntropy,
// meanSquaredError) and gradients from tfjs's autodiff.
import * as tf from '@tensorflow/tfjs';
import type { GraphSpec, NodeSpec } from '../../compiler/frontend/graph-spec.js';

export type ParamTensors = Record<string, tf.Variable>;

function apply(node: NodeSpec, args: tf.Tensor[], params: ParamTensors): tf.Tensor {
  const x = args[0];
  if (x === undefined) throw new Error(`node ${node.name} has no operand`);
  switch (node.op) {
    case 'linear': {
      const w = params[`${node.name}.weight`];
      const b = params[`${node.name}.bias`];
      if (w === undefined) throw new Error(`no weight for ${node.name}`);
      const xw = tf.matMul(x, w);
      return b === undefined ? xw : tf.add(xw, b);
    }
    case 'relu':
      return tf.relu(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, node.alpha ?? 0.01);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'gelu': {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
    case 'identity':
      return x;
    case 'softmax':
      return tf.softmax(x);
    case 'log_softmax':
      return tf.logSoftmax(x);
    case 'add':
      return tf.addN(args);
    default:
      // An op no example spec uses needs no oracle; one that an example uses fails here, by name.
      throw new Error(`no TensorFlow.js oracle for op ${node.op}: add a case to test/support/tfjs-model.ts`);
  }
}

/** Loss of the spec on a batch, from tfjs ops (call inside tf.tidy / a gradient function). */
export function tfLoss(spec: GraphSpec, params: ParamTensors, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const values = new Map<string, tf.Tensor>([['x', x]]);
  for (const node of spec.nodes) {
    const names = node.inputs ?? (node.input === undefined ? [] : [node.input]);
    values.set(
      node.name,
      apply(
        node,
        names.map((n) => values.get(n) ?? tf.scalar(Number.NaN)),
        params,
      ),
    );
  }
  const loss = spec.loss;
  if (loss === undefined) throw new Error('spec has no loss');
  const producer = spec.nodes.find((n) => n.name === loss.input);
  const logits = values.get(producer?.input ?? '');
  const pred = values.get(loss.input);
  if (logits === undefined || pred === undefined) throw new Error('loss operands missing');
  switch (loss.op) {
    case 'cross_entropy': {
      const k = pred.shape[1] ?? 1;
      const labels = y.dtype === 'int32' ? tf.oneHot(y.as1D(), k) : y;
      return tf.losses.softmaxCrossEntropy(labels, logits);
    }
    case 'binary_cross_entropy':
      return tf.losses.sigmoidCrossEntropy(y, logits);
    case 'mse':
      return tf.losses.meanSquaredError(y, pred);
  }
}

export function tfVariables(
  params: Record<string, Float64Array | Float32Array>,
  shapes: Record<string, number[]>,
): ParamTensors {
  const out: ParamTensors = {};
  for (const [name, data] of Object.entries(params))
    out[name] = tf.variable(tf.tensor(Float32Array.from(data), shapes[name]), true, `${name}_${Math.random()}`);
  return out;
}
