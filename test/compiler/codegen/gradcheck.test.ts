// The emitted float64 `lossAndGrads` against central finite differences of the emitted loss
// itself: for random directions t, ⟨grads, t⟩ = (L(θ + εt) − L(θ − εt)) / 2ε to 1e-6 relative,
// on every example and on random specs. Independent of the interpreter: a wrong kernel, a wrong
// fusion or a gradient written to the wrong parameter fails here on its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import type { GeneratedModel } from '../../../runtime/model.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { checkVjp } from '../../support/gradcheck.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';
import { compiledModel, randomBatch } from './support.js';

const TOL = 1e-6;
/** Below this, |⟨g, t⟩| counts as zero: differences of a loss near 1 carry ~1e-10 of rounding. */
const FLOOR = 1e-8;

/** All parameters of a model as one flat vector, in sorted key order (and back). */
function flatParams(model: GeneratedModel): {
  keys: string[];
  get: (record: Record<string, ArrayLike<number>>) => Float64Array;
  set: (x: Float64Array) => void;
} {
  const keys = Object.keys(model.params).sort();
  const sizes = keys.map((k) => model.params[k]?.length ?? 0);
  const total = sizes.reduce((a, b) => a + b, 0);
  return {
    keys,
    get: (record) => {
      const out = new Float64Array(total);
      let at = 0;
      keys.forEach((k, i) => {
        out.set(record[k] ?? [], at);
        at += sizes[i] ?? 0;
      });
      return out;
    },
    set: (x) => {
      let at = 0;
      keys.forEach((k, i) => {
        model.params[k]?.set(x.subarray(at, at + (sizes[i] ?? 0)));
        at += sizes[i] ?? 0;
      });
    },
  };
}

/** Relative errors of `directions` random-direction checks of the module's gradient. */
async function gradientErrors(spec: GraphSpec, rows: number, seed: number, directions: number): Promise<string[]> {
  const { compiled, model } = await compiledModel(spec, { dtype: 'f64' }, seed);
  const { inputs, targets } = randomBatch(compiled.graph, rows, rng(seed), 'f64');
  const flat = flatParams(model);
  const theta = flat.get(model.params);
  model.lossAndGrads(inputs, targets);
  const grad = flat.get(model.grads);
  const loss = (x: Float64Array): number[] => {
    flat.set(x);
    return [model.lossAndGrads(inputs, targets)];
  };
  const r = rng(seed + 1);
  const problems: string[] = [];
  for (let d = 0; d < directions; d++) {
    const check = checkVjp(loss, grad, theta, [1], r, FLOOR);
    if (!(check.relErr <= TOL))
      problems.push(
        `direction ${d}: ⟨g,t⟩ = ${check.analytic}, finite differences ${check.numeric} (${check.scheme}), rel ${check.relErr}`,
      );
  }
  return problems;
}

describe('emitted float64 gradients pass finite differences', () => {
  it.each([...exampleSpecs().keys()])('%s', async (name) => {
    expect(await gradientErrors(exampleSpec(name), 8, name.length, 3)).toEqual([]);
  });

  it('random specs', async () => {
    await fc.assert(
      fc.asyncProperty(
        randomSpec({ maxWidth: 10, maxDepth: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat({ max: 1000 }),
        async (spec, rows, seed) => {
          expect(await gradientErrors(spec, rows, seed, 2)).toEqual([]);
        },
      ),
      { numRuns: 12, seed: 77 },
    );
  });
});
