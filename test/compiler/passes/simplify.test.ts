// The simplification passes one by one: DCE, CSE, and each rule of the table firing where its
// pattern is, and not firing where the intermediate it would remove has another reader.
import { describe, expect, it } from 'vitest';
import { freshId } from '../../../compiler/ir/graph.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { eliminateCommonSubexpressions } from '../../../compiler/passes/simplify/cse.js';
import { eliminateDeadCode } from '../../../compiler/passes/simplify/dce.js';
import { addZero, identityRule, singleAdd } from '../../../compiler/passes/simplify/identity.js';
import { rewriteGraph } from '../../../compiler/passes/simplify/rewrite.js';
import { formatRules, simplifyRules } from '../../../compiler/passes/simplify/rules.js';
import { simplifyGraph } from '../../../compiler/passes/simplify/simplify.js';
import type { GraphSpec, LossSpec, NodeSpec } from '../../../compiler/frontend/graph-spec.js';
import { exampleSpec } from '../../support/examples.js';
import { byName, handNode, joint, opCounts, resultDifferences, run, simplified } from './simplify-support.js';

type Head = 'softmax' | 'log_softmax' | 'sigmoid';

/** x[3] → fc1 (4) → relu → fc2 (3) → head, with the head's paired loss; `extra` nodes go before fc2. */
function tiny(
  head: Head,
  options: { extra?: NodeSpec[]; fc2Input?: string; outputs?: string[]; classIndex?: boolean } = {},
): GraphSpec {
  const loss: LossSpec = { op: head === 'sigmoid' ? 'binary_cross_entropy' : 'cross_entropy', input: 'p', target: 'y' };
  const classIndex = options.classIndex ?? head !== 'sigmoid';
  return {
    name: `tiny_${head}`,
    inputs: { x: [null, 3] },
    targets: { y: classIndex ? [null] : [null, 3] },
    nodes: [
      { name: 'fc1', op: 'linear', input: 'x', units: 4 },
      { name: 'h', op: 'relu', input: 'fc1' },
      ...(options.extra ?? []),
      { name: 'fc2', op: 'linear', input: options.fc2Input ?? 'h', units: 3 },
      { name: 'p', op: head, input: 'fc2' },
    ],
    outputs: options.outputs ?? ['p'],
    loss,
    train: { optimizer: 'adam', lr: 0.01 },
  };
}

/** Same interpreter results (loss, gradients, updated params and state, outputs) before and after. */
function expectSameResults(before: Graph, after: Graph, batch = 5): void {
  for (const seed of [1, 2]) expect(resultDifferences(run(after, seed, batch), run(before, seed, batch))).toEqual([]);
}

/** A copy of `graph` with `sum_rows(<name>)` as an extra output, so that value has a second reader. */
function withProbe(graph: Graph, name: string): Graph {
  const target = byName(graph, name);
  const id = freshId(graph);
  const probe = handNode(
    { op: 'sum_rows', attrs: {} },
    id,
    'probe',
    [target.id],
    { shape: target.type.shape.slice(1), dtype: target.type.dtype },
    'backward',
  );
  return { ...graph, nodes: [...graph.nodes, probe], outputs: [...graph.outputs, id] };
}

describe('loss-head rules', () => {
  const cases: [Head, boolean, string, string, string][] = [
    ['softmax', true, 'softmax-cross-entropy', 'softmax_grad', 'cross_entropy_grad'],
    ['softmax', false, 'softmax-cross-entropy', 'softmax_grad', 'cross_entropy_grad'],
    ['log_softmax', true, 'log-softmax-nll', 'log_softmax_grad', 'cross_entropy_grad'],
    ['log_softmax', false, 'log-softmax-nll', 'log_softmax_grad', 'cross_entropy_grad'],
    ['sigmoid', false, 'sigmoid-bce', 'sigmoid_grad', 'binary_cross_entropy_grad'],
  ];

  it.each(cases)(
    '%s head (class indices: %s): %s fires and keeps the results',
    (head, classIndex, rule, headGrad, lossGrad) => {
      const { graph } = joint(tiny(head, { classIndex }));
      const { graph: after, fired } = simplifyGraph(graph);
      expect(fired).toEqual([{ rule, node: 'd(fc2)' }]);
      expect(verifyGraph(after)).toEqual([]);
      const counts = opCounts(after);
      expect(counts[headGrad]).toBeUndefined();
      expect(counts[lossGrad]).toBeUndefined();
      // The fused node takes the name, role and differentiated tensor of the node it replaces.
      const fusedNode = byName(after, 'd(fc2)');
      expect(fusedNode.op).toBe(
        head === 'sigmoid' ? 'sigmoid_binary_cross_entropy_grad' : 'softmax_cross_entropy_grad',
      );
      expect(fusedNode.grad?.of).toBe(byName(after, 'fc2').id);
      expect(fusedNode.grad?.factor).toBe(
        head === 'softmax' ? '(p−y)/n' : head === 'log_softmax' ? '(exp(p)−y)/n' : '(σ(fc2)−y)/N',
      );
      expect(fusedNode.id).toBeGreaterThan(Math.max(...graph.nodes.map((n) => n.id)));
      expect(after.nodes.map((n) => n.name)).not.toContain('d(p)');
      expectSameResults(graph, after);
    },
  );

  it.each(cases)(
    '%s head (class indices: %s): %s does not fire when the loss gradient has another reader',
    (head, classIndex, _rule, headGrad, lossGrad) => {
      const graph = withProbe(joint(tiny(head, { classIndex })).graph, 'd(p)');
      const { graph: after, fired } = simplifyGraph(graph);
      expect(fired).toEqual([]);
      expect(opCounts(after)[headGrad]).toBe(1);
      expect(opCounts(after)[lossGrad]).toBe(1);
      expect(after).toBe(graph);
    },
  );

  it('MNIST MLP: no softmax_grad or cross_entropy_grad remains; 32 nodes become 31; surviving ids stay', () => {
    const { graph, ctx } = joint(exampleSpec('mnist_mlp'), 'f32');
    const after = simplified(graph, ctx);
    expect(graph.nodes).toHaveLength(32);
    expect(after.nodes).toHaveLength(31);
    expect(opCounts(graph)).toMatchObject({ softmax_grad: 1, cross_entropy_grad: 1 });
    const counts = opCounts(after);
    expect(counts).toMatchObject({ softmax_cross_entropy_grad: 1, matmul: 3, sum_rows: 2, relu_grad: 1 });
    expect(counts['softmax_grad']).toBeUndefined();
    expect(counts['cross_entropy_grad']).toBeUndefined();
    const before = new Map(graph.nodes.map((n) => [n.name, n.id]));
    for (const n of after.nodes) if (n.name !== 'd(fc2)') expect(before.get(n.name), n.name).toBe(n.id);
  });
});

describe('identity rule', () => {
  const withIdentity = (outputs?: string[]): GraphSpec =>
    tiny('softmax', {
      extra: [{ name: 'id1', op: 'identity', input: 'h' }],
      fc2Input: 'id1',
      ...(outputs === undefined ? {} : { outputs }),
    });

  it('removes a forward identity, rewires its readers and renames the gradient after its operand', () => {
    const { graph } = joint(withIdentity());
    expect(byName(graph, 'd(id1)').grad?.of).toBe(byName(graph, 'id1').id);
    const { graph: after, fired } = simplifyGraph(graph);
    expect(fired.map((f) => f.rule).sort()).toEqual(['identity', 'softmax-cross-entropy']);
    expect(opCounts(after)['identity']).toBeUndefined();
    expect(byName(after, 'fc2').inputs[0]).toBe(byName(after, 'h').id);
    // d(id1) was the gradient of h too (identity passes it through); now it is named so.
    const dh = byName(after, 'd(h)');
    expect(dh.id).toBe(byName(graph, 'd(id1)').id);
    expect(dh.grad?.of).toBe(byName(after, 'h').id);
    expect(verifyGraph(after)).toEqual([]);
    expectSameResults(graph, after);
  });

  it('keeps an identity that is an output (outputs are keyed by node name)', () => {
    const { graph } = joint(withIdentity(['p', 'id1']));
    const { graph: after, fired } = simplifyGraph(graph);
    expect(fired.map((f) => f.rule)).not.toContain('identity');
    expect(byName(after, 'id1').op).toBe('identity');
    expectSameResults(graph, after);
  });
});

describe('add rules', () => {
  const t = { shape: [2, 3], dtype: 'f64' } as const;
  const x = handNode({ op: 'input', attrs: {} }, 0, 'x', [], t, 'input');
  const x2 = handNode({ op: 'input', attrs: {} }, 1, 'x2', [], t, 'input');
  const fill = (id: number, name: string, value: number) =>
    handNode({ op: 'fill', attrs: { value } }, id, name, [], t, 'const');
  const graphOf = (nodes: Graph['nodes'], output: number): Graph => ({ name: 'hand', nodes, outputs: [output] });

  it('add-zero drops zero terms; a single remaining term replaces the sum', () => {
    const g = graphOf(
      [
        x,
        fill(2, 'zero', 0),
        handNode({ op: 'add', attrs: {} }, 3, 's', [0, 2], t, 'forward'),
        handNode({ op: 'relu', attrs: {} }, 4, 'r', [3], t, 'forward'),
      ],
      4,
    );
    const { graph: after, fired } = simplifyGraph(g);
    expect(fired).toEqual([{ rule: 'add-zero', node: 's' }]);
    expect(after.nodes.map((n) => n.name)).toEqual(['x', 'r']);
    expect(byName(after, 'r').inputs).toEqual([0]);
  });

  it('add-zero keeps the node (and its id) when several terms remain', () => {
    const g = graphOf(
      [x, x2, fill(2, 'zero', 0), handNode({ op: 'add', attrs: {} }, 3, 's', [0, 2, 1], t, 'forward')],
      3,
    );
    const { graph: after } = simplifyGraph(g);
    expect(byName(after, 's').inputs).toEqual([0, 1]);
    expect(byName(after, 's').id).toBe(3);
    expect(verifyGraph(after)).toEqual([]);
  });

  it('add-zero does not fire on nonzero constants or without constants', () => {
    const g = graphOf(
      [
        x,
        fill(2, 'one', 1),
        handNode({ op: 'add', attrs: {} }, 3, 's', [0, 2], t, 'forward'),
        handNode({ op: 'add', attrs: {} }, 4, 's2', [3, 0], t, 'forward'),
      ],
      4,
    );
    expect(rewriteGraph(g, [addZero]).fired).toEqual([]);
  });

  it('single-add replaces a one-term sum by its term, and leaves real sums', () => {
    const g = graphOf(
      [
        x,
        handNode({ op: 'add', attrs: {} }, 1, 's', [0], t, 'forward'),
        handNode({ op: 'add', attrs: {} }, 2, 's2', [1, 0], t, 'forward'),
      ],
      2,
    );
    const { graph: after, fired } = rewriteGraph(g, [singleAdd]);
    expect(fired).toEqual([{ rule: 'single-add', node: 's' }]);
    expect(byName(after, 's2').inputs).toEqual([0, 0]);
    expect(verifyGraph(after)).toEqual([]);
  });

  it('a pinned value (an output) keeps its node', () => {
    const g = graphOf([x, handNode({ op: 'add', attrs: {} }, 1, 's', [0], t, 'forward')], 1);
    expect(rewriteGraph(g, [singleAdd, identityRule]).fired).toEqual([]);
  });
});

describe('dce', () => {
  const spec = tiny('softmax', {
    extra: [
      { name: 'side', op: 'tanh', input: 'fc1' },
      { name: 'side_fc', op: 'linear', input: 'h', units: 2 },
    ],
  });

  it('drops computed nodes nothing observable reads, keeps API leaves (params of the dead linear)', () => {
    const { graph } = joint(spec);
    const after = eliminateDeadCode(graph);
    const names = after.nodes.map((n) => n.name);
    expect(names).not.toContain('side');
    expect(names).not.toContain('side_fc');
    expect(names).toContain('side_fc.weight');
    expect(names).toContain('side_fc.bias');
    expect(after.nodes).toHaveLength(graph.nodes.length - 2);
    expect(verifyGraph(after)).toEqual([]);
    expectSameResults(graph, after);
  });

  it('returns the same graph when nothing is dead', () => {
    const { graph } = joint(tiny('softmax'));
    expect(eliminateDeadCode(graph)).toBe(graph);
  });
});

describe('cse', () => {
  // r1 and r2 compute the same tanh; so do their backward tanh_grad nodes (once r2 reads as r1).
  const spec = tiny('softmax', {
    extra: [
      { name: 'r1', op: 'tanh', input: 'fc1' },
      { name: 'r2', op: 'tanh', input: 'fc1' },
      { name: 'join', op: 'add', inputs: ['r1', 'r2'] },
    ],
    fc2Input: 'join',
  });

  it('merges duplicates into the first (forward and the backward nodes that then coincide)', () => {
    const { graph } = joint(spec);
    const after = eliminateCommonSubexpressions(graph);
    expect(verifyGraph(after)).toEqual([]);
    const names = after.nodes.map((n) => n.name);
    expect(names).toContain('r1');
    expect(names).not.toContain('r2');
    expect(byName(after, 'join').inputs).toEqual([byName(after, 'r1').id, byName(after, 'r1').id]);
    expect(opCounts(graph)['tanh_grad']).toBe(2);
    expect(opCounts(after)['tanh_grad']).toBe(1);
    expect(after.nodes.length).toBe(graph.nodes.length - 2);
    expectSameResults(graph, after);
  });

  it('keeps pinned duplicates (outputs are keyed by name) and leaves', () => {
    const { graph } = joint({ ...spec, outputs: ['p', 'r1', 'r2'] });
    const after = eliminateCommonSubexpressions(graph);
    expect(after.nodes.map((n) => n.name)).toContain('r2');
    expect(after.nodes.filter((n) => n.op === 'param')).toHaveLength(
      graph.nodes.filter((n) => n.op === 'param').length,
    );
  });
});

describe('rule table', () => {
  it('names every rule once, in kebab-case, and lists them all', () => {
    const names = simplifyRules.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]+(-[a-z]+)*$/);
    const listing = formatRules();
    expect(listing.split('\n').filter((l) => l !== '')).toHaveLength(simplifyRules.length);
    for (const r of simplifyRules) expect(listing).toContain(`${r.name} `);
  });
});
