// Through the generated code: a float64 module compiled with the simplification passes computes
// the same loss and gradients (and training steps) as one compiled without them.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../compiler/ir/types.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import type { GeneratedModel } from '../../../runtime/model.js';
import { compiledModel, randomBatch } from '../codegen/support.js';
import { exampleSpec } from '../../support/examples.js';
import { rng } from '../../support/rng.js';
import { differences, opCounts } from './simplify-support.js';

const OFF = ['dce', 'cse', 'simplify'];

/** log_softmax + cross-entropy over probability rows (no example uses this head). */
const logSoftmaxRows: GraphSpec = {
  name: 'log_softmax_rows',
  inputs: { x: [null, 5] },
  targets: { y: [null, 4] },
  nodes: [
    { name: 'fc1', op: 'linear', input: 'x', units: 6 },
    { name: 'h', op: 'gelu', input: 'fc1' },
    { name: 'fc2', op: 'linear', input: 'h', units: 4 },
    { name: 'lp', op: 'log_softmax', input: 'fc2' },
  ],
  outputs: ['lp'],
  loss: { op: 'cross_entropy', input: 'lp', target: 'y' },
  train: { optimizer: 'sgd', lr: 0.1, momentum: 0.9 },
};

async function model(
  spec: GraphSpec,
  disable: readonly string[],
): Promise<{ model: GeneratedModel; graph: Graph; ops: Record<string, number> }> {
  const { compiled, model } = await compiledModel(spec, { dtype: 'f64', disable }, 5);
  return { model, graph: compiled.graph, ops: opCounts(compiled.graph) };
}

describe('generated code with and without simplification', () => {
  const cases: [string, GraphSpec, string][] = [
    ['mnist_mlp', exampleSpec('mnist_mlp'), 'softmax_cross_entropy_grad'],
    ['xor_mlp', exampleSpec('xor_mlp'), 'sigmoid_binary_cross_entropy_grad'],
    ['residual_mlp', exampleSpec('residual_mlp'), 'softmax_cross_entropy_grad'],
    ['log_softmax rows', logSoftmaxRows, 'softmax_cross_entropy_grad'],
  ];

  it.each(cases)('%s: lossAndGrads and 2 training steps agree (f64, 1e-12)', async (_name, spec, fusedOp) => {
    const [on, off] = await Promise.all([model(spec, []), model(spec, OFF)]);
    expect(on.ops[fusedOp]).toBe(1);
    expect(off.ops[fusedOp]).toBeUndefined();
    const { inputs, targets } = randomBatch(on.graph, 6, rng(3), 'f64');
    const problems: string[] = [];
    problems.push(
      ...differences([on.model.lossAndGrads(inputs, targets)], [off.model.lossAndGrads(inputs, targets)], 'loss'),
    );
    for (const key of Object.keys(off.model.grads))
      problems.push(...differences(on.model.grads[key] ?? [], off.model.grads[key] ?? [], `grad ${key}`));
    for (let step = 0; step < 2; step++)
      problems.push(
        ...differences([on.model.trainStep(inputs, targets)], [off.model.trainStep(inputs, targets)], `step ${step}`),
      );
    for (const key of Object.keys(off.model.params))
      problems.push(...differences(on.model.params[key] ?? [], off.model.params[key] ?? [], `param ${key}`));
    expect(problems).toEqual([]);
  });
});
