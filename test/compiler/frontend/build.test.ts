import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../../compiler/frontend/build-graph.js';
import { printGraph } from '../../../compiler/ir/print.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { checkSpecValue } from '../../../src/frontend/check.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';

function built(spec: GraphSpec, batch?: number) {
  const r = buildGraph(spec, batch === undefined ? { dtype: 'f32' } : { dtype: 'f32', batch });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.graph;
}

describe('buildGraph', () => {
  it.each([...exampleSpecs().keys()])('builds and verifies example %s', (name) => {
    const graph = built(exampleSpec(name));
    expect(verifyGraph(graph)).toEqual([]);
    expect(graph.loss).toBeDefined();
    expect(printGraph(graph)).toBe(printGraph(built(exampleSpec(name))));
  });

  it('creates parameters [in,out] and [out], he_uniform before relu, glorot elsewhere', () => {
    const g = built(exampleSpec('mnist_mlp'));
    const byName = new Map(g.nodes.map((n) => [n.name, n]));
    const w1 = byName.get('fc1.weight');
    const w2 = byName.get('fc2.weight');
    expect(w1?.type.shape).toEqual([784, 128]);
    expect(byName.get('fc1.bias')?.type.shape).toEqual([128]);
    expect(w1?.op === 'param' && w1.attrs.init).toBe('he_uniform');
    expect(w2?.op === 'param' && w2.attrs.init).toBe('glorot_uniform');
    expect(byName.get('y')?.type).toEqual({ shape: ['B'], dtype: 'i32' });
    expect(byName.get('fc1')?.type).toEqual({ shape: ['B', 128], dtype: 'f32' });
    expect(byName.get('loss')?.type).toEqual({ shape: [], dtype: 'f32' });
  });

  it('uses a literal batch when one is given', () => {
    const g = built(exampleSpec('mnist_mlp'), 32);
    expect(g.nodes.find((n) => n.name === 'probs')?.type.shape).toEqual([32, 10]);
  });

  it('drops the bias with bias:false', () => {
    const spec: GraphSpec = {
      name: 'nobias',
      inputs: { x: [null, 3] },
      nodes: [{ name: 'fc', op: 'linear', input: 'x', units: 2, bias: false }],
      outputs: ['fc'],
    };
    const g = built(spec);
    expect(g.nodes.map((n) => n.name)).toEqual(['x', 'fc.weight', 'fc']);
    expect(printGraph(g)).toContain('linear[units=2,bias=false] %0 x, %1 fc.weight');
  });

  it('prints one typed equation per line', () => {
    const text = printGraph(built(exampleSpec('mnist_mlp')));
    expect(text).toContain('%4 fc1: f32[B,128] = linear[units=128] %0 x, %2 fc1.weight, %3 fc1.bias\n');
    expect(text).toContain('= cross_entropy[input=probs] %9 probs, %1 y\n');
  });

  it('reports an add of mismatched shapes with both shapes, the node and a pointer to the operand', () => {
    const spec: GraphSpec = {
      name: 'bad',
      inputs: { x: [null, 4] },
      nodes: [
        { name: 'a', op: 'linear', input: 'x', units: 128 },
        { name: 'b', op: 'linear', input: 'x', units: 64 },
        { name: 'join', op: 'add', inputs: ['a', 'b'] },
        { name: 'c', op: 'relu', input: 'join' },
      ],
      outputs: ['c'],
    };
    const r = buildGraph(spec, { dtype: 'f32' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1); // no cascade into 'c'
    const [e] = r.errors;
    expect(e?.node).toBe('join');
    expect(e?.pointer).toBe('/nodes/2/inputs/1');
    expect(e?.message).toContain('a is [B,128] but b is [B,64]');
    expect(e?.hint).toBeDefined();
  });

  it('collects shape errors of independent nodes', () => {
    const spec: GraphSpec = {
      name: 'bad',
      inputs: { x: [null, 4], z: [null, 2] },
      nodes: [
        { name: 'j1', op: 'add', inputs: ['x', 'z'] },
        { name: 'fc', op: 'linear', input: 'x', units: 2 },
        { name: 'j2', op: 'add', inputs: ['fc', 'x'] },
      ],
      outputs: ['j1', 'j2'],
    };
    const r = buildGraph(spec, { dtype: 'f32' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.node, e.pointer])).toEqual([
      ['j1', '/nodes/0/inputs/1'],
      ['j2', '/nodes/2/inputs/1'],
    ]);
  });

  // The front end's checks (src/frontend/validate.ts) own these rules; buildGraph trusts them.
  it.each<[string, Partial<GraphSpec>]>([
    ['an undefined operand', { nodes: [{ name: 'fc', op: 'linear', input: 'nope', units: 3 }], outputs: ['fc'] }],
    ['a bad units', { nodes: [{ name: 'fc', op: 'linear', input: 'x', units: 0 }], outputs: ['fc'] }],
    [
      'a cycle',
      {
        nodes: [
          { name: 'p', op: 'relu', input: 'q' },
          { name: 'q', op: 'relu', input: 'p' },
        ],
        outputs: ['p'],
      },
    ],
    ['an undefined output', { nodes: [{ name: 't', op: 'tanh', input: 'x' }], outputs: ['missing'] }],
    [
      'an unpaired loss',
      {
        targets: { y: [null] },
        nodes: [{ name: 't', op: 'tanh', input: 'x' }],
        outputs: ['t'],
        loss: { op: 'cross_entropy', input: 't', target: 'y' },
      },
    ],
  ])('treats %s (ruled out by the checker) as an internal error', (_what, part) => {
    const spec: GraphSpec = { name: 'bad', inputs: { x: [null, 4] }, nodes: [], outputs: [], ...part };
    expect(() => buildGraph(spec, { dtype: 'f32' })).toThrow(/^internal: /);
    const checked = checkSpecValue(spec);
    expect(checked.ok).toBe(false);
  });

  it('reports a loss target of the wrong shape at /loss/target', () => {
    const spec: GraphSpec = {
      name: 'bad',
      inputs: { x: [null, 4] },
      targets: { y: [null, 5] },
      nodes: [
        { name: 'fc', op: 'linear', input: 'x', units: 3 },
        { name: 'p', op: 'softmax', input: 'fc' },
      ],
      outputs: ['p'],
      loss: { op: 'cross_entropy', input: 'p', target: 'y' },
    };
    const r = buildGraph(spec, { dtype: 'f64' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]?.pointer).toBe('/loss/target');
    expect(r.errors[0]?.message).toContain('[B,3]');
    expect(r.errors[0]?.message).toContain('[B,5]');
  });
});
