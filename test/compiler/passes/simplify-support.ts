// Shared by the simplify tests: the joint graph of a spec, the three simplification passes, and a
// float64 interpreter run with seeded random parameters and feeds.
import { nodeByName } from '../../../compiler/ir/graph.js';
import { createNode, type OpWithAttrs } from '../../../compiler/ir/node.js';
import type { Graph, Node, Role, TensorType } from '../../../compiler/ir/types.js';
import { interpret, type InterpretResult } from '../../../compiler/interp/interpret.js';
import { runPasses, trainingGraph, type PassContext } from '../../../compiler/passes/pipeline.js';
import { cse } from '../../../compiler/passes/simplify/cse.js';
import { dce } from '../../../compiler/passes/simplify/dce.js';
import { simplify } from '../../../compiler/passes/simplify/simplify.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { randomFeeds, randomParams } from '../../support/data.js';
import { checkedSpec } from '../../support/pipeline.js';
import { rng } from '../../support/rng.js';

export const simplifyPasses = [dce, cse, simplify] as const;

/** The joint (forward + backward + update) graph of a spec and its pass context. */
export function joint(spec: GraphSpec, dtype: 'f32' | 'f64' = 'f64'): { graph: Graph; ctx: PassContext } {
  const r = trainingGraph(checkedSpec(spec, { dtype }));
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return { graph: r.graph, ctx: r.ctx };
}

/** The graph after dce, cse and simplify, verified after each (runPasses throws on invalid IR). */
export function simplified(graph: Graph, ctx: PassContext): Graph {
  const stages = runPasses(graph, ctx, simplifyPasses, true);
  return stages[stages.length - 1]?.graph ?? graph;
}

/** Runs `graph` with the parameters and feeds a seed picks (same seed, same values for both graphs). */
export function run(graph: Graph, seed: number, batch: number): InterpretResult {
  return interpret(graph, { feeds: randomFeeds(graph, batch, rng(seed)), params: randomParams(graph, rng(seed + 1)) });
}

/**
 * Problems where two arrays differ by more than `tol` relative to the array's magnitude (its
 * largest |value|): the normwise relative error. Element by element it would flag rounding in
 * values that are themselves the result of cancellation (a gradient sum near 0, Adam's v ≈ g²).
 */
export function differences(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-12): string[] {
  if (a.length !== b.length) return [`${what}: length ${a.length} vs ${b.length}`];
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i] ?? NaN), Math.abs(b[i] ?? NaN));
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] ?? NaN, b[i] ?? NaN];
    if (!(Math.abs(x - y) <= tol * scale)) out.push(`${what}[${i}]: ${x} vs ${y} (scale ${scale})`);
  }
  return out;
}

/** Everything a caller observes of one run (loss, outputs, gradients, updated params and state), compared. */
export function resultDifferences(a: InterpretResult, b: InterpretResult): string[] {
  const out = differences([a.loss ?? NaN], [b.loss ?? NaN], 'loss');
  const groups: [string, Readonly<Record<string, ArrayLike<number>>>, Readonly<Record<string, ArrayLike<number>>>][] = [
    ['grad', a.grads, b.grads],
    ['param', a.params, b.params],
    ['state', a.state, b.state],
    [
      'output',
      Object.fromEntries(Object.entries(a.outputs).map(([k, t]) => [k, t.data])),
      Object.fromEntries(Object.entries(b.outputs).map(([k, t]) => [k, t.data])),
    ],
  ];
  for (const [kind, x, y] of groups) {
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
    for (const k of keys) out.push(...differences(x[k] ?? [], y[k] ?? [], `${kind} ${k}`));
  }
  return out;
}

/** Ops of a graph with their counts, e.g. `{ matmul: 4, ... }`. */
export function opCounts(graph: Graph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of graph.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
}

export function byName(graph: Graph, name: string): Node {
  const n = nodeByName(graph, name);
  if (n === undefined) throw new Error(`no node '${name}' in ${graph.name}`);
  return n;
}

/** A hand-built node (tests of rules on graphs autodiff never produces). */
export function handNode(
  op: OpWithAttrs,
  id: number,
  name: string,
  inputs: readonly number[],
  type: TensorType,
  role: Role,
): Node {
  return createNode(op, { id, name, inputs, type, role });
}
