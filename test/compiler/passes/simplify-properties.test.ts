// Every simplification pass preserves results: for random specs, the joint graph run by the
// reference interpreter in float64 gives the same loss, outputs, parameter gradients, updated
// parameters and optimizer state (1e-12 relative to each array's largest value) with and without
// dce → cse → simplify, and the IR verifies after each pass.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { ACTIVATIONS } from '../../../compiler/passes/fuse.js';
import type { GraphSpec, NodeSpec } from '../../../compiler/frontend/graph-spec.js';
import { randomSpec } from '../../support/random-spec.js';
import { joint, resultDifferences, run, simplified, simplifyPasses } from './simplify-support.js';

/** The activations of the registry (fuse.ts's set): any of them can be computed twice and summed. */
const DUPLICABLE: ReadonlySet<string> = ACTIVATIONS;

/**
 * The spec with its first duplicable activation `a` computed twice and summed (`a`, `a_dup`,
 * `a_join = add(a, a_dup)`, later readers reading `a_join`), so CSE has work to do.
 */
function withDuplicate(spec: GraphSpec): GraphSpec {
  const k = spec.nodes.findIndex((n) => DUPLICABLE.has(n.op) && n.name !== spec.loss?.input);
  const a = spec.nodes[k];
  if (a === undefined) return spec;
  const dup: NodeSpec = { ...a, name: `${a.name}_dup` };
  const join: NodeSpec = { name: `${a.name}_join`, op: 'add', inputs: [a.name, dup.name] };
  const reread = (name: string): string => (name === a.name ? join.name : name);
  const later = spec.nodes.slice(k + 1).map(
    (n): NodeSpec => ({
      ...n,
      ...(n.input === undefined ? {} : { input: reread(n.input) }),
      ...(n.inputs === undefined ? {} : { inputs: n.inputs.map(reread) }),
    }),
  );
  return { ...spec, nodes: [...spec.nodes.slice(0, k + 1), dup, join, ...later], outputs: spec.outputs.map(reread) };
}

describe('simplification preserves results', () => {
  test.prop([randomSpec({ maxWidth: 12, maxDepth: 5 }), fc.integer({ min: 1, max: 6 }), fc.boolean()], {
    numRuns: 120,
    seed: 6,
  })('random specs, float64 interpreter', (base, batch, duplicate) => {
    const spec = duplicate ? withDuplicate(base) : base;
    const { graph, ctx } = joint(spec);
    // simplified() verifies after every pass; check the passes one by one too.
    let g = graph;
    for (const pass of simplifyPasses) {
      g = pass.run(g, ctx);
      expect(verifyGraph(g), `after ${pass.name}`).toEqual([]);
    }
    const after = simplified(graph, ctx);
    expect(after.nodes.length).toBeLessThanOrEqual(graph.nodes.length);
    // Every loss-head chain is fused (the loss gradient's only reader is the head's gradient),
    // and identities survive only as outputs.
    const outputs = new Set(after.outputs);
    expect(after.nodes.filter((n) => n.op === 'cross_entropy_grad' || n.op === 'binary_cross_entropy_grad')).toEqual(
      [],
    );
    expect(after.nodes.filter((n) => n.op === 'identity' && !outputs.has(n.id))).toEqual([]);
    // CSE merged the duplicated activation into the original.
    expect(after.nodes.filter((n) => n.role === 'forward' && n.name.endsWith('_dup'))).toEqual([]);
    expect(resultDifferences(run(after, batch, batch), run(graph, batch, batch))).toEqual([]);
  });
});
