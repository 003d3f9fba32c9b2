// Every generated kernel against the reference interpreter: on random specs, the module compiled
// with the full default pipeline (simplify, fuse, plan memory — what users get) computes the same
// outputs, loss, gradients, and parameters and optimizer state after two training steps as the
// interpreter running the unoptimized joint graph from the same parameters and batch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FloatDType } from '../../../compiler/ir/types.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { compileSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';
import { compiledModel, randomBatch, stepProblems, TOLERANCE } from './support.js';

function optimizerOf(spec: GraphSpec): string {
  const train = spec.train;
  if (train?.optimizer === 'sgd' && (train.momentum ?? 0) > 0) return 'momentum';
  return train?.optimizer ?? 'none';
}

/** Problems where the module and the interpreter disagree, for one spec and configuration. */
async function parity(
  spec: GraphSpec,
  dtype: FloatDType,
  fixedBatch: number | undefined,
  rows: number,
  seed: number,
): Promise<string[]> {
  const { model } = await compiledModel(
    spec,
    { dtype, ...(fixedBatch === undefined ? {} : { batch: fixedBatch }) },
    seed,
  );
  const { joint } = compileSpec(spec, { dtype });
  const { inputs, targets } = randomBatch(joint, fixedBatch ?? rows, rng(seed), dtype);
  return stepProblems(model, joint, { inputs, targets }, TOLERANCE[dtype]);
}

describe('generated code equals the reference interpreter', () => {
  it('random specs: forward, lossAndGrads, two trainSteps (f64 to 1e-12, f32 to 1e-5)', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        randomSpec({ maxWidth: 10, maxDepth: 5, train: 'always' }),
        fc.constantFrom<FloatDType>('f64', 'f32'),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat({ max: 1000 }),
        async (spec, dtype, fixedBatch, rows, seed) => {
          expect(await parity(spec, dtype, fixedBatch, rows, seed)).toEqual([]);
          seen
            .add(optimizerOf(spec))
            .add(dtype)
            .add(fixedBatch === undefined ? 'run-time batch' : 'fixed batch');
        },
      ),
      { numRuns: 24, seed: 2024 },
    );
    // The property means something only if the runs covered every optimizer and variant.
    expect([...seen].sort()).toEqual(['adam', 'f32', 'f64', 'fixed batch', 'momentum', 'run-time batch', 'sgd']);
  });
});
