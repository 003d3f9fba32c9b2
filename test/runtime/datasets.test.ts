import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyStandardizer,
  standardizeInPlace,
  fitStandardizer,
  loadCsv,
  loadDataset,
  loadIris,
  loadMnist,
  makeSpirals,
  makeXor,
  splitDataset,
  validateDataset,
  type Dataset,
} from '../../runtime/datasets/index.js';
import { Batcher, checkDataFits, describeModel } from '../../runtime/feed.js';
import type { ModelInfo } from '../../runtime/model.js';
import { Rng, permutation } from '../../runtime/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('built-in datasets', () => {
  it('MNIST: 10,000 digits of 784 pixels in [0, 1], about 1,000 per class', () => {
    const ds = loadMnist();
    expect(ds.numRows).toBe(10000);
    expect(ds.numFeatures).toBe(784);
    expect(ds.features).toHaveLength(10000 * 784);
    const counts = new Array<number>(10).fill(0);
    for (const y of ds.labels) counts[y]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ds.features) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect([lo, hi]).toEqual([0, 1]);
    validateDataset(ds);
  });

  it('Iris: 150 flowers, 4 features, 3 species, 50 each', () => {
    const ds = loadIris();
    expect([ds.numRows, ds.numFeatures, ds.numClasses]).toEqual([150, 4, 3]);
    expect(ds.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(ds.features.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2]);
    expect(ds.labels.filter((y) => y === 2)).toHaveLength(50);
  });

  it('XOR and spirals are seeded: same seed, same points; labels balanced', () => {
    for (const make of [makeXor, makeSpirals]) {
      const a = make({ seed: 5 });
      expect(a.features).toEqual(make({ seed: 5 }).features);
      expect(a.features).not.toEqual(make({ seed: 6 }).features);
      expect(a.labels.filter((y) => y === 1).length).toBe(a.numRows / 2);
      validateDataset(a);
    }
    // XOR: the label is the XOR of the nearest corner's coordinates.
    const x = makeXor({ seed: 1, rows: 40 });
    for (let i = 0; i < x.numRows; i++) {
      expect(x.labels[i]).toBe(Math.round(x.features[2 * i]!) ^ Math.round(x.features[2 * i + 1]!));
    }
  });

  it('rejects an unknown dataset name with the list of known ones', () => {
    expect(() => loadDataset('mnsit', { seed: 1 })).toThrow(/unknown dataset 'mnsit'/);
    try {
      loadDataset('mnsit', { seed: 1 });
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/mnist, iris, xor, spirals/);
    }
  });
});

describe('CSV files', () => {
  it('reads a header, numeric features and string labels mapped in sorted order', () => {
    const ds = loadCsv(csv('a.csv', 'x1,x2,kind\n1,2,cat\n3,4.5,ant\n\n-5e-1,6,cat\n'));
    expect(ds.featureNames).toEqual(['x1', 'x2']);
    expect(ds.classNames).toEqual(['ant', 'cat']);
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4.5, -0.5, 6]);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
    expect(Array.from(ds.rowLines!)).toEqual([2, 3, 5]);
  });

  it('takes the label column by name, and integer labels as class indices', () => {
    const ds = loadCsv(csv('b.csv', 'y,a,b\n2,1,1\n0,2,2\n'), { label: 'y' });
    expect(Array.from(ds.labels)).toEqual([2, 0]);
    expect(ds.numClasses).toBe(3);
    expect(Array.from(ds.features)).toEqual([1, 1, 2, 2]);
  });

  it('maps labels with the class names of a trained model', () => {
    const path = csv('c.csv', 'a,label\n1,virginica\n2,setosa\n');
    expect(Array.from(loadCsv(path, { classNames: ['setosa', 'versicolor', 'virginica'] }).labels)).toEqual([2, 0]);
    expect(() => loadCsv(path, { classNames: ['setosa'] })).toThrow(
      /c.csv:2: unknown class 'virginica' in column 'label'/,
    );
  });

  it('names the file and line of a row with the wrong column count', () => {
    const path = csv('d.csv', 'a,b,label\n1,2,x\n3,4,y\n5,6\n');
    expect(() => loadCsv(path)).toThrow(/d.csv:4: expected 3 columns \(as in the header\) but found 2/);
  });

  it('names the file, line and column of NaN, Inf, empty and non-numeric values', () => {
    expect(() => loadCsv(csv('e.csv', 'a,b,label\n1,2,x\n1,NaN,y\n'))).toThrow(
      /e.csv:3: column 'b' is NaN \(not a finite number\)/,
    );
    expect(() => loadCsv(csv('f.csv', 'a,b,label\n-Infinity,2,x\n'))).toThrow(/f.csv:2: column 'a' is -Infinity/);
    expect(() => loadCsv(csv('g.csv', 'a,b,label\n1,,x\n'))).toThrow(/g.csv:2: column 'b' is empty/);
    expect(() => loadCsv(csv('h.csv', 'a,b,label\n1,2,x\n1,two,x\n'))).toThrow(
      /h.csv:3: column 'b' 'two' is not a number/,
    );
    expect(() => loadCsv(csv('i.csv', 'a,b,label\n1,1e999,x\n'))).toThrow(
      /i.csv:2: column 'b' is 1e999 \(not a finite number\)/,
    );
  });

  it('reports malformed CSV, a missing label column, an empty or missing file', () => {
    expect(() => loadCsv(csv('j.csv', 'a,label\n"1,x\n'))).toThrow(/j.csv(:\d+)?: malformed CSV: Quote Not Closed/);
    expect(() => loadCsv(csv('k.csv', 'a,b\n1,2\n'), { label: 'class' })).toThrow(/k.csv:1: no column named 'class'/);
    expect(() => loadDataset(csv('l.csv', 'a,label\n'), { seed: 1 })).toThrow(/l.csv has no data rows/);
    expect(() => loadDataset(join(dir, 'absent.csv'), { seed: 1 })).toThrow(/cannot read .*absent.csv: no such file/);
  });

  it('reads an unlabelled file for prediction when it has exactly the feature columns', () => {
    const ds = loadCsv(csv('m.csv', 'a,b\n1,2\n3,4\n'), { featuresOnlyWhen: 2 });
    expect(ds.numFeatures).toBe(2);
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4]);
  });
});

function toy(n: number): Dataset {
  const features = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    features[2 * i] = i;
    features[2 * i + 1] = 10 + 2 * i;
  }
  return {
    source: 'toy',
    features,
    labels: new Int32Array(n).map((_, i) => i % 3),
    numRows: n,
    numFeatures: 2,
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
  };
}

describe('split, standardize, validate', () => {
  it('splits deterministically and stratified into disjoint parts covering every row', () => {
    const ds = toy(50); // classes of 17, 17 and 16 rows
    const a = splitDataset(ds, 0.2, 7);
    const b = splitDataset(ds, 0.2, 7);
    // round(17·0.2) + round(17·0.2) + round(16·0.2) = 3 + 3 + 3 held out
    expect([0, 1, 2].map((c) => a.val!.labels.filter((y) => y === c).length)).toEqual([3, 3, 3]);
    expect(a.train.numRows).toBe(41);
    expect(a.val!.features).toEqual(b.val!.features);
    const ids = [...a.train.features.filter((_, i) => i % 2 === 0), ...a.val!.features.filter((_, i) => i % 2 === 0)];
    expect(ids.sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const mnist = splitDataset(loadMnist(), 0.2, 1);
    expect([mnist.train.numRows, mnist.val!.numRows]).toEqual([8000, 2000]);
    expect(splitDataset(ds, 0.2, 8).val!.features).not.toEqual(a.val!.features);
    expect(splitDataset(ds, 0, 7).val).toBeUndefined();
    expect(() => splitDataset(ds, 1, 7)).toThrow(/must be in \[0, 1\)/);
  });

  it('standardizeInPlace writes what applyStandardizer returns, into the same array', () => {
    const { train } = splitDataset(toy(40), 0.25, 3);
    const s = fitStandardizer(train);
    const copy = applyStandardizer(train, s);
    const before = train.features;
    expect(standardizeInPlace(train, s).features).toBe(before);
    expect(Array.from(before)).toEqual(Array.from(copy.features));
    expect(() => standardizeInPlace(train, { mean: [0], std: [1] })).toThrow(/fitted on 1 features/);
  });

  it('standardizes with statistics fitted on the training rows only', () => {
    const { train, val } = splitDataset(toy(40), 0.25, 3);
    const s = fitStandardizer(train);
    const t = applyStandardizer(train, s);
    for (let c = 0; c < 2; c++) {
      const col = Array.from(t.features.filter((_, i) => i % 2 === c));
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      expect(mean).toBeCloseTo(0, 10);
      expect(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length).toBeCloseTo(1, 10);
    }
    const v = applyStandardizer(val!, s);
    expect(v.features[0]).toBeCloseTo((val!.features[0]! - s.mean[0]!) / s.std[0]!, 12);
    // A constant column keeps unit scale rather than dividing by zero.
    const constant = { ...toy(4), features: new Float64Array(8).fill(3) };
    expect(fitStandardizer(constant).std).toEqual([1, 1]);
  });

  it('rejects NaN features and out-of-range labels, naming the row', () => {
    const ds = toy(5);
    const nan = new Float64Array(ds.features);
    nan[7] = Number.NaN;
    expect(() => validateDataset({ ...ds, features: nan })).toThrow(/toy row 4: feature 2 is NaN/);
    expect(() => validateDataset({ ...ds, labels: Int32Array.from([0, 1, 2, 3, 0]) })).toThrow(
      /toy row 4: label 3 is out of range: there are 3 classes \(0..2\)/,
    );
  });
});

const info: ModelInfo = {
  name: 'm',
  dtype: 'f32',
  batch: null,
  inputs: { x: [null, 2] },
  targets: { y: [null] },
  outputs: { probs: [null, 3] },
  classTargets: ['y'],
  arenaBytes: 0,
};

describe('feeding a model', () => {
  it('checks the feature count and label range against the model, with both numbers', () => {
    const io = describeModel(info);
    expect(() => checkDataFits(io, loadIris())).toThrow(
      /iris has 4 features per row but model 'm' expects 2 \(input 'x'\)/,
    );
    const four: Dataset = {
      ...toy(6),
      labels: Int32Array.from([0, 1, 2, 3, 0, 1]),
      numClasses: 4,
      classNames: ['a', 'b', 'c', 'd'],
    };
    expect(() => checkDataFits(io, four)).toThrow(
      /toy row 4: label 'd' \(class 3\) is out of range: model 'm' predicts 3 classes \(0..2\)/,
    );
  });

  it('counts 1-based labels as the classes they are: labels 1..3 are 3 classes (class 0 unused)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainrule-1based-'));
    try {
      const csv = join(dir, 'one-based.csv');
      writeFileSync(csv, 'a,b,label\n1,2,1\n2,3,2\n3,4,3\n4,5,1\n');
      const two = describeModel({ ...info, outputs: { probs: [null, 2] } });
      const hint = (() => {
        try {
          checkDataFits(two, loadCsv(csv));
        } catch (err) {
          return (err as { hint?: string }).hint;
        }
        return undefined;
      })();
      expect(hint).toBe(
        'the data has 3 classes labelled 1..3, but labels are class indices from 0: renumber them 0..2 (subtract 1) and give the last linear layer 3 units, or give the last linear layer 4 units (class 0 unused)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodes labels as indices, one-hot rows or a 0/1 column', () => {
    expect(describeModel(info).targetKind).toBe('index');
    const onehot = describeModel({ ...info, targets: { y: [null, 3] }, classTargets: [] });
    expect(onehot.targetKind).toBe('onehot');
    const binary = describeModel({ ...info, targets: { y: [null, 1] }, outputs: { p: [null, 1] }, classTargets: [] });
    expect([binary.targetKind, binary.numClasses]).toEqual(['binary', 2]);
    expect(() => describeModel({ ...info, inputs: { a: [null, 1], b: [null, 1] } })).toThrow(/has 2 inputs \(a, b\)/);
    const batch = new Batcher(onehot, 4).fill(toy(3), [2, 0], 0, 2);
    expect(Array.from(batch.targets['y']!)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(Array.from(batch.inputs['x']!)).toEqual([2, 14, 0, 10]);
  });

  it('batches with a short final batch, or zero padding for a fixed-batch model', () => {
    const ds = toy(10);
    const order = permutation(10, new Rng(1));
    const io = describeModel(info);
    const b = new Batcher(io, 4);
    const sizes = [0, 4, 8].map((s) => b.fill(ds, order, s, Math.min(4, 10 - s)));
    expect(sizes.map((s) => [s.rows, s.inputs['x']!.length, s.targets['y']!.length])).toEqual([
      [4, 8, 4],
      [4, 8, 4],
      [2, 4, 2],
    ]);
    expect(Array.from(sizes[2]!.targets['y']!)).toEqual([order[8]! % 3, order[9]! % 3]);
    const fixed = new Batcher(describeModel({ ...info, batch: 4 }), 99).fill(ds, order, 8, 2);
    expect([fixed.rows, fixed.inputs['x']!.length]).toEqual([2, 8]);
    expect(Array.from(fixed.inputs['x']!.subarray(4))).toEqual([0, 0, 0, 0]);
  });
});
