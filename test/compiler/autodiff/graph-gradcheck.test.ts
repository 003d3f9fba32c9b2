// Whole-graph gradient check: on random DAG specs (every op, fan-out, every loss), every
// parameter's gradient from the autodiff pass, run by the reference interpreter in float64,
// matches central finite differences of the loss along a random direction.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpret } from '../../../compiler/interp/interpret.js';
import type { Graph } from '../../../compiler/ir/types.js';
import type { Tensor } from '../../../compiler/ops/op-def.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { differentiate } from '../../../compiler/passes/differentiate.js';
import { trainingGraph } from '../../../compiler/passes/pipeline.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { randomFeeds, randomParams } from '../../support/data.js';
import { checkVjp } from '../../support/gradcheck.js';
import { checkedSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';

function differentiated(spec: GraphSpec): { forward: Graph; joint: Graph } {
  const r = trainingGraph(checkedSpec(spec, { dtype: 'f64' }), {
    passes: [{ name: 'differentiate', run: differentiate }],
  });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  const forward = r.stages[0]?.graph;
  if (forward === undefined) throw new Error('no forward stage');
  return { forward, joint: r.graph };
}

/**
 * True when the loss reads a saturated prediction (a softmax probability below 1e-25, a sigmoid
 * within 1e-9 of 0 or 1): there the loss is floored or ill-conditioned, and finite differences
 * of it say nothing about the gradient. Random deep graphs produce such logits now and then.
 */
function saturated(graph: Graph, values: ReadonlyMap<number, Tensor>): boolean {
  const loss = graph.nodes.find((n) => n.id === graph.loss);
  const pred = values.get(loss?.inputs[0] ?? -1)?.data ?? [];
  if (loss?.op === 'cross_entropy' && loss.attrs.input === 'probs') return Array.from(pred).some((p) => p < 1e-25);
  if (loss?.op === 'binary_cross_entropy') return Array.from(pred).some((p) => p < 1e-9 || 1 - p < 1e-9);
  return false;
}

/** Max relative error over all parameters (one random direction each), with the worst name. */
function worstParamError(spec: GraphSpec, seed: number): { name: string; err: number } {
  const { forward, joint } = differentiated(spec);
  expect(verifyGraph(joint)).toEqual([]);
  const r = rng(seed);
  const params = randomParams(forward, r);
  const feeds = randomFeeds(forward, 3, r);
  const run = interpret(joint, { feeds, params });
  fc.pre(!saturated(forward, run.values));
  let worst = { name: '', err: 0 };
  for (const [name, value] of Object.entries(params)) {
    const grad = run.grads[name];
    if (grad === undefined) continue; // not on a path to the loss
    const lossAt = (x: Float64Array): number[] => [
      interpret(forward, { feeds, params: { ...params, [name]: x } }).loss ?? Number.NaN,
    ];
    // Floor 1e-6: below it errors are absolute (an O(1) loss carries rounding noise).
    const check = checkVjp(lossAt, grad, value, [1], r, 1e-6);
    if (check.relErr > worst.err) worst = { name, err: check.relErr };
  }
  return worst;
}

describe('whole-graph gradient check (float64, central differences)', () => {
  it('all parameter gradients of random DAG specs match to 1e-5', () => {
    fc.assert(
      fc.property(randomSpec({ train: 'never' }), fc.nat(), (spec, seed) => {
        const worst = worstParamError(spec, seed);
        expect(worst.err, `${worst.name} in ${JSON.stringify(spec)}`).toBeLessThanOrEqual(1e-5);
      }),
      { numRuns: 20, seed: 20240611 },
    );
  });

  it('every parameter on a path to the loss gets a gradient', () => {
    fc.assert(
      fc.property(randomSpec({ maxWidth: 4, train: 'never' }), (spec) => {
        const { forward, joint } = differentiated(spec);
        const r = rng(1);
        const run = interpret(joint, { feeds: randomFeeds(forward, 2, r), params: randomParams(forward, r) });
        // The random specs end in the loss and every branch joins back, so every parameter is on the path.
        const params = forward.nodes.filter((n) => n.op === 'param').map((n) => n.name);
        expect(Object.keys(run.grads).sort()).toEqual(params.sort());
      }),
      { numRuns: 30, seed: 7 },
    );
  });
});
