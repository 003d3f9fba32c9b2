// The words of the spec format: ops, their keys, losses, optimizers. The op and loss tables are
// read off the op registry (each op file's `spec` trait, compiler/ops/), so the loader, the
// builder, the JSON Schema generator (scripts/schema.ts) and the docs agree on a single list.
import type { SpecAttrName, SpecLossOp, SpecOp, TrainSpec } from '../../compiler/frontend/graph-spec.js';
import { lossVocabulary, nodeVocabulary, specLossOps, specNodeOps } from '../../compiler/ops/index.js';

/** How a node names its operands. */
export type Arity = 'unary' | 'variadic';

export interface OpInfo {
  readonly arity: Arity;
  /** Attribute keys beyond `name`, `op`, `input`/`inputs`. */
  readonly attrs: readonly SpecAttrName[];
  /** One line for `--help`, the docs and the schema. */
  readonly summary: string;
}

/** Spec node ops in registry order. */
export const specOps: readonly SpecOp[] = specNodeOps;

export const opTable: { readonly [K in SpecOp]: OpInfo } = Object.fromEntries(
  specOps.map((op) => {
    const { arity, attrs, summary } = nodeVocabulary(op);
    return [op, { arity, attrs, summary }];
  }),
) as { readonly [K in SpecOp]: OpInfo };

/** Spec losses in registry order. */
export const lossOps: readonly SpecLossOp[] = specLossOps;

export const lossTable: {
  readonly [K in SpecLossOp]: { readonly summary: string; readonly producers?: readonly SpecOp[] };
} = Object.fromEntries(
  lossOps.map((op) => {
    const { summary, producers } = lossVocabulary(op);
    const specProducers = producers?.filter((p): p is SpecOp => (specOps as readonly string[]).includes(p));
    return [op, specProducers === undefined ? { summary } : { summary, producers: specProducers }];
  }),
) as { readonly [K in SpecLossOp]: { readonly summary: string; readonly producers?: readonly SpecOp[] } };

export type OptimizerName = TrainSpec['optimizer'];

/** Keys of the training recipe (`train` options of `chainrule train`), valid with any optimizer. */
export const recipeKeys = ['epochs', 'batchSize', 'valSplit', 'augment'] as const;

/** What `chainrule train` uses when neither its flags nor the spec's recipe say. */
export const RECIPE_DEFAULTS = { epochs: 10, batchSize: 32, valSplit: 0.2 } as const;

/** Bounds of the recipe's counts: beyond them a value is a typo, not a plan. */
export const MAX_EPOCHS = 1_000_000;
export const MAX_BATCH = 1_000_000;
export const MAX_SHIFT = 64;

/** Keys of the `train` block per optimizer (besides `optimizer`). */
export const trainKeys: { readonly [K in OptimizerName]: readonly string[] } = {
  sgd: ['lr', 'momentum', 'seed', ...recipeKeys],
  adam: ['lr', 'beta1', 'beta2', 'eps', 'seed', ...recipeKeys],
};

export const optimizers = Object.keys(trainKeys) as OptimizerName[];

export const topLevelKeys = ['$schema', 'name', 'inputs', 'targets', 'nodes', 'outputs', 'loss', 'train'] as const;
/** Node keys: the operand keys, then every attribute some op's `spec.attrs` accepts (registry order). */
export const nodeKeys: readonly string[] = [
  'name',
  'op',
  'input',
  'inputs',
  ...new Set(specOps.flatMap((op) => opTable[op].attrs)),
  'label',
];
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
