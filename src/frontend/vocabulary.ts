// The words of the spec format: ops, their keys, losses, optimizers. One table each, so the
// loader, the builder, the JSON Schema test and the docs agree on a single list.
import type { SpecLossOp, SpecOp, TrainSpec } from '../../compiler/frontend/graph-spec.js';

/** How a node names its operands. */
export type Arity = 'unary' | 'variadic';

export interface OpInfo {
  readonly arity: Arity;
  /** Attribute keys beyond `name`, `op`, `input`/`inputs`. */
  readonly attrs: readonly ('units' | 'bias' | 'alpha')[];
  /** One line for `--help`, the docs and the schema. */
  readonly summary: string;
}

export const opTable: { readonly [K in SpecOp]: OpInfo } = {
  linear: {
    arity: 'unary',
    attrs: ['units', 'bias'],
    summary: 'x·W + b: a fully connected layer with `units` outputs',
  },
  relu: { arity: 'unary', attrs: [], summary: "max(x, 0), with relu'(0) = 0" },
  leaky_relu: { arity: 'unary', attrs: ['alpha'], summary: 'x if x > 0 else alpha·x (alpha defaults to 0.01)' },
  sigmoid: { arity: 'unary', attrs: [], summary: '1 / (1 + e^−x)' },
  tanh: { arity: 'unary', attrs: [], summary: 'hyperbolic tangent' },
  gelu: { arity: 'unary', attrs: [], summary: 'GELU, tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))' },
  identity: { arity: 'unary', attrs: [], summary: 'x unchanged' },
  softmax: { arity: 'unary', attrs: [], summary: 'exp(x − max x) / Σ exp(x − max x) along the last axis' },
  log_softmax: { arity: 'unary', attrs: [], summary: 'x − max x − log Σ exp(x − max x) along the last axis' },
  add: { arity: 'variadic', attrs: [], summary: 'elementwise sum of two or more tensors of the same shape' },
};

export const specOps = Object.keys(opTable) as SpecOp[];

export const lossTable: {
  readonly [K in SpecLossOp]: { readonly summary: string; readonly producers?: readonly SpecOp[] };
} = {
  cross_entropy: {
    summary:
      'batch mean of −Σ_k y_k·log p_k; takes a softmax or log_softmax output; target [null] class indices or [null, k] rows',
    producers: ['softmax', 'log_softmax'],
  },
  binary_cross_entropy: {
    summary:
      'mean over all elements of −(y·log p + (1 − y)·log(1 − p)); takes a sigmoid output; target of the same shape',
    producers: ['sigmoid'],
  },
  mse: { summary: 'mean over all elements of (ŷ − y)²; takes any float tensor; target of the same shape' },
};

export const lossOps = Object.keys(lossTable) as SpecLossOp[];

export type OptimizerName = TrainSpec['optimizer'];

/** Keys of the `train` block per optimizer (besides `optimizer`). */
export const trainKeys: { readonly [K in OptimizerName]: readonly string[] } = {
  sgd: ['lr', 'momentum', 'seed'],
  adam: ['lr', 'beta1', 'beta2', 'eps', 'seed'],
};

export const optimizers = Object.keys(trainKeys) as OptimizerName[];

export const topLevelKeys = ['$schema', 'name', 'inputs', 'targets', 'nodes', 'outputs', 'loss', 'train'] as const;
export const nodeKeys = ['name', 'op', 'input', 'inputs', 'units', 'bias', 'alpha'] as const;
export const lossKeys = ['op', 'input', 'target'] as const;

/**
 * Names of the graph, tensors and nodes become file names, record keys (`fc1.weight`) and
 * identifiers in generated code, so they are plain identifiers; a leading `__` is reserved
 * (`__proto__` as a record key would reach the prototype).
 */
export const namePattern = /^(?!__)[A-Za-z_][A-Za-z0-9_]*$/;

export function isSpecOp(s: string): s is SpecOp {
  return Object.hasOwn(opTable, s);
}

export function isLossOp(s: string): s is SpecLossOp {
  return Object.hasOwn(lossTable, s);
}

export function isOptimizer(s: string): s is OptimizerName {
  return Object.hasOwn(trainKeys, s);
}
