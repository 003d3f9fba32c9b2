// Bad data at run time: a generated module rejects wrong lengths, unknown and missing keys,
// wrong array types, NaN/±Infinity (unless `checkFinite: false`) and out-of-range class indices
// with an error that names the array, the row and the column, and it rejects them before any
// kernel runs, so parameters are never half-updated.
import { describe, expect, it } from 'vitest';
import { loadModuleSource } from '../../../runtime/load-module.js';
import type { Feed, GeneratedModel } from '../../../runtime/model.js';
import { compile, type CompileOptions } from '../../../src/api.js';
import { exampleSpec } from '../../support/examples.js';

async function model(name: string, options: CompileOptions = {}, checkFinite = true): Promise<GeneratedModel> {
  const c = compile(exampleSpec(name), options);
  const mod = await loadModuleSource(c.source, c.name);
  // `checkFinite` is an option of the generated module, beyond the runtime's structural type.
  const createOptions = { seed: 1, checkFinite };
  return mod.createModel(createOptions);
}

const f32 = (...values: number[]): Float32Array => Float32Array.from(values);
const i32 = (...values: number[]): Int32Array => Int32Array.from(values);
/** iris_mlp: 4 features per row, class indices in [0, 3). */
const irisX = (rows: number): Float32Array => Float32Array.from({ length: rows * 4 }, (_, i) => (i % 7) / 7);

function snapshot(m: GeneratedModel): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.params).map(([k, v]) => [k, Array.from(v)]));
}

describe('generated modules reject bad input with located messages', () => {
  it('wrong length with a fixed batch: the whole shape and the count', async () => {
    const m = await model('mnist_mlp', { batch: 64 });
    expect(() => m.forward({ x: new Float32Array(50000) })).toThrow(
      new RangeError('x: expected 64×784 = 50176 values, got 50000'),
    );
    expect(() => m.trainStep({ x: new Float32Array(50176) }, { y: new Int32Array(63) })).toThrow(
      new RangeError('y: expected 64 values, got 63'),
    );
    expect(m.forward({ x: new Float32Array(50176) })['probs']).toHaveLength(640);
  });

  it('wrong length with a run-time batch: whole rows, and targets matching the inputs', async () => {
    const m = await model('iris_mlp');
    expect(() => m.forward({ x: new Float32Array(10) })).toThrow(
      new RangeError('x: expected a whole number of rows of 4 values (B×4), got 10'),
    );
    expect(() => m.forward({ x: new Float32Array(0) })).toThrow(
      new RangeError('x: expected a whole number of rows of 4 values (B×4), got 0'),
    );
    expect(() => m.trainStep({ x: irisX(3) }, { y: i32(0, 1) })).toThrow(
      new RangeError('y: expected 3 values (B = 3 rows, from the first input), got 2'),
    );
    const xor = await model('xor_mlp');
    expect(() => xor.lossAndGrads({ x: f32(0, 1, 1, 0) }, { y: f32(1) })).toThrow(
      new RangeError('y: expected 2×1 = 2 values (B = 2 rows, from the first input), got 1'),
    );
  });

  it('unknown and missing keys, wrong array types', async () => {
    const m = await model('iris_mlp');
    const x = irisX(2);
    const bad = (value: unknown): Feed => value as Feed;
    expect(() => m.forward(bad({ x, z: x }))).toThrow(new TypeError("inputs: unknown key 'z' (expected 'x')"));
    expect(() => m.trainStep({ x }, bad({ y: i32(0, 1), label: i32(0, 1) }))).toThrow(
      new TypeError("targets: unknown key 'label' (expected 'y')"),
    );
    expect(() => m.forward({})).toThrow(new TypeError('x: expected a Float32Array, got nothing (missing key)'));
    expect(() => m.trainStep({ x }, {})).toThrow(new TypeError('y: expected an Int32Array, got nothing (missing key)'));
    expect(() => m.forward({ x: Float64Array.from(x) })).toThrow(
      new TypeError('x: expected a Float32Array, got Float64Array'),
    );
    expect(() => m.forward(bad({ x: Array.from(x) }))).toThrow(new TypeError('x: expected a Float32Array, got Array'));
    expect(() => m.trainStep({ x }, { y: f32(0, 1) })).toThrow(
      new TypeError('y: expected an Int32Array, got Float32Array'),
    );
    expect(() => m.forward(bad(null))).toThrow(new TypeError('inputs: expected an object of typed arrays'));
    expect(() => m.trainStep({ x }, bad(undefined))).toThrow(
      new TypeError('targets: expected an object of typed arrays'),
    );
    // A float64 module wants Float64Array.
    const m64 = await model('iris_mlp', { dtype: 'f64' });
    expect(() => m64.forward({ x })).toThrow(new TypeError('x: expected a Float64Array, got Float32Array'));
  });

  it('NaN and ±Infinity in inputs and targets: row and column of the first one', async () => {
    const m = await model('iris_mlp');
    const x = irisX(3);
    x[6] = Number.NaN; // row 1, column 2
    const hint = '(clean the data, or pass { checkFinite: false } to createModel)';
    expect(() => m.forward({ x })).toThrow(new RangeError(`x: non-finite value NaN at row 1, column 2 ${hint}`));
    expect(() => m.trainStep({ x }, { y: i32(0, 1, 2) })).toThrow(
      new RangeError(`x: non-finite value NaN at row 1, column 2 ${hint}`),
    );
    x[6] = 0;
    x[11] = -Infinity; // row 2, column 3
    expect(() => m.lossAndGrads({ x }, { y: i32(0, 1, 2) })).toThrow(
      new RangeError(`x: non-finite value -Infinity at row 2, column 3 ${hint}`),
    );
    const xor = await model('xor_mlp', { batch: 4 });
    const y = f32(0, 1, 1, 0);
    y[3] = Infinity;
    expect(() => xor.trainStep({ x: f32(0, 0, 0, 1, 1, 0, 1, 1) }, { y })).toThrow(
      new RangeError(`y: non-finite value Infinity at row 3, column 0 ${hint}`),
    );
  });

  it('checkFinite: false lets non-finite values through, but still checks class indices', async () => {
    const m = await model('iris_mlp', {}, false);
    const x = irisX(2);
    x[1] = Number.NaN;
    const probs = m.forward({ x })['probs'];
    expect(
      Array.from(probs ?? [])
        .slice(0, 3)
        .every(Number.isNaN),
    ).toBe(true);
    expect(m.lossAndGrads({ x }, { y: i32(0, 1) })).toBeNaN();
    expect(() => m.trainStep({ x }, { y: i32(0, 3) })).toThrow(
      new RangeError('y: class index 3 at row 1 is out of range [0, 3)'),
    );
  });

  it('class indices out of range', async () => {
    const m = await model('iris_mlp');
    const x = irisX(3);
    expect(() => m.trainStep({ x }, { y: i32(0, 1, 3) })).toThrow(
      new RangeError('y: class index 3 at row 2 is out of range [0, 3)'),
    );
    expect(() => m.lossAndGrads({ x }, { y: i32(-1, 1, 2) })).toThrow(
      new RangeError('y: class index -1 at row 0 is out of range [0, 3)'),
    );
    expect(m.lossAndGrads({ x }, { y: i32(0, 1, 2) })).toBeGreaterThan(0);
  });

  it('binary_cross_entropy targets outside [0, 1]: row and column; soft labels inside are fine', async () => {
    const m = await model('xor_mlp');
    const x = f32(0, 0, 1, 1);
    const bad = '(targets are probabilities: 0/1 labels or soft labels between)';
    expect(() => m.trainStep({ x }, { y: f32(0, 1.5) })).toThrow(
      new RangeError(`y: binary_cross_entropy target 1.5 at row 1 is outside [0, 1] ${bad}`),
    );
    expect(() => m.lossAndGrads({ x }, { y: f32(-1, 1) })).toThrow(
      new RangeError(`y: binary_cross_entropy target -1 at row 0 is outside [0, 1] ${bad}`),
    );
    expect(m.lossAndGrads({ x }, { y: f32(0.25, 1) })).toBeGreaterThan(0);
  });

  it('a rejected call changes nothing: parameters, optimizer state and later results are as if it never happened', async () => {
    const [m, fresh] = await Promise.all([model('iris_mlp'), model('iris_mlp')]);
    const x = irisX(3);
    const y = i32(0, 1, 2);
    const before = snapshot(m);
    const nan = irisX(3);
    nan[5] = Number.NaN;
    expect(() => m.trainStep({ x: nan }, { y })).toThrow(RangeError);
    expect(() => m.trainStep({ x }, { y: i32(0, 1, 7) })).toThrow(RangeError);
    expect(() => m.trainStep({ x: irisX(4) }, { y })).toThrow(RangeError);
    expect(snapshot(m)).toEqual(before);
    expect(m.toJSON()).toEqual(fresh.toJSON());
    expect(m.trainStep({ x }, { y })).toBe(fresh.trainStep({ x }, { y }));
    expect(snapshot(m)).toEqual(snapshot(fresh));
  });
});
