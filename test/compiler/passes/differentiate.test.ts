import { describe, expect, it } from 'vitest';
import { ChainruleError } from '../../../compiler/diagnostics.js';
import { interpret } from '../../../compiler/interp/interpret.js';
import { paramGrads } from '../../../compiler/ir/graph.js';
import { createNode } from '../../../compiler/ir/node.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { differentiate } from '../../../compiler/passes/differentiate.js';
import { trainingGraph } from '../../../compiler/passes/pipeline.js';
import { buildGraph } from '../../../compiler/frontend/build-graph.js';
import { markChecked } from '../../../compiler/frontend/checked-spec.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { checkSpecValue } from '../../../src/frontend/check.js';
import { randomFeeds, randomParams } from '../../support/data.js';
import { exampleSpec } from '../../support/examples.js';
import { compileSpec, gradientGraph } from '../../support/pipeline.js';
import { rng } from '../../support/rng.js';

const byName = (g: Graph, name: string) => {
  const n = g.nodes.find((x) => x.name === name);
  if (n === undefined) throw new Error(`no node ${name}`);
  return n;
};

describe('differentiate', () => {
  it('emits the chain rule of the MNIST MLP with factors and links to forward nodes', () => {
    const { joint } = gradientGraph(exampleSpec('mnist_mlp'));
    const back = joint.nodes.filter((n) => n.role === 'backward');
    expect(back.map((n) => `${n.name}=${n.op}:${n.grad?.factor}`)).toEqual([
      'd(probs)=cross_entropy_grad:−y⊘(n·probs)',
      'd(fc2)=softmax_grad:·J_softmax(fc2)',
      'd(h1)=matmul:·fc2.weightᵀ',
      'd(fc2.weight)=matmul:h1ᵀ·',
      'd(fc2.bias)=sum_rows:Σrows',
      "d(fc1)=relu_grad:⊙relu'(fc1)",
      'd(fc1.weight)=matmul:xᵀ·',
      'd(fc1.bias)=sum_rows:Σrows',
    ]);
    for (const n of back) expect(joint.nodes.find((f) => f.id === n.grad?.of)?.name).toBe(n.name.slice(2, -1));
    const dW1 = byName(joint, 'd(fc1.weight)');
    expect(dW1.op === 'matmul' && dW1.attrs).toEqual({ transA: true, transB: false });
    expect(dW1.type.shape).toEqual([784, 128]);
    // No gradient flows into the input or the target.
    expect(joint.nodes.some((n) => n.name === 'd(x)' || n.name === 'd(y)')).toBe(false);
    const seed = byName(joint, 'd(loss)');
    expect(seed.op === 'fill' && seed.attrs.value).toBe(1);
  });

  it('sums the gradient of a fan-out tensor with one explicit add node', () => {
    const { joint } = gradientGraph(exampleSpec('residual_mlp'));
    const sums = joint.nodes.filter((n) => n.role === 'backward' && n.op === 'add');
    expect(sums.map((n) => n.name)).toEqual(['d(h0)']);
    const [sum] = sums;
    expect(sum?.grad?.factor).toBe('Σ');
    expect(sum?.inputs.map((i) => joint.nodes.find((n) => n.id === i)?.name)).toEqual(['d(h0)@branch_fc', 'd(join)']);
  });

  it('visits only nodes on a path from a parameter to the loss', () => {
    const spec: GraphSpec = {
      name: 'side',
      inputs: { x: [null, 3] },
      targets: { y: [null, 2] },
      nodes: [
        { name: 'xs', op: 'tanh', input: 'x' },
        { name: 'fc', op: 'linear', input: 'xs', units: 2 },
        { name: 'side', op: 'linear', input: 'xs', units: 5 },
        { name: 'side_act', op: 'relu', input: 'side' },
      ],
      outputs: ['fc', 'side_act'],
      loss: { op: 'mse', input: 'fc', target: 'y' },
    };
    const { joint } = gradientGraph(spec);
    const names = joint.nodes.filter((n) => n.role === 'backward').map((n) => n.name);
    expect(names).toEqual(['d(fc)', 'd(fc.weight)', 'd(fc.bias)']);
    expect([...paramGrads(joint).keys()].map((id) => joint.nodes.find((n) => n.id === id)?.name)).toEqual([
      'fc.weight',
      'fc.bias',
    ]);
  });

  it('fails with the op name when a rule is missing', () => {
    const t = { shape: [2, 2], dtype: 'f64' } as const;
    const nodes = [
      createNode(
        { op: 'param', attrs: { init: 'zeros', fanIn: 2, fanOut: 2 } },
        { id: 0, name: 'w', inputs: [], type: t, role: 'param' },
      ),
      createNode(
        { op: 'matmul', attrs: { transA: false, transB: false } },
        { id: 1, name: 'ww', inputs: [0, 0], type: t, role: 'forward' },
      ),
      createNode({ op: 'target', attrs: {} }, { id: 2, name: 'y', inputs: [], type: t, role: 'target' }),
      createNode(
        { op: 'mse', attrs: {} },
        { id: 3, name: 'loss', inputs: [1, 2], type: { shape: [], dtype: 'f64' }, role: 'loss' },
      ),
    ];
    const graph: Graph = { name: 'g', nodes, outputs: [1], loss: 3 };
    expect(verifyGraph(graph)).toEqual([]);
    expect(() => differentiate(graph, { dtype: 'f64', train: { optimizer: 'sgd', lr: 1 } })).toThrow(
      "differentiation rule for 'matmul' not implemented (node 'ww')",
    );
  });

  it('reports a spec without trainable parameters as a diagnostic', () => {
    const spec: GraphSpec = {
      name: 'fixed',
      inputs: { x: [null, 3] },
      targets: { y: [null] },
      nodes: [{ name: 'p', op: 'softmax', input: 'x' }],
      outputs: ['p'],
      loss: { op: 'cross_entropy', input: 'p', target: 'y' },
    };
    // The checker refuses it (so `check` fails as compile does) …
    const checked = checkSpecValue(spec, undefined, { dtype: 'f32' });
    expect(checked.ok ? [] : checked.errors.map((e) => e.message)).toEqual([
      "spec 'fixed' has no parameter the loss depends on, so there is nothing to train",
    ]);
    // … and the pipeline asks again of a graph built without it.
    const built = buildGraph(spec, { dtype: 'f32' });
    if (!built.ok) throw new Error('the spec builds');
    const r = trainingGraph(markChecked({ spec, graph: built.graph, dtype: 'f32' as const }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toContain('no parameter the loss depends on');
  });

  it('does not modify its input graph', () => {
    const { forward } = gradientGraph(exampleSpec('iris_mlp'));
    const before = JSON.stringify(forward);
    differentiate(forward, { dtype: 'f64', train: { optimizer: 'sgd', lr: 1 } });
    expect(JSON.stringify(forward)).toBe(before);
  });
});

describe('relu and leaky_relu at 0 (the documented convention)', () => {
  // x = [1] → z = x·w with w = 0 → exactly 0 at the kink; loss = mse(z2, y) with z2 = act(z)·v.
  const spec = (op: 'relu' | 'leaky_relu'): GraphSpec => ({
    name: 'kink',
    inputs: { x: [null, 1] },
    targets: { y: [null, 1] },
    nodes: [
      { name: 'z', op: 'linear', input: 'x', units: 1, bias: false },
      { name: 'a', op, input: 'z', ...(op === 'leaky_relu' ? { alpha: 0.25 } : {}) },
      { name: 'o', op: 'linear', input: 'a', units: 1, bias: false },
    ],
    outputs: ['o'],
    loss: { op: 'mse', input: 'o', target: 'y' },
  });
  const run = (op: 'relu' | 'leaky_relu') => {
    const { joint } = gradientGraph(spec(op));
    return interpret(joint, { feeds: { x: [1], y: [1] }, params: { 'z.weight': [0], 'o.weight': [2] } });
  };
  it("relu'(0) = 0: no gradient reaches the first layer", () => {
    const r = run('relu');
    // o = 0, ∂L/∂o = 2(0 − 1) = −2, ∂L/∂a = −2·2 = −4, ∂L/∂z = −4·relu'(0) = 0
    expect(Array.from(r.grads['z.weight'] ?? [])).toEqual([0]);
  });
  it("leaky_relu'(0) = alpha", () => {
    const r = run('leaky_relu');
    // ∂L/∂z = −4·0.25 = −1, ∂L/∂w = x·(−1) = −1
    expect(Array.from(r.grads['z.weight'] ?? [])).toEqual([-1]);
  });
});

describe('add-optimizer', () => {
  const withTrain = (train: GraphSpec['train']): GraphSpec => ({ ...exampleSpec('iris_mlp'), train });
  it('plain SGD has no state and updates every parameter', () => {
    const { joint } = compileSpec(withTrain({ optimizer: 'sgd', lr: 0.1 }));
    expect(joint.nodes.filter((n) => n.role === 'state')).toEqual([]);
    const updates = joint.nodes.filter((n) => n.role === 'update');
    expect(updates.map((n) => n.name)).toEqual([
      'new(fc1.weight)',
      'new(fc1.bias)',
      'new(fc2.weight)',
      'new(fc2.bias)',
    ]);
  });
  it('momentum keeps one velocity per parameter, Adam two moments and a step', () => {
    const m = compileSpec(withTrain({ optimizer: 'sgd', lr: 0.1, momentum: 0.9 })).joint;
    expect(m.nodes.filter((n) => n.role === 'state').map((n) => n.name)).toEqual([
      'fc1.weight.velocity',
      'fc1.bias.velocity',
      'fc2.weight.velocity',
      'fc2.bias.velocity',
    ]);
    const a = compileSpec(withTrain({ optimizer: 'adam', lr: 0.01 })).joint;
    const states = a.nodes.filter((n) => n.role === 'state').map((n) => n.name);
    expect(states).toEqual([
      'adam.step',
      'fc1.weight.m',
      'fc1.weight.v',
      'fc1.bias.m',
      'fc1.bias.v',
      'fc2.weight.m',
      'fc2.weight.v',
      'fc2.bias.m',
      'fc2.bias.v',
    ]);
    const upd = byName(a, 'new(fc1.weight)');
    expect(upd.op === 'adam_update' && upd.attrs).toEqual({ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    for (const n of a.nodes.filter((x) => x.role === 'update')) expect(n.assigns).toBeDefined();
  });
  it('one interpreted SGD step is p − lr·∂L/∂p', () => {
    const { forward, joint } = compileSpec(withTrain({ optimizer: 'sgd', lr: 0.5 }));
    const r = rng(5);
    const params = randomParams(forward, r);
    const run = interpret(joint, { feeds: randomFeeds(forward, 4, r), params });
    for (const [name, p] of Object.entries(params)) {
      const g = run.grads[name] ?? new Float64Array();
      expect(Array.from(run.params[name] ?? [])).toEqual(Array.from(p, (v, i) => v - 0.5 * (g[i] ?? 0)));
    }
  });
});

describe('interpreter', () => {
  it('stores f32 graphs in Float32Array and agrees with f64 to f32 precision', () => {
    const spec = exampleSpec('spirals_mlp');
    const f32 = compileSpec(spec, { dtype: 'f32' });
    const f64 = compileSpec(spec, { dtype: 'f64' });
    const r = rng(9);
    const params = randomParams(f64.forward, r);
    const feeds = randomFeeds(f64.forward, 8, r);
    const a = interpret(f32.joint, { feeds, params });
    const b = interpret(f64.joint, { feeds, params });
    expect(a.outputs['probs']?.data).toBeInstanceOf(Float32Array);
    expect(b.outputs['probs']?.data).toBeInstanceOf(Float64Array);
    expect(Math.abs((a.loss ?? 0) - (b.loss ?? 1))).toBeLessThan(1e-5);
    expect(a.batch).toBe(8);
  });
  it('reports every bad feed with the leaf name', () => {
    const { joint } = compileSpec(exampleSpec('mnist_mlp'));
    const r = rng(1);
    const params = randomParams(joint, r);
    delete params['fc2.bias'];
    try {
      interpret(joint, { feeds: { x: new Float64Array(784 * 2).fill(Number.NaN), y: new Int32Array([1, 2]) }, params });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ChainruleError);
      const text = String(e);
      expect(text).toContain("input 'x' has the value NaN at index 0");
      expect(text).toContain("no value for param 'fc2.bias' [10]");
    }
    expect(() =>
      interpret(joint, { feeds: { x: new Float64Array(785), y: new Int32Array([1]) }, params: randomParams(joint, r) }),
    ).toThrow(/785 values, not a positive multiple of 784/);
  });
});
