// Shared by the generated-code tests: spec variants (inference-only), compiled and loaded models,
// random feeds in the model's float type, and one tolerance rule for comparing arrays.
import type { FloatDType, Graph } from '../../../compiler/ir/types.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { loadModuleJs, loadModuleSource } from '../../../runtime/load-module.js';
import { interpret, type InterpretResult } from '../../../compiler/interp/interpret.js';
import type { Feed, FloatArray, GeneratedModel } from '../../../runtime/model.js';
import { compile, type CompileOptions, type CompiledModel } from '../../../src/api.js';
import { randomFeeds } from '../../support/data.js';
import type { Rng } from '../../support/rng.js';

/** The spec without its loss, targets and train block: a module with `forward` (and `predict`) only. */
export function inferenceOnly(spec: GraphSpec): GraphSpec {
  const { loss: _loss, targets: _targets, train: _train, ...rest } = spec;
  return { ...rest, name: `${spec.name}_inference` };
}

/** Compiles with the default pipeline (plus `options`) and creates a model from the module. */
export async function compiledModel(
  spec: GraphSpec,
  options: CompileOptions,
  seed: number,
): Promise<{ compiled: CompiledModel; model: GeneratedModel }> {
  const compiled = compile(spec, { emit: 'both', ...options });
  // The emitted JavaScript when there is one (what Node and browsers import), else the TypeScript.
  const mod =
    compiled.js === undefined
      ? await loadModuleSource(compiled.source, compiled.name)
      : await loadModuleJs(compiled.js, compiled.name);
  return { compiled, model: mod.createModel({ seed }) };
}

/** Random inputs and targets for `graph` (valid for its loss), in the module's float type. */
export function randomBatch(graph: Graph, batch: number, r: Rng, dtype: FloatDType): { inputs: Feed; targets: Feed } {
  const feeds = randomFeeds(graph, batch, r);
  const pick = (role: 'input' | 'target'): Feed =>
    Object.fromEntries(
      graph.nodes
        .filter((n) => n.role === role)
        .map((n) => {
          const data = feeds[n.name] ?? new Float64Array(0);
          return [n.name, data instanceof Int32Array || dtype === 'f64' ? data : Float32Array.from(data)];
        }),
    );
  return { inputs: pick('input'), targets: pick('target') };
}

/** Relative and absolute tolerance of a comparison. */
export interface Tolerance {
  readonly rel: number;
  /** Absolute slack, as a multiple of the compared array's largest magnitude (at least 1). */
  readonly abs: number;
}

/** Float64 code must agree to rounding; float32 to a few ulps accumulated over a graph. */
export const TOLERANCE: Readonly<Record<FloatDType, Tolerance>> = {
  f64: { rel: 1e-12, abs: 1e-12 },
  f32: { rel: 1e-5, abs: 1e-5 },
};

/**
 * Elements where |a − e| > rel·|e| + abs·max(1, ‖e‖∞). The absolute part keeps values that are
 * near zero by cancellation (a gradient sum, a bias after few steps) from failing on rounding
 * alone, while a wrong value at the array's scale still fails.
 */
export function mismatches(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  tol: Tolerance,
): string[] {
  if (actual.length !== expected.length) return [`${what}: length ${actual.length}, expected ${expected.length}`];
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] ?? 0));
  const out: string[] = [];
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i] ?? Number.NaN, expected[i] ?? Number.NaN];
    if (!(Math.abs(a - e) <= tol.rel * Math.abs(e) + tol.abs * scale)) out.push(`${what}[${i}]: ${a}, expected ${e}`);
  }
  return out;
}

/** `mismatches` over every key of two records of arrays (keys missing on either side are reported). */
export function recordMismatches(
  actual: Readonly<Record<string, ArrayLike<number>>>,
  expected: Readonly<Record<string, ArrayLike<number>>>,
  what: string,
  tol: Tolerance,
): string[] {
  const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
  return keys.flatMap((k) => {
    const [a, e] = [actual[k], expected[k]];
    if (a === undefined || e === undefined) return [`${what} ${k}: ${a === undefined ? 'missing' : 'unexpected'}`];
    return mismatches(a, e, `${what} ${k}`, tol);
  });
}

function copies(record: Readonly<Record<string, FloatArray>>): Record<string, FloatArray> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.slice()]));
}

/**
 * Where a generated model and the interpreter (running `joint`, the unoptimized joint graph)
 * disagree on one batch: forward, then, with a loss, lossAndGrads and two trainSteps — losses,
 * gradients, parameters and optimizer state — starting from the model's current parameters and
 * state (which earlier steps may have moved).
 */
export function stepProblems(
  model: GeneratedModel,
  joint: Graph,
  batch: { inputs: Feed; targets: Feed },
  tol: Tolerance,
): string[] {
  const { inputs, targets } = batch;
  const feeds = { ...inputs, ...targets };
  const first = interpret(joint, { feeds, params: copies(model.params), state: model.toJSON().state });
  const second = interpret(joint, { feeds, params: first.params, state: first.state });
  const outputs = (r: InterpretResult): Record<string, ArrayLike<number>> =>
    Object.fromEntries(Object.entries(r.outputs).map(([k, t]) => [k, t.data]));
  // NOTE: concat, not push(...): a wide model can disagree in 100k values, too many arguments for a call.
  let problems = recordMismatches(model.forward(inputs), outputs(first), 'forward', tol);
  if (joint.loss === undefined) return problems;
  const add = (more: string[]): void => {
    problems = problems.concat(more);
  };
  add(mismatches([model.lossAndGrads(inputs, targets)], [first.loss ?? Number.NaN], 'lossAndGrads loss', tol));
  add(recordMismatches(model.grads, first.grads, 'lossAndGrads grad', tol));
  add(mismatches([model.trainStep(inputs, targets)], [first.loss ?? Number.NaN], 'step 1 loss', tol));
  add(mismatches([model.trainStep(inputs, targets)], [second.loss ?? Number.NaN], 'step 2 loss', tol));
  add(recordMismatches(model.grads, second.grads, 'step 2 grad', tol));
  add(recordMismatches(model.params, second.params, 'step 2 param', tol));
  add(recordMismatches(model.toJSON().state, second.state, 'step 2 state', tol));
  return problems;
}

/**
 * Names a spec accepts that collide or clash once made identifiers: `x` and `_x` (sanitized
 * alike before), `x_`, reserved words, the module's own identifiers (`B`, `arena`, `params`,
 * `forward`, a prelude helper's name) and a name ending in what a kernel suffix adds.
 */
export const collidingNames: GraphSpec = {
  name: 'names',
  inputs: { x: [null, 3], _x: [null, 3], x_: [null, 3] },
  targets: { class: [null] },
  nodes: [
    { name: 'function', op: 'add', inputs: ['x', '_x'] },
    { name: 'B', op: 'add', inputs: ['function', 'x_'] },
    { name: 'arena', op: 'linear', input: 'B', units: 4 },
    { name: 'params', op: 'tanh', input: 'arena' },
    { name: 'fillUniform', op: 'linear', input: 'params', units: 4 },
    { name: 'forward', op: 'relu', input: 'fillUniform' },
    { name: 'constructor', op: 'linear', input: 'forward', units: 3 },
    { name: 'probs', op: 'softmax', input: 'constructor' },
  ],
  outputs: ['probs'],
  loss: { op: 'cross_entropy', input: 'probs', target: 'class' },
  train: { optimizer: 'adam', lr: 0.01, seed: 3 },
};
