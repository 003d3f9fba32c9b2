// Memory planning changes where values live, never what is computed: the generated float64
// module with the plan and without it (`disable: ['plan-memory']`, one region per value) give
// the same outputs, loss, gradients, and params/state after three training steps, with calls
// interleaved and batch sizes changing between them (so reused regions are really overwritten).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadModuleSource } from '../../../runtime/load-module.js';
import type { Feed, GeneratedModel } from '../../../runtime/model.js';
import { compile, type CompileOptions } from '../../../src/api.js';
import { randomPlan, specFromPlan, type Plan } from '../../support/random-spec.js';
import { rng, type Rng } from '../../support/rng.js';

function feeds(plan: Plan, rows: number, r: Rng): { inputs: Feed; targets: Feed } {
  const k = plan.classes;
  const x = Float64Array.from({ length: rows * plan.inputWidth }, () => r.normal());
  const y = ((): Float64Array | Int32Array => {
    switch (plan.head) {
      case 'softmax_ce_index':
      case 'log_softmax_ce_index':
        return Int32Array.from({ length: rows }, () => r.int(0, k));
      case 'softmax_ce_rows':
      case 'log_softmax_ce_rows': {
        // Probability rows: positive, each summing to 1.
        const t = Float64Array.from({ length: rows * k }, () => r.uniform(0.1, 1));
        for (let i = 0; i < rows; i++) {
          const sum = t.subarray(i * k, (i + 1) * k).reduce((a, b) => a + b, 0);
          for (let j = 0; j < k; j++) t[i * k + j] = (t[i * k + j] ?? 0) / sum;
        }
        return t;
      }
      case 'sigmoid_bce':
        return Float64Array.from({ length: rows * k }, () => r.uniform(0, 1));
      case 'mse':
        return Float64Array.from({ length: rows * k }, () => r.normal());
    }
  })();
  return { inputs: { x }, targets: { y } };
}

/** Everything a caller can observe, as plain numbers, over a sequence of interleaved calls. */
function trace(model: GeneratedModel, plan: Plan, batches: readonly number[], seed: number): number[][] {
  const r = rng(seed);
  const out: number[][] = [];
  const record = (values: Record<string, ArrayLike<number>>): void => {
    for (const key of Object.keys(values).sort()) out.push(Array.from(values[key] ?? []));
  };
  const [b0 = 1, b1 = 1, b2 = 1] = batches;
  const first = feeds(plan, b0, r);
  record(model.forward(first.inputs));
  out.push([model.lossAndGrads(first.inputs, first.targets)]);
  record(model.grads);
  record(model.forward(feeds(plan, b1, r).inputs));
  for (const rows of [b1, b2, b0]) {
    const f = feeds(plan, rows, r);
    out.push([model.trainStep(f.inputs, f.targets)]);
  }
  const saved = model.toJSON();
  record(saved.params);
  record(saved.state);
  record(model.grads);
  return out;
}

async function modelOf(
  plan: Plan,
  options: CompileOptions,
  tag: string,
): Promise<{ model: GeneratedModel; planned: boolean }> {
  const compiled = compile(specFromPlan(plan), { dtype: 'f64', ...options });
  const mod = await loadModuleSource(compiled.source, `${tag}`);
  const { arena, unplannedArena } = compiled.stats;
  const planned = arena.fixedBytes < unplannedArena.fixedBytes || arena.bytesPerRow < unplannedArena.bytesPerRow;
  return { model: mod.createModel({ seed: 3 }), planned };
}

function expectClose(a: readonly number[][], b: readonly number[][]): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => {
    const other = b[i] ?? [];
    expect(row.length).toBe(other.length);
    row.forEach((v, j) => {
      const w = other[j] ?? NaN;
      // 1e-12 relative to the larger magnitude (at least 1, so values near 0 compare absolutely).
      if (!(Math.abs(v - w) <= 1e-12 * Math.max(1, Math.abs(v), Math.abs(w)))) {
        throw new Error(`record ${i}, element ${j}: ${v} (planned) vs ${w} (unplanned)`);
      }
    });
  });
}

describe('plan-memory preserves results (generated f64 code)', () => {
  it('random specs, run-time and fixed batch', async () => {
    let runs = 0;
    let reused = 0;
    await fc.assert(
      fc.asyncProperty(
        randomPlan({ maxWidth: 10, maxDepth: 5, train: 'always' }),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        fc.nat({ max: 1000 }),
        async (plan, fixedBatch, seed) => {
          const options: CompileOptions = fixedBatch === undefined ? {} : { batch: fixedBatch };
          const withPlan = await modelOf(plan, options, `planned${runs}`);
          const without = await modelOf(plan, { ...options, disable: ['plan-memory'] }, `unplanned${runs}`);
          expect(without.planned).toBe(false);
          // Run-time batch: the batch grows and shrinks between calls.
          const batches = fixedBatch === undefined ? [3, 5, 1] : [fixedBatch, fixedBatch, fixedBatch];
          expectClose(trace(withPlan.model, plan, batches, seed), trace(without.model, plan, batches, seed));
          runs++;
          if (withPlan.planned) reused++;
        },
      ),
      { numRuns: 24, seed: 61 },
    );
    // The comparison means something only if the plan actually reused memory in most runs.
    expect(reused).toBeGreaterThan(runs / 2);
  });
});
