import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainGraph } from '../../../compiler/explain/equations.js';
import { createNode } from '../../../compiler/ir/node.js';
import type { Graph, Node } from '../../../compiler/ir/types.js';
import { assertValidGraph, verifyGraph } from '../../../compiler/ir/verify.js';
import { exampleSpec } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';

describe('verifyGraph', () => {
  const { joint } = compileSpec(exampleSpec('mnist_mlp'), {
    dtype: 'f32',
    train: { optimizer: 'sgd', lr: 0.1, momentum: 0.9 },
  });
  const replace = (name: string, f: (n: Node) => Node): Graph => ({
    ...joint,
    nodes: joint.nodes.map((n) => (n.name === name ? f(n) : n)),
  });

  it('accepts the joint graph', () => expect(verifyGraph(joint)).toEqual([]));

  it('rejects a type that disagrees with the shape rule', () => {
    const bad = replace('h1', (n) => ({ ...n, type: { shape: ['B', 64], dtype: 'f32' } }));
    expect(verifyGraph(bad).join('\n')).toContain("'h1' (%5): type is f32[B,64] but relu infers f32[B,128]");
  });

  it('rejects use before definition (and so cycles)', () => {
    const fc1 = joint.nodes.find((n) => n.name === 'fc1');
    const h1 = joint.nodes.find((n) => n.name === 'h1');
    if (fc1 === undefined || h1 === undefined) throw new Error('nodes missing');
    const cyclic = replace('fc1', (n) => ({ ...n, inputs: [h1.id, ...n.inputs.slice(1)] }));
    expect(verifyGraph(cyclic).join('\n')).toContain(`reads %${h1.id} before it is defined`);
  });

  it('rejects duplicate names and bad assignments', () => {
    expect(verifyGraph(replace('h1', (n) => ({ ...n, name: 'fc1' }))).join('\n')).toContain("duplicate name 'fc1'");
    const upd = joint.nodes.find((n) => n.name === 'new(fc1.weight)');
    const xId = joint.nodes.find((n) => n.name === 'x')?.id ?? -1;
    expect(verifyGraph(replace('new(fc1.weight)', (n) => ({ ...n, assigns: xId }))).join('\n')).toContain(
      "assigns 'x' (op input), but only param and state leaves",
    );
    expect(upd?.assigns).toBeDefined();
    const fc2b = joint.nodes.find((n) => n.name === 'fc2.bias')?.id ?? -1;
    expect(verifyGraph(replace('new(fc1.weight)', (n) => ({ ...n, assigns: fc2b }))).join('\n')).toContain(
      "assigns 'fc2.bias' of type f32[10] a value of type f32[784,128]",
    );
  });

  it('names the pass in assertValidGraph', () => {
    const extra = createNode(
      { op: 'relu', attrs: {} },
      { id: 999, name: 'r', inputs: [12345], type: { shape: [1], dtype: 'f32' }, role: 'forward' },
    );
    expect(() => assertValidGraph({ ...joint, nodes: [...joint.nodes, extra] }, 'fuse')).toThrow(
      /invalid IR for 'mnist_mlp' after fuse/,
    );
  });
});

describe('explainGraph', () => {
  it('writes the classic equations for the MNIST MLP', () => {
    const text = explainGraph(compileSpec(exampleSpec('mnist_mlp')).joint);
    expect(text).toContain('∂L/∂fc2 = (probs − onehot(y))/n');
    expect(text).toContain("∂L/∂fc1.weight = xᵀ · ((∂L/∂fc2 · fc2.weightᵀ) ⊙ relu'(fc1))");
    expect(text).toContain('∂L/∂fc2.bias = Σ_rows ∂L/∂fc2');
  });

  it('writes fan-in sums in parentheses', () => {
    const text = explainGraph(compileSpec(exampleSpec('residual_mlp')).joint);
    expect(text).toContain('∂L/∂h0 = (∂L/∂branch_fc · branch_fc.weightᵀ) + ∂L/∂join');
    expect(text).toMatch(/∂L\/∂stem\.weight = xᵀ · \(\(.* \+ \(∂L\/∂head · head\.weightᵀ\)\) ⊙ relu'\(stem\)\)/);
  });

  it('has one equation per parameter on random specs', () => {
    fc.assert(
      fc.property(randomSpec({ maxWidth: 6 }), (spec) => {
        const { joint } = compileSpec(spec);
        const text = explainGraph(joint);
        for (const p of joint.nodes.filter((n) => n.op === 'param')) expect(text).toContain(`  ∂L/∂${p.name} = `);
      }),
      { numRuns: 50, seed: 3 },
    );
  });
});
