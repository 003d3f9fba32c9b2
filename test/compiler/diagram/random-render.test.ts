// Random specs (fast-check), from small graphs to DAGs of 30+ nodes with fan-out and joins: the
// DOT of every view passes the writer's checks, Graphviz lays it out without an error, and no
// edge label lands on another label or a node.
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { viewDot } from '../../../compiler/diagram/dot.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { layoutJson, renderSvg } from '../../../src/render/svg.js';
import { compileSpec } from '../../support/pipeline.js';
import { randomPlan, randomSpec, specFromPlan } from '../../support/random-spec.js';
import { overlaps } from './support.js';

/** Specs of at least 30 nodes: the steps of three random plans, one after the other. */
const bigDag: fc.Arbitrary<GraphSpec> = fc
  .tuple(
    randomPlan({ maxWidth: 8, maxDepth: 12 }),
    randomPlan({ maxWidth: 8, maxDepth: 12 }),
    randomPlan({ maxWidth: 8, maxDepth: 12 }),
  )
  .map(([a, b, c]) => specFromPlan({ ...a, steps: [...a.steps, ...b.steps, ...c.steps] }))
  .filter((spec) => spec.nodes.length >= 30);

async function rendersCleanly(spec: GraphSpec): Promise<void> {
  const { joint } = compileSpec(spec, { dtype: 'f32' });
  for (const view of ['forward', 'backward', 'joint'] as const) {
    const dot = viewDot(joint, view);
    // viewDot throws when the writer's checks fail; Graphviz must then accept it.
    const svg = await renderSvg(dot);
    expect(svg).toContain('</svg>');
    expect(overlaps(await layoutJson(dot)), view).toEqual([]);
  }
}

test.prop([randomSpec({ maxWidth: 16, train: 'maybe' })], { numRuns: 12 })(
  'small random specs render without warnings or overlaps',
  rendersCleanly,
);

test.prop([bigDag], { numRuns: 4 })('30-node random DAGs render without warnings or overlaps', async (spec) => {
  expect(spec.nodes.length).toBeGreaterThanOrEqual(30);
  await rendersCleanly(spec);
});
