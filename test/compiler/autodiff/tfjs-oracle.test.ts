// TensorFlow.js (4.22, cpu backend) as an independent oracle, in float32: the loss and every
// parameter gradient of each example MLP from the same weights and batch, and five optimizer
// steps of SGD, momentum and Adam against tfjs's optimizers.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { interpret } from '../../../compiler/interp/interpret.js';
import type { Graph } from '../../../compiler/ir/types.js';
import type { GraphSpec, TrainSpec } from '../../../compiler/frontend/graph-spec.js';
import { randomFeeds, randomParams } from '../../support/data.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { rng } from '../../support/rng.js';
import { tfLoss, tfVariables } from '../../support/tfjs-model.js';

const TOL = 1e-5;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** max |a − e| / max(‖e‖∞, 1): relative to the tensor's scale, so tiny entries cannot dominate. */
function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)));
    scale = Math.max(scale, Math.abs(expected[i] ?? 0));
  }
  return diff / Math.max(scale, 1);
}

interface Case {
  readonly forward: Graph;
  readonly joint: Graph;
  readonly params: Record<string, Float32Array>;
  readonly feeds: Record<string, Float32Array | Int32Array>;
  readonly shapes: Record<string, number[]>;
}

function setup(spec: GraphSpec, batch: number, seed: number, train?: TrainSpec): Case {
  const { forward, joint } = compileSpec(spec, { dtype: 'f32', ...(train === undefined ? {} : { train }) });
  const r = rng(seed);
  const params = Object.fromEntries(
    Object.entries(randomParams(forward, r)).map(([k, v]) => [k, Float32Array.from(v)]),
  );
  const feeds = Object.fromEntries(
    Object.entries(randomFeeds(forward, batch, r)).map(([k, v]) => [
      k,
      v instanceof Int32Array ? v : Float32Array.from(v),
    ]),
  );
  const shapes = Object.fromEntries(
    forward.nodes.filter((n) => n.op === 'param').map((n) => [n.name, n.type.shape.map(Number)]),
  );
  return { forward, joint, params, feeds, shapes };
}

function tfBatch(spec: GraphSpec, c: Case): { x: tf.Tensor; y: tf.Tensor } {
  const xData = c.feeds['x'];
  const yData = c.feeds['y'];
  if (xData === undefined || yData === undefined) throw new Error('feeds missing');
  const width = Number(spec.inputs['x']?.[1]);
  const x = tf.tensor2d(Float32Array.from(xData), [xData.length / width, width]);
  const yShape = spec.targets?.['y'] ?? [null];
  const y =
    yData instanceof Int32Array
      ? tf.tensor1d(yData, 'int32')
      : tf.tensor2d(yData, [xData.length / width, Number(yShape[1])]);
  return { x, y };
}

describe('tfjs oracle: loss and gradients (float32)', () => {
  it.each([...exampleSpecs().keys()])('%s', (name) => {
    const spec = exampleSpec(name);
    const c = setup(spec, 16, name.length * 7 + 1);
    const ours = interpret(c.joint, { feeds: c.feeds, params: c.params });
    const vars = tfVariables(c.params, c.shapes);
    const { x, y } = tfBatch(spec, c);
    const { value, grads } = tf.variableGrads(() => tfLoss(spec, vars, x, y), Object.values(vars));
    const theirs = value.dataSync()[0] ?? Number.NaN;
    expect(Math.abs((ours.loss ?? 0) - theirs) / Math.max(1, Math.abs(theirs))).toBeLessThanOrEqual(TOL);
    for (const [pname, v] of Object.entries(vars)) {
      const g = grads[v.name];
      if (g === undefined) throw new Error(`tfjs has no gradient for ${pname}`);
      expect(scaledError(ours.grads[pname] ?? [], g.dataSync()), pname).toBeLessThanOrEqual(TOL);
    }
    tf.dispose([x, y, value, ...Object.values(grads), ...Object.values(vars)]);
  });
});

describe('tfjs oracle: five optimizer steps', () => {
  const trains: [string, TrainSpec, () => tf.Optimizer][] = [
    ['sgd', { optimizer: 'sgd', lr: 0.1 }, () => tf.train.sgd(0.1)],
    ['momentum', { optimizer: 'sgd', lr: 0.05, momentum: 0.9 }, () => tf.train.momentum(0.05, 0.9)],
    [
      'adam',
      { optimizer: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
      () => tf.train.adam(0.01, 0.9, 0.999, 1e-8),
    ],
  ];
  it.each(trains)('%s on iris_mlp and residual_mlp', (_label, train, makeOptimizer) => {
    for (const name of ['iris_mlp', 'residual_mlp']) {
      const spec = exampleSpec(name);
      const c = setup(spec, 8, 3, train);
      let params: Record<string, ArrayLike<number>> = c.params;
      let state: Record<string, ArrayLike<number>> = {};
      const losses: number[] = [];
      for (let step = 0; step < 5; step++) {
        const run = interpret(c.joint, { feeds: c.feeds, params, state });
        losses.push(run.loss ?? Number.NaN);
        params = run.params;
        state = run.state;
      }
      const vars = tfVariables(c.params, c.shapes);
      const { x, y } = tfBatch(spec, c);
      const optimizer = makeOptimizer();
      const tfLosses: number[] = [];
      for (let step = 0; step < 5; step++) {
        const l = optimizer.minimize(() => tfLoss(spec, vars, x, y), true, Object.values(vars));
        tfLosses.push(l?.dataSync()[0] ?? Number.NaN);
        l?.dispose();
      }
      losses.forEach((l, k) =>
        expect(Math.abs(l - (tfLosses[k] ?? 0)), `${name} loss at step ${k}`).toBeLessThanOrEqual(TOL),
      );
      for (const [pname, v] of Object.entries(vars)) {
        expect(scaledError(params[pname] ?? [], v.dataSync()), `${name} ${pname}`).toBeLessThanOrEqual(TOL);
      }
      expect(losses[4]).toBeLessThan(losses[0] ?? 0);
      optimizer.dispose();
      tf.dispose([x, y, ...Object.values(vars)]);
    }
  });
});
