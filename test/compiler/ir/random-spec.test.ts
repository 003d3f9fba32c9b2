import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../../compiler/frontend/build-graph.js';
import { printGraph } from '../../../compiler/ir/print.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { ACTIVATIONS, HEADS, randomPlan, randomSpec, specFromPlan } from '../../support/random-spec.js';

describe('random-spec arbitrary', () => {
  it('generates specs that build, verify and print deterministically', () => {
    fc.assert(
      fc.property(randomSpec(), (spec) => {
        const r = buildGraph(spec, { dtype: 'f32' });
        if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
        expect(verifyGraph(r.graph)).toEqual([]);
        const again = buildGraph(JSON.parse(JSON.stringify(spec)), { dtype: 'f32' });
        expect(again.ok && printGraph(again.graph)).toBe(printGraph(r.graph));
      }),
      { numRuns: 200 },
    );
  });

  it('covers every op, every head, fan-out joins and train blocks', () => {
    const ops = new Set<string>();
    const losses = new Set<string>();
    let joins = 0;
    let trained = 0;
    for (const plan of fc.sample(randomPlan(), { numRuns: 300, seed: 42 })) {
      const spec = specFromPlan(plan);
      for (const n of spec.nodes) ops.add(n.op);
      const producer = spec.nodes.find((n) => n.name === spec.loss?.input)?.op;
      losses.add(`${spec.loss?.op}:${producer}:${spec.targets?.['y']?.length}`);
      joins += spec.nodes.filter((n) => n.op === 'add').length;
      if (spec.train !== undefined) trained++;
      expect(plan.steps.length).toBeGreaterThanOrEqual(1);
      expect(plan.steps.length).toBeLessThanOrEqual(6);
    }
    expect([...ops].sort()).toEqual([...ACTIVATIONS, 'add', 'linear'].sort());
    expect(losses.size).toBe(HEADS.length); // each head pairs a loss, its producer and a target form
    expect(joins).toBeGreaterThan(50);
    expect(trained).toBeGreaterThan(50);
  });
});
