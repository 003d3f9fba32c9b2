// The TS builder produces exactly the object of the JSON examples, and build() rejects with the
// same diagnostics as the loader.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChainruleError } from '../../../compiler/diagnostics.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { graph } from '../../../src/frontend/builder.js';
import { loadSpecText } from '../../../src/frontend/load.js';

function example(name: string): unknown {
  const { $schema: _schema, ...rest } = JSON.parse(
    readFileSync(new URL(`../../../examples/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
  return rest;
}

const built: Record<string, () => GraphSpec> = {
  mnist_mlp: () =>
    graph('mnist_mlp')
      .input('x', [null, 784])
      .target('y', [null])
      .linear('fc1', 128)
      .relu('h1')
      .linear('fc2', 10)
      .softmax('probs')
      .output('probs')
      .loss('cross_entropy', 'probs', 'y')
      .train({
        optimizer: 'sgd',
        lr: 0.02,
        momentum: 0.9,
        seed: 1,
        epochs: 15,
        batchSize: 32,
        valSplit: 0.2,
        augment: 1,
      })
      .build(),
  iris_mlp: () =>
    graph('iris_mlp')
      .input('x', [null, 4])
      .target('y', [null])
      .linear('fc1', 16)
      .tanh('h1')
      .linear('fc2', 3)
      .softmax('probs')
      .output('probs')
      .loss('cross_entropy', 'probs', 'y')
      .train({ optimizer: 'adam', lr: 0.05, seed: 1 })
      .build(),
  residual_mlp: () =>
    graph('residual_mlp')
      .input('x', [null, 16])
      .target('y', [null])
      .linear('stem', 32)
      .relu('h0')
      .linear('branch_fc', 32)
      .tanh('branch_act')
      .add('join', { inputs: ['h0', 'branch_act'] })
      .linear('head', 4)
      .softmax('probs')
      .output('probs')
      .loss('cross_entropy', 'probs', 'y')
      .train({ optimizer: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, seed: 3 })
      .build(),
  spirals_mlp: () =>
    graph('spirals_mlp')
      .input('x', [null, 2])
      .target('y', [null])
      .linear('fc1', 64)
      .relu('h1')
      .linear('fc2', 64)
      .relu('h2')
      .linear('fc3', 2)
      .softmax('probs')
      .output('probs')
      .loss('cross_entropy', 'probs', 'y')
      .train({ optimizer: 'adam', lr: 0.01, seed: 1 })
      .build(),
  two_layer_sigmoid: () =>
    graph('two_layer_sigmoid')
      .input('x', [null, 3])
      .target('y', [null, 2])
      .linear('z', 4)
      .sigmoid('h')
      .linear('o', 2)
      .softmax('p')
      .output('p')
      .loss('cross_entropy', 'p', 'y')
      .train({ optimizer: 'sgd', lr: 0.5, seed: 7 })
      .build(),
  xor_mlp: () =>
    graph('xor_mlp')
      .input('x', [null, 2])
      .target('y', [null, 1])
      .linear('fc1', 8)
      .tanh('h1')
      .linear('fc2', 1)
      .sigmoid('p')
      .output('p')
      .loss('binary_cross_entropy', 'p', 'y')
      .train({ optimizer: 'adam', lr: 0.05, seed: 1 })
      .build(),
};

describe('graph() builder', () => {
  it.each(Object.keys(built))('builds examples/%s.json exactly', (name) => {
    const make = built[name];
    if (make === undefined) throw new Error(name);
    expect(make()).toStrictEqual(example(name));
  });

  it('equals what the loader returns for its JSON text', () => {
    const spec = built.residual_mlp?.();
    const loaded = loadSpecText(JSON.stringify(spec), 'r.json');
    expect(loaded.ok && loaded.spec).toStrictEqual(spec);
  });

  it('reads the previous node by default and an explicit { input } otherwise', () => {
    const spec = graph('m')
      .input('x', [null, 4])
      .linear('a', 3)
      .relu('b')
      .tanh('c', { input: 'a' })
      .add('d', { inputs: ['b', 'c'] })
      .output('d')
      .toSpec();
    expect(spec.nodes.map((n) => [n.name, n.input ?? n.inputs])).toEqual([
      ['a', 'x'],
      ['b', 'a'],
      ['c', 'a'],
      ['d', ['b', 'c']],
    ]);
  });

  it('writes optional attrs only when given', () => {
    const spec = graph('m')
      .input('x', [null, 4])
      .linear('a', 3, { bias: false })
      .leakyRelu('b', { alpha: 0.2 })
      .leakyRelu('c')
      .logSoftmax('d')
      .output('d')
      .build();
    expect(spec.nodes).toStrictEqual([
      { name: 'a', op: 'linear', input: 'x', units: 3, bias: false },
      { name: 'b', op: 'leaky_relu', input: 'a', alpha: 0.2 },
      { name: 'c', op: 'leaky_relu', input: 'b' },
      { name: 'd', op: 'log_softmax', input: 'c' },
    ]);
  });

  it('apply() builds any unary op of the registry by name, as its named method does', () => {
    const named = graph('m').input('x', [null, 4]).leakyRelu('b', { alpha: 0.2 }).tanh('c', { input: 'x' }).toSpec();
    const applied = graph('m')
      .input('x', [null, 4])
      .apply('b', 'leaky_relu', { alpha: 0.2 })
      .apply('c', 'tanh', { input: 'x' })
      .toSpec();
    expect(applied).toStrictEqual(named);
  });

  it('shares prefixes: every call returns a new builder', () => {
    const trunk = graph('m').input('x', [null, 4]).linear('a', 3);
    const one = trunk.relu('r').output('r').toSpec();
    const two = trunk.tanh('t').output('t').toSpec();
    expect(one.nodes.map((n) => n.name)).toEqual(['a', 'r']);
    expect(two.nodes.map((n) => n.name)).toEqual(['a', 't']);
  });

  it('throws a ChainruleError carrying every diagnostic with its pointer and node', () => {
    const bad = graph('m').input('x', [null, 4]).linear('a', 0).relu('b', { input: 'zz' }).output('c');
    let caught: unknown;
    try {
      bad.build();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ChainruleError);
    const diagnostics = caught instanceof ChainruleError ? caught.diagnostics : [];
    expect(diagnostics.map((d) => [d.pointer, d.node])).toEqual([
      ['/nodes/0/units', 'a'],
      ['/nodes/1/input', 'b'],
      ['/outputs/0', undefined],
    ]);
    expect(String(caught)).toContain("/nodes/1/input: error: undefined tensor 'zz' (node 'b')");
  });

  it('rejects shape mismatches found by the compiler, naming both shapes', () => {
    const bad = graph('m')
      .input('x', [null, 4])
      .linear('a', 8)
      .linear('b', 6)
      .add('j', { inputs: ['a', 'b'] })
      .output('j');
    const result = bad.check();
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.errors.map((d) => d.message).join('\n');
    expect(message).toContain('[B,8]');
    expect(message).toContain('[B,6]');
  });

  it('reports unused nodes as warnings, which do not fail build()', () => {
    const b = graph('m').input('x', [null, 4]).linear('a', 3).tanh('unused').softmax('p', { input: 'a' }).output('p');
    const result = b.check();
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => [w.severity, w.node])).toEqual([['warning', 'unused']]);
    expect(() => b.build()).not.toThrow();
  });
});
