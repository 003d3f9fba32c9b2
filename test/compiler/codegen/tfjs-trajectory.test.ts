// The emitted float32 training step against TensorFlow.js (4.22, cpu backend) over a whole
// trajectory: the MNIST MLP from the same initial weights, trained 20 steps on the same batch
// with SGD and with Adam, gives the same loss at every step (1e-4 relative).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainSpec } from '../../../compiler/frontend/graph-spec.js';
import { exampleSpec } from '../../support/examples.js';
import { relErr } from '../../support/gradcheck.js';
import { rng } from '../../support/rng.js';
import { tfLoss, tfVariables } from '../../support/tfjs-model.js';
import { compiledModel, randomBatch, recordMismatches } from './support.js';

const STEPS = 20;
const BATCH = 32;
const TOL = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/**
 * Final weights are compared too (to 1e-5; every weight here is below 1 in magnitude) under SGD only:
 * Adam divides by √v, so a gradient entry that is rounding noise in both runs still moves its
 * weight by about lr, differently in each; the losses stay equal, the weights need not.
 */
const optimizers: [string, TrainSpec, () => tf.Optimizer, number | undefined][] = [
  ['sgd', { optimizer: 'sgd', lr: 0.1 }, () => tf.train.sgd(0.1), 1e-5],
  [
    'adam',
    { optimizer: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    () => tf.train.adam(0.001, 0.9, 0.999, 1e-8),
    undefined,
  ],
];

describe('emitted float32 training follows TensorFlow.js for 20 steps (mnist_mlp)', () => {
  it.each(optimizers)('%s', async (_label, train, makeOptimizer, weightTol) => {
    const spec = exampleSpec('mnist_mlp');
    const { compiled, model } = await compiledModel(spec, { dtype: 'f32', train }, 11);
    const { inputs, targets } = randomBatch(compiled.graph, BATCH, rng(5), 'f32');
    const shapes = Object.fromEntries(
      compiled.graph.nodes.filter((n) => n.role === 'param').map((n) => [n.name, n.type.shape.map(Number)]),
    );
    // tfVariables copies: the module's initial weights become tfjs's initial weights.
    const vars = tfVariables(model.params, shapes);
    const [xData, yData] = [inputs['x'], targets['y']];
    if (!(xData instanceof Float32Array) || !(yData instanceof Int32Array))
      throw new Error('mnist_mlp feeds x (floats) and y (class indices)');
    const x = tf.tensor2d(xData, [BATCH, 784]);
    const y = tf.tensor1d(yData, 'int32');
    const optimizer = makeOptimizer();

    const ours: number[] = [];
    const theirs: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      ours.push(model.trainStep(inputs, targets));
      const loss = optimizer.minimize(() => tfLoss(spec, vars, x, y), true, Object.values(vars));
      theirs.push(loss?.dataSync()[0] ?? Number.NaN);
      loss?.dispose();
    }
    const off = ours
      .map((l, k) => ({ step: k, ours: l, tfjs: theirs[k] ?? Number.NaN }))
      .filter((s) => !(relErr(s.ours, s.tfjs) <= TOL));
    expect(off).toEqual([]);
    // A trajectory that went nowhere would match trivially: training must have reduced the loss.
    expect(ours[STEPS - 1]).toBeLessThan(0.8 * (ours[0] ?? 0));
    if (weightTol !== undefined) {
      const tol = { rel: 0, abs: weightTol };
      expect(
        recordMismatches(
          model.params,
          Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.dataSync()])),
          'weight',
          tol,
        ),
      ).toEqual([]);
    }
    optimizer.dispose();
    tf.dispose([x, y, ...Object.values(vars)]);
  });
});
