// Generated models allocate nothing per call after warm-up: 10,000 calls of `trainStep`,
// `lossAndGrads`, `forward` and `predict` on small models, measured as JS heap bytes allocated
// (what each GC freed plus the heap's growth, from v8.GCProfiler and getHeapStatistics; vitest
// workers have no `--expose-gc`, so we count allocation instead of forcing GCs).
//
// What this proves, and what not:
// - One typed array per call costs ~216 B of JS heap (the JSTypedArray and JSArrayBuffer objects;
//   the data itself lives outside the heap). A control below measures exactly that, so a kernel
//   that allocates one scratch array, or an object, a closure or a tensor, per call fails.
// - A function returning a fractional double that V8 does not inline returns it boxed as a
//   16-byte HeapNumber (docs/benchmarks.md reproduces this with a five-line loop). `trainStep` and
//   `lossAndGrads` return the loss, so they are allowed that one box: the limit is 16 B/call plus
//   slack. A 16-byte object of another kind per call (an empty `[]`) could hide in that allowance;
//   `forward` and `predict` return preallocated records and are held to < 1 B/call.
// - The arrays handed out (params, grads, state, outputs, classes) are checked to stay the same
//   objects, so the arena is not reallocated behind the caller's back.
// - Each measurement is the least of three windows: the first window can include V8 compiling
//   the measuring loop itself (tens of KB once), which is not the model's allocation; an
//   allocation per call shows in every window.
import { describe, expect, it } from 'vitest';
import type { Feed, GeneratedModel } from '../../../runtime/model.js';
import type { CompileOptions } from '../../../src/api.js';
import { exampleSpec } from '../../support/examples.js';
import { rng } from '../../support/rng.js';
import { bytesPerCall, RETURNS_A_DOUBLE, RETURNS_NO_DOUBLE } from './heap.js';
import { compiledModel, randomBatch } from './support.js';

/** Every array the model hands out, to check they are the same objects later. */
function handedOut(model: GeneratedModel, inputs: Feed): unknown[] {
  const outputs = model.forward(inputs);
  return [
    outputs,
    ...Object.values(outputs),
    ...Object.values(model.params),
    ...Object.values(model.grads),
    ...(model.predict === undefined ? [] : [model.predict(inputs)]),
  ];
}

/** Small batches keep 130,000 calls per model quick (tanh dominates these models' time). */
const ROWS = 5;
const cases: [string, string, CompileOptions][] = [
  ['iris_mlp, run-time batch', 'iris_mlp', {}],
  ['iris_mlp, fixed batch', 'iris_mlp', { batch: ROWS }],
  ['xor_mlp, run-time batch', 'xor_mlp', {}],
];

describe('generated models allocate nothing per call', () => {
  it('control: the measurement sees one Float32Array per call', () => {
    let sink: Float32Array | undefined;
    const perCall = bytesPerCall(() => {
      sink = new Float32Array(4);
    });
    expect(sink).toHaveLength(4);
    expect(perCall).toBeGreaterThan(RETURNS_A_DOUBLE);
  });

  it.each(cases)('%s: 10,000 calls of each method after warm-up', async (_label, name, options) => {
    const { compiled, model } = await compiledModel(exampleSpec(name), { dtype: 'f32', ...options }, 1);
    const { inputs, targets } = randomBatch(compiled.graph, ROWS, rng(9), 'f32');
    const before = handedOut(model, inputs);
    let loss = 0;
    const perCall = {
      trainStep: bytesPerCall(() => {
        loss = model.trainStep(inputs, targets);
      }),
      lossAndGrads: bytesPerCall(() => {
        loss = model.lossAndGrads(inputs, targets);
      }),
      forward: bytesPerCall(() => model.forward(inputs)),
      predict: bytesPerCall(() => model.predict?.(inputs)),
    };
    expect(Number.isFinite(loss)).toBe(true);
    expect(perCall.trainStep, 'trainStep B/call').toBeLessThanOrEqual(RETURNS_A_DOUBLE);
    expect(perCall.lossAndGrads, 'lossAndGrads B/call').toBeLessThanOrEqual(RETURNS_A_DOUBLE);
    expect(perCall.forward, 'forward B/call').toBeLessThan(RETURNS_NO_DOUBLE);
    expect(perCall.predict, 'predict B/call').toBeLessThan(RETURNS_NO_DOUBLE);
    const after = handedOut(model, inputs);
    expect(after.length).toBe(before.length);
    after.forEach((a, i) => expect(a, `handed-out array ${i} was replaced`).toBe(before[i]));
  });
});
