// The lecture's options of the diagrams: spec labels drawn instead of names, the simplified head
// (default) or the naive chain, the lecture's letters for shapes, and the bottom-up joint views.
import { describe, expect, it } from 'vitest';
import { buildDiagram, dimensionLetters } from '../../../compiler/diagram/dot.js';
import type { Label } from '../../../compiler/diagram/dot-text.js';
import { specLabels } from '../../../compiler/frontend/labels.js';
import { learnSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';

const spec = learnSpecs().get('learn/two_layer');
if (spec === undefined) throw new Error('examples/learn/two_layer.json is missing');
const graph = compileSpec(spec, { dtype: 'f64' }).joint;
const names = specLabels(spec);

/** A label's plain lines. */
const plainText = (label: Label | undefined): string =>
  label === undefined ? '' : typeof label === 'string' ? label : label.text;

const factor = (d: ReturnType<typeof buildDiagram>, from: string, to: string): string | undefined => {
  const e = d.edges.find((x) => x.from === from && x.to === to);
  return e === undefined ? undefined : (plainText(e.attrs.label).split('\n')[0] ?? '');
};

describe('lecture diagram options', () => {
  it('draws the head as (p − onehot(y))/n from the seed, and the naive chain on request', () => {
    const simple = buildDiagram(graph, 'backprop', { names });
    expect(factor(simple, 'd(loss)', 'd(o)')).toBe('(p − onehot(y))/n');
    expect(simple.kinds.has('d(p)')).toBe(false);
    // (p − y)/n reads p and y: both are drawn as remembered values.
    const saved = simple.edges.filter((e) => e.kind === 'saved' && e.to === 'd(o)').map((e) => e.from);
    expect(saved.sort()).toEqual(['p', 'y']);
    const naive = buildDiagram(graph, 'backprop', { names, head: 'naive' });
    expect(factor(naive, 'd(loss)', 'd(p)')).toBe('−y⊘(n·p)');
    expect(factor(naive, 'd(p)', 'd(o)')).toBe('·J_softmax(o)');
  });

  it('uses the spec labels in titles and factors, never as DOT ids', () => {
    const d = buildDiagram(graph, 'backprop', { names });
    expect(factor(d, 'd(o)', 'd(h)')).toBe('·W⁽²⁾ᵀ');
    const node = d.document.nodes.find((n) => n.id === 'z.weight');
    expect(plainText(node?.attrs.label).split('\n')[0]).toBe('W⁽¹⁾');
    expect(plainText(d.document.nodes.find((n) => n.id === 'd(z.weight)')?.attrs.label).split('\n')[0]).toBe(
      '∂L/∂W⁽¹⁾',
    );
  });

  it("labels shapes with the lecture's letters: n, d, h, p", () => {
    const byName = new Map(graph.nodes.map((n) => [n.name, n.id]));
    const letters = dimensionLetters(graph);
    const of = (name: string): readonly string[] | undefined => letters.get(byName.get(name) ?? -1);
    expect(of('x')).toEqual(['n', 'd']);
    expect(of('z.weight')).toEqual(['d', 'h']);
    expect(of('h')).toEqual(['n', 'h']);
    expect(of('o.weight')).toEqual(['h', 'p']);
    expect(of('o.bias')).toEqual(['p']);
    expect(of('p')).toEqual(['n', 'p']);
    const d = buildDiagram(graph, 'backprop', { shapes: 'letters' });
    expect(d.edges.find((e) => e.from === 'x' && e.to === 'z')?.attrs.label).toBe('[n,d]');
    expect(plainText(d.edges.find((e) => e.from === 'd(o)' && e.to === 'd(h)')?.attrs.label).split('\n')[1]).toBe(
      '[n,p]',
    );
  });

  it('numbers hidden widths h₁, h₂, … when there are several layers', () => {
    const deep = learnSpecs().get('learn/deep_mlp');
    if (deep === undefined) throw new Error('examples/learn/deep_mlp.json is missing');
    const g = compileSpec(deep, { dtype: 'f32' }).joint;
    const params = g.nodes.filter((n) => n.op === 'param' && n.type.shape.length === 2);
    const letters = dimensionLetters(g);
    expect(params.map((p) => letters.get(p.id)?.join(','))).toEqual(['d,h₁', 'h₁,h₂', 'h₂,h₃', 'h₃,p']);
  });

  it('lays out the joint views bottom to top (backward flows toward the layer below)', () => {
    for (const view of ['joint', 'backprop'] as const)
      expect(buildDiagram(graph, view).document.graph.rankdir).toBe('BT');
    expect(buildDiagram(graph, 'backward').document.graph.rankdir).toBe('TB');
  });
});
