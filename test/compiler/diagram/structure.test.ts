// Structural checks of the DOT each view produces, read back with the DOT reader: colours and
// labels per edge kind, one Σ node per fan-out tensor on a gradient path, a red path from the loss
// to every parameter, a dashed tie from every gradient to its value, stable ids. Pure: no layout.
import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { buildDiagram, type DiagramView, viewDot } from '../../../compiler/diagram/dot.js';
import { plainText, type ReadDot, readDot } from '../../support/read-dot.js';
import { shapeText } from '../../../compiler/diagram/labels.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { exampleSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';
import {
  attr,
  BLUE,
  byName,
  edgesOf,
  fanOutTensorsOnGradientPath,
  nodesOf,
  readView,
  reachableAlong,
  PURPLE,
  RED,
} from './support.js';

const examples = [...exampleSpecs()].map(([name, spec]) => ({ name, ...compileSpec(spec, { dtype: 'f32' }) }));

/** Every invariant of one view of a joint graph (`forward` is the graph before autodiff). */
function checkView(joint: Graph, forward: Graph, view: DiagramView): void {
  const dot = readView(joint, view);
  checkForwardEdges(joint, dot);
  checkBackwardEdges(joint, dot);
  if (view === 'forward') {
    expect(dot.edges.filter((e) => attr(e, 'color') === RED)).toEqual([]);
    return;
  }
  expect(nodesOf(dot, 'sum')).toHaveLength(fanOutTensorsOnGradientPath(forward).length);
  checkRedPaths(joint, dot);
  if (view === 'backward') expect(edgesOf(dot, 'forward')).toEqual([]);
  if (view === 'joint') checkTies(joint, dot);
}

function checkForwardEdges(graph: Graph, dot: ReadDot): void {
  for (const e of edgesOf(dot, 'forward')) {
    expect(attr(e, 'color'), `${e.from} -> ${e.to}`).toBe(BLUE);
    expect(attr(e, 'label'), `${e.from} -> ${e.to}`).toBe(shapeText(byName(graph, e.from).type.shape));
  }
}

function checkBackwardEdges(graph: Graph, dot: ReadDot): void {
  for (const e of [...edgesOf(dot, 'backward'), ...edgesOf(dot, 'update')]) {
    // Gradients are red; optimizer edges have their own purple, never the gradient red.
    expect(attr(e, 'color'), `${e.from} -> ${e.to}`).toBe(e.attrs.get('class')?.text === 'update' ? PURPLE : RED);
    const [factor, shape] = plainText(e.attrs.get('label')).split('\n');
    expect(factor?.trim(), `factor on ${e.from} -> ${e.to}`).not.toBe('');
    // The simplified head's edge runs from the seed straight to ∂L/∂logits, with that shape.
    const shapeOf = isSimplifiedHead(graph, e) ? e.to : e.from;
    if (byName(graph, e.to).op !== 'fill' && shape !== undefined)
      expect(shape).toBe(shapeText(byName(graph, shapeOf).type.shape));
  }
  for (const e of edgesOf(dot, 'backward').filter((x) => byName(graph, x.to).grad !== undefined)) {
    const to = byName(graph, e.to);
    const expected = to.op === 'add' ? '+' : to.grad?.factor;
    const text = plainText(e.attrs.get('label')).split('\n')[0];
    if (isSimplifiedHead(graph, e)) expect(text).toMatch(/^\((exp\()?\w+\)? − (onehot\()?\w+\)?\)\/[nN]$/);
    else if (to.op !== 'fill') expect(text).toBe(expected);
  }
}

/** An edge from the seed to a gradient that does not read the seed: the closed-form head, (p − y)/n. */
function isSimplifiedHead(graph: Graph, e: { from: string; to: string }): boolean {
  const from = byName(graph, e.from);
  const to = byName(graph, e.to);
  return from.op === 'fill' && to.op !== 'fill' && !to.inputs.includes(from.id);
}

/** From the loss, red edges reach every parameter's gradient, and purple ones its update and the parameter. */
function checkRedPaths(graph: Graph, dot: ReadDot): void {
  const loss = graph.nodes.find((n) => n.id === graph.loss);
  expect(loss).toBeDefined();
  const red = reachableAlong(dot, loss?.name ?? '', RED);
  const reached = new Set([...red].flatMap((id) => [...reachableAlong(dot, id, PURPLE)]));
  const params = graph.nodes.filter((n) => n.role === 'param').map((n) => n.name);
  expect(params.length).toBeGreaterThan(0);
  for (const p of params) expect(reached.has(p), `no red path from the loss to ${p}`).toBe(true);
}

/** Every gradient node is tied (dashed) to the value it differentiates; the seed starts at the loss. */
function checkTies(graph: Graph, dot: ReadDot): void {
  const ties = new Set(edgesOf(dot, 'tie').map((e) => `${e.from} -> ${e.to}`));
  for (const e of edgesOf(dot, 'tie')) expect(attr(e, 'style')).toBe('dashed');
  for (const n of graph.nodes.filter((x) => x.role === 'backward' && x.grad !== undefined)) {
    const of = graph.nodes.find((x) => x.id === n.grad?.of)?.name ?? '';
    if (n.op === 'fill')
      expect(dot.edges.some((e) => e.from === of && e.to === n.name && attr(e, 'color') === RED)).toBe(true);
    // Nodes the simplified head skips (∂L/∂p) are not drawn at all.
    else if (dot.nodes.has(n.name)) expect(ties.has(`${n.name} -> ${of}`), `tie ${n.name} -> ${of}`).toBe(true);
  }
}

describe('examples', () => {
  it.each(examples)('$name: every view', ({ joint, forward }) => {
    for (const view of ['forward', 'backward', 'joint'] as const) checkView(joint, forward, view);
  });

  it('the residual example has exactly one Σ node, summing into ∂L/∂h0', () => {
    const residual = examples.find((e) => e.name === 'residual_mlp');
    if (residual === undefined) throw new Error('missing residual_mlp example');
    const dot = readView(residual.joint, 'joint');
    const sums = nodesOf(dot, 'sum');
    expect(sums).toEqual(['d(h0)']);
    expect(plainText(dot.nodes.get('d(h0)')?.attrs.get('label'))).toBe('Σ\n∂L/∂h0');
    expect(
      dot.edges
        .filter((e) => e.to === 'd(h0)' && attr(e, 'class') === 'backward')
        .map((e) => e.from)
        .sort(),
    ).toEqual(['d(h0)@branch_fc', 'd(join)']);
  });

  it('labels teach the 2-layer example: formulas, ∂L/∂· names, chain-rule factors', () => {
    const two = examples.find((e) => e.name === 'two_layer_sigmoid');
    if (two === undefined) throw new Error('missing two_layer_sigmoid example');
    const dot = readView(two.joint, 'joint');
    const label = (id: string): string => plainText(dot.nodes.get(id)?.attrs.get('label'));
    expect(label('z')).toBe('z\nx·z.weight + z.bias');
    expect(label('h')).toBe('h\nσ(z)');
    expect(label('d(z.weight)')).toBe('∂L/∂z.weight\nmatmul Aᵀ·B');
    expect(label('new(z.weight)')).toBe('z.weight ←\nz.weight − 0.5·g');
    const factor = (from: string, to: string): string =>
      plainText(dot.edges.find((e) => e.from === from && e.to === to)?.attrs.get('label')).split('\n')[0] ?? '';
    expect(factor('d(o)', 'd(h)')).toBe('·o.weightᵀ');
    expect(factor('d(h)', 'd(z)')).toBe("⊙σ'(z)");
    expect(factor('d(z)', 'd(z.weight)')).toBe('xᵀ·');
    expect(attr(dot.nodes.get('z.weight') ?? { attrs: new Map() }, 'shape')).toBe('cylinder');
    expect(
      dot.edges.some((e) => e.from === 'new(z.weight)' && e.to === 'z.weight' && attr(e, 'class') === 'assign'),
    ).toBe(true);
  });

  it('the joint view puts each gradient on the rank of the value it differentiates', () => {
    for (const { joint } of examples) {
      const dot = readView(joint, 'joint');
      const rankOf = new Map(dot.sameRank.flatMap((g, k) => g.nodes.map((id) => [id, k] as const)));
      for (const n of joint.nodes.filter((x) => x.role === 'backward' && x.grad !== undefined)) {
        const of = joint.nodes.find((x) => x.id === n.grad?.of)?.name;
        expect(rankOf.get(n.name), n.name).toBe(rankOf.get(of ?? ''));
      }
    }
  });

  it('the folded optimizer hides state; the full one draws it with its own updates', () => {
    const iris = examples.find((e) => e.name === 'iris_mlp');
    if (iris === undefined) throw new Error('missing iris_mlp example');
    const folded = readView(iris.joint, 'joint');
    expect(nodesOf(folded, 'state')).toEqual([]);
    expect(nodesOf(folded, 'update').sort()).toEqual(
      iris.joint.nodes
        .filter((n) => n.role === 'param')
        .map((n) => `new(${n.name})`)
        .sort(),
    );
    const full = readView(iris.joint, 'backward');
    expect(nodesOf(full, 'state').sort()).toEqual(
      iris.joint.nodes
        .filter((n) => n.role === 'state')
        .map((n) => n.name)
        .sort(),
    );
  });
});

describe('ids and determinism', () => {
  it('DOT ids are node names, and renumbering node ids changes nothing', () => {
    for (const { joint } of examples) {
      const shifted: Graph = {
        ...joint,
        nodes: joint.nodes.map((n) => ({
          ...n,
          id: n.id + 1000,
          inputs: n.inputs.map((i) => i + 1000),
          ...(n.grad === undefined ? {} : { grad: { ...n.grad, of: n.grad.of + 1000 } }),
          ...(n.assigns === undefined ? {} : { assigns: n.assigns + 1000 }),
        })),
        outputs: joint.outputs.map((i) => i + 1000),
        ...(joint.loss === undefined ? {} : { loss: joint.loss + 1000 }),
      };
      for (const view of ['forward', 'backward', 'joint'] as const) {
        const dot = viewDot(joint, view);
        expect(viewDot(joint, view)).toBe(dot);
        // Tooltips print the IR id (%k) for engineers; everything else must be identical.
        const strip = (text: string): string => text.replace(/tooltip="%\d+ /g, 'tooltip="');
        expect(strip(viewDot(shifted, view))).toBe(strip(dot));
      }
      const names = new Set(joint.nodes.map((n) => n.name));
      for (const id of readView(joint, 'joint').nodes.keys()) expect(names.has(id), id).toBe(true);
    }
  });

  it('kernel groupings are drawn as clusters named after the kernel', () => {
    const mnist = examples.find((e) => e.name === 'mnist_mlp');
    if (mnist === undefined) throw new Error('missing mnist_mlp example');
    const g = mnist.joint;
    const kernels = new Map([
      [byName(g, 'fc1').id, 'dense_relu_0'],
      [byName(g, 'h1').id, 'dense_relu_0'],
      [byName(g, 'd(fc1)').id, 'relu_grad_matmul_1'],
      [byName(g, 'd(h1)').id, 'relu_grad_matmul_1'],
    ]);
    const { document } = buildDiagram(g, 'joint', { kernels });
    expect(document.clusters.map((c) => [c.id, c.nodes])).toEqual([
      ['kernel dense_relu_0', ['fc1', 'h1']],
      ['kernel relu_grad_matmul_1', ['d(h1)', 'd(fc1)']],
    ]);
    expect(readView(g, 'joint').clusters).toEqual([]);
    expect(
      readDot(viewDot(g, 'joint', { kernels })).clusters.map((c) => [
        c.id,
        plainText(c.attrs.get('label')),
        [...c.nodes],
      ]),
    ).toEqual([
      ['cluster_kernel dense_relu_0', 'kernel dense_relu_0', ['fc1', 'h1']],
      ['cluster_kernel relu_grad_matmul_1', 'kernel relu_grad_matmul_1', ['d(h1)', 'd(fc1)']],
    ]);
  });
});

describe('random specs', () => {
  test.prop([randomSpec({ maxWidth: 8, train: 'maybe' })], { numRuns: 40 })(
    'every view keeps its invariants',
    (spec) => {
      const { forward, joint } = compileSpec(spec, { dtype: 'f32' });
      for (const view of ['forward', 'backward', 'joint'] as const) checkView(joint, forward, view);
    },
  );

  it('a spec without a backward graph draws no backward view content', () => {
    const [first] = examples;
    if (first === undefined) throw new Error('no examples');
    const dot = readView(first.forward, 'backward');
    expect(dot.nodes.size).toBe(0);
    expect(readView(first.forward, 'forward').nodes.size).toBe(first.forward.nodes.length);
  });
});
