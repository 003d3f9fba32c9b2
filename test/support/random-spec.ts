// fast-check arbitrary of valid random DAG specs, shared by property tests. A spec is built
// from a shrinkable "plan" (a list of steps) by a pure function, so every generated spec is
// structurally valid: defined-before-use, matching shapes at `add` joins, a valid loss pairing.
//
// Coverage: depth 1–6 steps, widths 1–32, every forward op (linear with/without bias, every
// activation, softmax/log_softmax mid-graph, add joins), fan-out (a tensor read by a branch and
// by the join), every loss with each valid target form, and an optional train block.
import fc from 'fast-check';
import type { GraphSpec, LossSpec, NodeSpec, SpecOp, TrainSpec } from '../../compiler/frontend/graph-spec.js';
import { nodeVocabulary, ops, specNodeOps } from '../../compiler/ops/index.js';

/** A spec op applied to one tensor of the same width: an activation or a row op. */
export type Activation = SpecOp;
/** Every spec activation and row op of the registry, in registry order (a new activation is drawn too). */
export const ACTIVATIONS: readonly Activation[] = specNodeOps.filter(
  (op) => ops[op].group === 'activation' || ops[op].group === 'row',
);

/** How the graph ends: the head op and loss, with the target form. */
export type Head =
  | 'softmax_ce_index'
  | 'softmax_ce_rows'
  | 'log_softmax_ce_index'
  | 'log_softmax_ce_rows'
  | 'sigmoid_bce'
  | 'mse';
export const HEADS: readonly Head[] = [
  'softmax_ce_index',
  'softmax_ce_rows',
  'log_softmax_ce_index',
  'log_softmax_ce_rows',
  'sigmoid_bce',
  'mse',
];

/** One step of the plan, applied to the current tensor. */
export type Step =
  | {
      readonly kind: 'dense';
      readonly units: number;
      readonly bias: boolean;
      readonly act: Activation | null;
      readonly alpha: number;
    }
  | { readonly kind: 'act'; readonly act: Activation; readonly alpha: number }
  /** Fan-out: the current tensor feeds a branch (linear [+ activation]) and the join `add`. */
  | { readonly kind: 'residual'; readonly act: Activation | null; readonly bias: boolean; readonly arms: number }
  /** Join with an earlier tensor (picked by index) of the same width, or project it first. */
  | { readonly kind: 'skip'; readonly pick: number };

export interface Plan {
  readonly inputWidth: number;
  readonly steps: readonly Step[];
  readonly head: Head;
  readonly classes: number;
  readonly headBias: boolean;
  readonly extraOutput: boolean;
  readonly train: TrainSpec | null;
}

export interface RandomSpecOptions {
  /** Largest width (units, input features, classes); default 32. */
  readonly maxWidth?: number;
  /** Most steps; default 6. */
  readonly maxDepth?: number;
  /** Whether to add a train block: always, never, or either (default). */
  readonly train?: 'always' | 'never' | 'maybe';
  /** Restrict the heads (e.g. only class-index cross-entropy). */
  readonly heads?: readonly Head[];
}

function activationArb(): fc.Arbitrary<Activation> {
  return fc.constantFrom(...ACTIVATIONS);
}

const alphaArb = fc.constantFrom(0.01, 0.1, 0.2);

function stepArb(maxWidth: number): fc.Arbitrary<Step> {
  const units = fc.integer({ min: 1, max: maxWidth });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('dense' as const),
        units,
        bias: fc.boolean(),
        act: fc.option(activationArb(), { nil: null }),
        alpha: alphaArb,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('act' as const), act: activationArb(), alpha: alphaArb }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('residual' as const),
        act: fc.option(activationArb(), { nil: null }),
        bias: fc.boolean(),
        arms: fc.integer({ min: 1, max: 2 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('skip' as const), pick: fc.nat({ max: 31 }) }) },
  );
}

function trainArb(): fc.Arbitrary<TrainSpec> {
  const lr = fc.constantFrom(0.001, 0.01, 0.1, 0.5);
  const seed = fc.nat({ max: 1000 });
  return fc.oneof(
    fc.record({ optimizer: fc.constant('sgd' as const), lr, seed }),
    fc.record({ optimizer: fc.constant('sgd' as const), lr, momentum: fc.constantFrom(0.5, 0.9), seed }),
    fc.record({ optimizer: fc.constant('adam' as const), lr, seed }),
    fc.record({
      optimizer: fc.constant('adam' as const),
      lr,
      beta1: fc.constantFrom(0.8, 0.9),
      beta2: fc.constantFrom(0.99, 0.999),
      eps: fc.constantFrom(1e-8, 1e-6),
      seed,
    }),
  );
}

/** Arbitrary of plans; `specFromPlan` turns one into a spec. */
export function randomPlan(options: RandomSpecOptions = {}): fc.Arbitrary<Plan> {
  const maxWidth = options.maxWidth ?? 32;
  const maxDepth = options.maxDepth ?? 6;
  const train = options.train ?? 'maybe';
  const trainPart: fc.Arbitrary<TrainSpec | null> =
    train === 'never' ? fc.constant(null) : train === 'always' ? trainArb() : fc.option(trainArb(), { nil: null });
  return fc.record({
    inputWidth: fc.integer({ min: 1, max: maxWidth }),
    steps: fc.array(stepArb(maxWidth), { minLength: 1, maxLength: maxDepth }),
    head: fc.constantFrom(...(options.heads ?? HEADS)),
    classes: fc.integer({ min: 2, max: Math.max(2, Math.min(maxWidth, 10)) }),
    headBias: fc.boolean(),
    extraOutput: fc.boolean(),
    train: trainPart,
  });
}

/** Arbitrary of valid random DAG specs. */
export function randomSpec(options: RandomSpecOptions = {}): fc.Arbitrary<GraphSpec> {
  return randomPlan(options).map(specFromPlan);
}

interface Tensor {
  readonly name: string;
  readonly width: number;
}

/** Builds the spec of a plan: deterministic, always structurally and shape valid. */
export function specFromPlan(plan: Plan): GraphSpec {
  const nodes: NodeSpec[] = [];
  const tensors: Tensor[] = [{ name: 'x', width: plan.inputWidth }];
  let counter = 0;
  const fresh = (prefix: string): string => `${prefix}${++counter}`;
  const emit = (node: NodeSpec, width: number): Tensor => {
    nodes.push(node);
    const t = { name: node.name, width };
    tensors.push(t);
    return t;
  };
  const dense = (input: Tensor, units: number, bias: boolean): Tensor =>
    emit({ name: fresh('fc'), op: 'linear', input: input.name, units, ...(bias ? {} : { bias: false }) }, units);
  const activate = (input: Tensor, act: Activation, alpha: number): Tensor =>
    emit(
      {
        name: fresh(act === 'log_softmax' ? 'lsm' : act.slice(0, 4)),
        op: act,
        input: input.name,
        ...(nodeVocabulary(act).attrs.includes('alpha') ? { alpha } : {}),
      },
      input.width,
    );

  let current: Tensor = { name: 'x', width: plan.inputWidth };
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'dense': {
        current = dense(current, step.units, step.bias);
        if (step.act !== null) current = activate(current, step.act, step.alpha);
        break;
      }
      case 'act':
        current = activate(current, step.act, step.alpha);
        break;
      case 'residual': {
        // `current` fans out: read by every arm and by the join itself.
        const arms: Tensor[] = [current];
        for (let k = 0; k < step.arms; k++) {
          let arm = dense(current, current.width, step.bias);
          if (step.act !== null) arm = activate(arm, step.act, 0.01);
          arms.push(arm);
        }
        current = emit({ name: fresh('join'), op: 'add', inputs: arms.map((t) => t.name) }, current.width);
        break;
      }
      case 'skip': {
        const earlier = tensors[step.pick % tensors.length] ?? tensors[0];
        if (earlier === undefined || earlier.name === current.name) break;
        const other = earlier.width === current.width ? earlier : dense(earlier, current.width, true);
        current = emit({ name: fresh('join'), op: 'add', inputs: [current.name, other.name] }, current.width);
        break;
      }
    }
  }

  const k = plan.classes;
  const logits = dense(current, k, plan.headBias);
  const head = headOf(plan.head, logits, activate);
  const outputs =
    plan.extraOutput && current.name !== 'x' && current.name !== head.output
      ? [head.output, current.name]
      : [head.output];
  return {
    name: 'random',
    inputs: { x: [null, plan.inputWidth] },
    targets: { y: head.classIndex ? [null] : [null, k] },
    nodes,
    outputs,
    loss: head.loss,
    ...(plan.train === null ? {} : { train: plan.train }),
  };
}

function headOf(
  head: Head,
  logits: Tensor,
  activate: (input: Tensor, act: Activation, alpha: number) => Tensor,
): { output: string; loss: LossSpec; classIndex: boolean } {
  switch (head) {
    case 'softmax_ce_index':
    case 'softmax_ce_rows': {
      const p = activate(logits, 'softmax', 0);
      return {
        output: p.name,
        loss: { op: 'cross_entropy', input: p.name, target: 'y' },
        classIndex: head === 'softmax_ce_index',
      };
    }
    case 'log_softmax_ce_index':
    case 'log_softmax_ce_rows': {
      const p = activate(logits, 'log_softmax', 0);
      return {
        output: p.name,
        loss: { op: 'cross_entropy', input: p.name, target: 'y' },
        classIndex: head === 'log_softmax_ce_index',
      };
    }
    case 'sigmoid_bce': {
      const p = activate(logits, 'sigmoid', 0);
      return { output: p.name, loss: { op: 'binary_cross_entropy', input: p.name, target: 'y' }, classIndex: false };
    }
    case 'mse':
      return { output: logits.name, loss: { op: 'mse', input: logits.name, target: 'y' }, classIndex: false };
  }
}
