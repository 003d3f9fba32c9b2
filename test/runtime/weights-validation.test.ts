// A weights file is untrusted input: every metadata field and every tensor is checked before a
// model sees it, and the errors say which field or tensor is wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkParams, checkRunInfo, readCheckpoint, type RunInfo, writeCheckpoint } from '../../runtime/checkpoint.js';

const good: RunInfo = {
  data: 'iris',
  seed: 1,
  valSplit: 0.2,
  batchSize: 16,
  lr: 0.1,
  epochs: 30,
  classNames: ['a', 'b', 'c'],
  standardizer: { mean: [0, 1], std: [1, 2] },
  augment: 0,
};

describe('checkRunInfo', () => {
  it('accepts what train writes', () => {
    expect(checkRunInfo('w.safetensors', good)).toEqual(good);
  });

  it.each([
    ['batchSize', 0],
    ['batchSize', -1],
    ['batchSize', 1e12],
    ['batchSize', 'abc'],
    ['batchSize', 1.5],
    ['seed', -3],
    ['valSplit', 1],
    ['lr', 0],
    ['classNames', 'abc'],
    ['standardizer', 5],
    ['standardizer', { mean: ['0', '1'], std: [1, 1] }],
    ['standardizer', { mean: [0, 1], std: [0, 0] }],
    ['standardizer', { mean: [0], std: [1, 1] }],
  ])('refuses run.%s = %j with a message naming the field', (field, value) => {
    expect(() => checkRunInfo('w.safetensors', { ...good, [field]: value })).toThrow(
      new RegExp(`w.safetensors was not written by chainrule: its metadata 'run.${field}`),
    );
  });

  it('refuses a run that is not an object', () => {
    expect(() => checkRunInfo('w.safetensors', 7)).toThrow(/'run' is not an object/);
  });
});

describe('checkParams', () => {
  const units = new Map([['fc', 4]]);
  const expected = { 'fc.weight': new Float32Array(16 * 4), 'fc.bias': new Float32Array(4) };
  const file = (over: Partial<Record<string, { data: Float32Array; shape: number[] }>> = {}) => {
    const t = {
      'fc.weight': { data: new Float32Array(64), shape: [16, 4] },
      'fc.bias': { data: new Float32Array(4), shape: [4] },
      ...over,
    };
    return {
      params: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v!.data])),
      shapes: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v!.shape])),
    };
  };

  it('accepts matching names, shapes and finite values', () => {
    expect(() => checkParams('w', file(), expected, units)).not.toThrow();
  });

  it('refuses a transposed [out, in] weight and says how to fix it', () => {
    expect(() =>
      checkParams('w', file({ 'fc.weight': { data: new Float32Array(64), shape: [4, 16] } }), expected, units),
    ).toThrow(/tensor 'fc.weight' has shape \[4, 16\] but the model's is \[16, 4\]/);
  });

  it('refuses NaN and Inf weights, naming the tensor and index', () => {
    const bias = Float32Array.from([0, 0, Number.NaN, 0]);
    expect(() => checkParams('w', file({ 'fc.bias': { data: bias, shape: [4] } }), expected, units)).toThrow(
      /tensor 'fc.bias' holds NaN at index 2/,
    );
  });

  it('refuses missing and extra tensors', () => {
    const extra = file({ __proto__x: { data: new Float32Array(1), shape: [1] } });
    expect(() => checkParams('w', extra, expected, units)).toThrow(/tensor the model lacks: __proto__x/);
    const { params, shapes } = file();
    delete params['fc.bias'];
    expect(() => checkParams('w', { params, shapes }, expected, units)).toThrow(/has no tensor 'fc.bias'/);
  });
});

describe('readCheckpoint', () => {
  // Found by `npm run fuzz`: a NaN in a checkpoint passed the reader and `train --resume` then died
  // in the module's loadParams with a bare RangeError (exit 70, "a bug in chainrule").
  it.each([
    ['a parameter', { 'fc.weight': [1, Number.NaN, 3, 4] }, {}, /tensor 'fc.weight' holds NaN at index 1/],
    [
      'optimizer state',
      { 'fc.weight': [1, 2, 3, 4] },
      { 'fc.weight.m': [0, Number.POSITIVE_INFINITY, 0, 0] },
      /tensor 'optimizer\/fc.weight.m' holds Infinity at index 1/,
    ],
  ])('refuses a non-finite value in %s, naming the tensor and index', (_, params, state, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'chainrule-ckpt-'));
    try {
      const path = join(dir, 'checkpoint.safetensors');
      const run = { ...good, standardizer: null };
      writeCheckpoint(
        path,
        { model: 'm', dtype: 'f32', run, state: { epoch: 0, rngState: 1, model: { params, state }, history: [] } },
        new Map([['fc', 2]]),
      );
      expect(() => readCheckpoint(path)).toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
