// The compiler, readable in one list: the passes that turn the forward IR into the joint
// training graph, then the optimizing passes that simplify, fuse and plan it, in order. It starts
// from a checked spec, whose forward IR the checker built: nothing here checks or builds the spec.
import type { Diagnostic } from '../diagnostics.js';
import type { CheckedSpec } from '../frontend/checked-spec.js';
import type { Graph } from '../ir/types.js';
import { assertValidGraph } from '../ir/verify.js';
import type { TrainSpec } from '../frontend/graph-spec.js';
import { untrainable } from '../frontend/limits.js';
import { addOptimizer } from './add-optimizer.js';
import type { Pass, PassContext } from './context.js';
import { differentiate } from './differentiate.js';
import { cse } from './simplify/cse.js';
import { dce } from './simplify/dce.js';
import { simplify } from './simplify/simplify.js';
import { fuse } from './fuse.js';
import { planMemory } from './plan-memory.js';

export type { Pass, PassContext } from './context.js';

/** The optimizer used when the spec has no `train` block. */
export const DEFAULT_TRAIN: TrainSpec = { optimizer: 'sgd', lr: 0.01 };

/** Forward graph → joint forward + backward + update graph. */
export const trainingPasses: readonly Pass[] = [
  { name: 'differentiate', run: differentiate },
  { name: 'add-optimizer', run: addOptimizer },
];

/**
 * The optimizing passes, in order. Each can be switched off by name (`--no-<name>`), or all at
 * once (`-O0`); the output must not change beyond rounding either way (tests check this).
 */
export const optimizationPasses: readonly Pass[] = [dce, cse, simplify, fuse, planMemory];

/** One stage of a pipeline run: the graph after a pass (`build` is the forward graph). */
export interface Stage {
  readonly pass: string;
  readonly graph: Graph;
}

export interface PipelineOptions {
  /** Overrides the spec's `train` block. */
  readonly train?: TrainSpec;
  /** The passes to run (default `trainingPasses`). */
  readonly passes?: readonly Pass[];
  /** Run the IR verifier after every pass (default true). */
  readonly verify?: boolean;
}

export interface CompileGraphOptions {
  readonly train?: TrainSpec;
  /** Run the optimizing passes (default true; `-O0` is false). */
  readonly optimize?: boolean;
  /** Names of optimizing passes to skip (`--no-<name>`). */
  readonly disable?: readonly string[];
  readonly verify?: boolean;
}

/** The optimizing passes that run under these options, in order. */
export function selectedPasses(options: Pick<CompileGraphOptions, 'optimize' | 'disable'>): readonly Pass[] {
  if (options.optimize === false) return [];
  const off = new Set(options.disable ?? []);
  return optimizationPasses.filter((p) => !off.has(p.name));
}

/**
 * The whole compiler: checked spec (forward IR) → (when the spec has a loss) joint training
 * graph → optimized graph, with every intermediate stage for `--dump-after`.
 */
export function compileGraph(checked: CheckedSpec, options: CompileGraphOptions = {}): PipelineResult {
  const verify = options.verify ?? true;
  const ctx: PassContext = { dtype: checked.dtype, train: options.train ?? checked.spec.train ?? DEFAULT_TRAIN };
  let stages: Stage[];
  if (checked.spec.loss === undefined) {
    if (verify) assertValidGraph(checked.graph, 'build');
    stages = [{ pass: 'build', graph: checked.graph }];
  } else {
    const trained = trainingGraph(checked, { ...options, passes: trainingPasses });
    if (!trained.ok) return trained;
    stages = [...trained.stages];
  }
  const start = stages[stages.length - 1]?.graph;
  if (start === undefined) throw new Error('pipeline: no stages');
  const optimized = runPasses(start, ctx, selectedPasses(options), verify);
  const all = [...stages, ...optimized];
  return { ok: true, graph: all[all.length - 1]?.graph ?? start, stages: all, ctx };
}

export type PipelineResult =
  | { ok: true; graph: Graph; stages: readonly Stage[]; ctx: PassContext }
  | { ok: false; errors: Diagnostic[] };

/** Runs passes in order, verifying after each; returns every intermediate graph. */
export function runPasses(graph: Graph, ctx: PassContext, passes: readonly Pass[], verify = true): Stage[] {
  const stages: Stage[] = [];
  let current = graph;
  for (const pass of passes) {
    current = pass.run(current, ctx);
    if (verify) assertValidGraph(current, pass.name);
    stages.push({ pass: pass.name, graph: current });
  }
  return stages;
}

/** Why a spec without a loss cannot be trained (pipeline and the training API say it alike). */
export function noLossDiagnostic(name: string): Diagnostic {
  return {
    message: `spec '${name}' has no loss, so there is nothing to train`,
    pointer: '',
    hint: 'add "loss": { "op": "cross_entropy", "input": ..., "target": ... }',
  };
}

/** Checked spec → joint training graph (forward, backward, optimizer update), with every stage. */
export function trainingGraph(checked: CheckedSpec, options: PipelineOptions = {}): PipelineResult {
  const { spec, graph: forward } = checked;
  const verify = options.verify ?? true;
  if (verify) assertValidGraph(forward, 'build');
  if (forward.loss === undefined) {
    return {
      ok: false,
      errors: [noLossDiagnostic(spec.name)],
    };
  }
  // The checker already refused such a spec; asked again for graphs built without it.
  const nothing = untrainable(spec, forward);
  if (nothing !== undefined) return { ok: false, errors: [nothing] };
  const ctx: PassContext = { dtype: checked.dtype, train: options.train ?? spec.train ?? DEFAULT_TRAIN };
  const stages = runPasses(forward, ctx, options.passes ?? trainingPasses, verify);
  const last = stages[stages.length - 1];
  return {
    ok: true,
    graph: last?.graph ?? forward,
    stages: [{ pass: 'build', graph: forward }, ...stages],
    ctx,
  };
}
