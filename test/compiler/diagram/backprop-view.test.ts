// The backprop view draws only the lecture's edges: forward (blue), gradients (red) and the
// forward values each gradient reads (thin grey) — no optimizer node, no update or assign edge,
// no tie. Every saved-value edge ends at a gradient node that really reads that value.
import { describe, expect, it } from 'vitest';
import { buildDiagram } from '../../../compiler/diagram/dot.js';
import { exampleSpecs, learnSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';

const examples = [...exampleSpecs(), ...learnSpecs()].filter(([, spec]) => spec.loss !== undefined);

describe('backprop view', () => {
  it.each(examples)('%s: only forward, backward and saved-value edges', (_, spec) => {
    const graph = compileSpec(spec, { dtype: 'f32' }).joint;
    const { kinds, edges } = buildDiagram(graph, 'backprop');
    expect(new Set(edges.map((e) => e.kind))).toEqual(new Set(['forward', 'backward', 'saved']));
    expect([...kinds.values()].filter((k) => k === 'update' || k === 'state')).toEqual([]);
    const byName = new Map(graph.nodes.map((n) => [n.name, n]));
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    // What a drawn gradient reads, including through the ∂L/∂p the simplified head does not draw.
    const reads = (name: string): number[] =>
      (byName.get(name)?.inputs ?? []).flatMap((i) => {
        const n = byId.get(i);
        return n !== undefined && n.role === 'backward' && !kinds.has(n.name) ? [i, ...reads(n.name)] : [i];
      });
    for (const e of edges.filter((x) => x.kind === 'saved')) {
      const to = byName.get(e.to);
      const from = byName.get(e.from);
      expect(to?.role, `${e.from} -> ${e.to}`).toBe('backward');
      expect(reads(e.to)).toContain(from?.id);
      expect(['forward', 'input', 'param', 'target', 'loss']).toContain(from?.role);
      expect(e.attrs.color).toBe('#8a8a8a');
    }
    // Every gradient node that reads a forward value shows it.
    const saved = new Set(edges.filter((x) => x.kind === 'saved').map((x) => `${x.from}>${x.to}`));
    // (The simplified head skips ∂L/∂p: nodes not drawn need no saved edges.)
    const drawn = new Set(kinds.keys());
    for (const n of graph.nodes.filter((x) => x.role === 'backward' && drawn.has(x.name))) {
      for (const i of n.inputs) {
        const input = graph.nodes.find((x) => x.id === i);
        if (input !== undefined && ['forward', 'input', 'param', 'target'].includes(input.role))
          expect(saved.has(`${input.name}>${n.name}`), `${input.name} -> ${n.name}`).toBe(true);
      }
    }
  });

  it('update edges are purple in the joint view, never the gradient red', () => {
    const graph = compileSpec(exampleSpecs().get('two_layer_sigmoid') ?? examples[0]![1], { dtype: 'f32' }).joint;
    const { edges } = buildDiagram(graph, 'joint');
    const colours = new Set(edges.filter((e) => e.kind === 'update' || e.kind === 'assign').map((e) => e.attrs.color));
    expect(colours).toEqual(new Set(['#6a1b9a']));
  });
});
