// tfjs import: models built and saved with TensorFlow.js Layers (Sequential and functional)
// import as specs computing what tfjs predicts; chainrule's tfjs export round-trips exactly;
// broken model.json files and weight shards get clear errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../../runtime/errors.js';
import { load } from '../../../src/api.js';
import { checkSpecValue } from '../../../src/frontend/check.js';
import { seededParams } from '../../../src/interop/params.js';
import type { ImportedModel } from '../../../src/interop/spec-draft.js';
import { exportTfjs } from '../../../src/interop/tfjs/export.js';
import { importTfjs } from '../../../src/interop/tfjs/import.js';
import { exampleSpecs } from '../../support/examples.js';
import { maxScaledDiff } from '../../support/onnx-oracle.js';
import { saveToDir } from '../../support/tfjs-files.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-tfjs-import-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function importDir(out: string, loss?: 'mse'): ImportedModel {
  const path = join(out, 'model.json');
  return importTfjs(path, readFileSync(path), { fallbackName: 'fallback', ...(loss !== undefined ? { loss } : {}) });
}

async function gap(imported: ImportedModel, model: tf.LayersModel, rows: number): Promise<number> {
  const width = Number(Object.values(imported.spec.inputs)[0]?.[1]);
  const x = Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i * 0.9) * 2);
  const ours = await load(imported.spec, { seed: 1 });
  ours.loadParams({ params: Object.fromEntries(Object.entries(imported.weights).map(([k, t]) => [k, t.data])) });
  const got = ours.forward({ [Object.keys(imported.spec.inputs)[0] ?? 'x']: x })[imported.spec.outputs[0] ?? ''] ?? [];
  const input = tf.tensor2d(x, [rows, width]);
  const predicted = model.predict(input) as tf.Tensor;
  const want = predicted.dataSync();
  tf.dispose([input, predicted]);
  return maxScaledDiff(got, want);
}

describe('tfjs import of models saved by tfjs Layers', () => {
  it('a Sequential Dense stack (relu, tanh, softmax activations inside Dense)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [4], activation: 'relu', name: 'hidden' }),
        tf.layers.dense({ units: 5, activation: 'tanh', name: 'hidden2' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
      ],
    });
    const out = join(dir, 'seq');
    await saveToDir(model, out);
    const imported = importDir(out);
    expect(imported.spec.nodes.map((n) => `${n.name}:${n.op}`)).toEqual([
      'hidden:linear',
      'hidden_relu:relu',
      'hidden2:linear',
      'hidden2_tanh:tanh',
      'out:linear',
      'out_softmax:softmax',
    ]);
    expect(imported.spec.loss?.op).toBe('cross_entropy');
    expect(imported.spec.name).toBe('fallback');
    expect(await gap(imported, model, 5)).toBeLessThan(1e-5);
  });

  it('a functional model with a residual Add, LeakyReLU, a bias-free Dense and a sigmoid head', async () => {
    const x = tf.input({ shape: [3], name: 'features' });
    const h = tf.layers.dense({ units: 4, name: 'stem' }).apply(x) as tf.SymbolicTensor;
    const a = tf.layers.leakyReLU({ alpha: 0.2, name: 'leaky' }).apply(h) as tf.SymbolicTensor;
    const b = tf.layers
      .dense({ units: 4, useBias: false, activation: 'tanh', name: 'branch' })
      .apply(a) as tf.SymbolicTensor;
    const j = tf.layers.add({ name: 'join' }).apply([a, b]) as tf.SymbolicTensor;
    const y = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'head' }).apply(j) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: y, name: 'residual_tfjs' });
    const out = join(dir, 'functional');
    await saveToDir(model, out);
    const imported = importDir(out);
    expect(imported.spec.name).toBe('residual_tfjs');
    expect(imported.spec.inputs).toEqual({ features: [null, 3] });
    expect(imported.spec.nodes.map((n) => n.op)).toEqual([
      'linear',
      'leaky_relu',
      'linear',
      'tanh',
      'add',
      'linear',
      'sigmoid',
    ]);
    expect(imported.spec.nodes[2]).toMatchObject({ name: 'branch', bias: false });
    expect(imported.spec.loss?.op).toBe('binary_cross_entropy');
    expect(importDir(out, 'mse').spec.loss?.op).toBe('mse');
    expect(await gap(imported, model, 4)).toBeLessThan(1e-5);
  });
});

describe('tfjs round trip: export → import', () => {
  for (const [name, raw] of exampleSpecs()) {
    it(`${name}: the same spec, byte-identical weights, re-export byte-identical`, async () => {
      const checked = checkSpecValue(raw, undefined, { dtype: 'f32' });
      if (!checked.ok) throw new Error('bad example');
      const { $schema: _schema, ...spec } = checked.spec;
      const params = await seededParams(spec, 4);
      const out = join(dir, `rt-${name}`);
      exportTfjs(spec, params, out);
      const imported = importDir(out);
      expect(imported.spec).toEqual(spec);
      for (const [key, p] of Object.entries(params)) {
        const w = imported.weights[key]?.data;
        expect(w instanceof Float32Array && Buffer.from(w.buffer).equals(Buffer.from(p.buffer)), key).toBe(true);
      }
      const again = join(dir, `rt2-${name}`);
      exportTfjs(
        imported.spec,
        Object.fromEntries(Object.entries(imported.weights).map(([k, t]) => [k, Float32Array.from(t.data)])),
        again,
      );
      expect(readFileSync(join(again, 'model.json'), 'utf8')).toBe(readFileSync(join(out, 'model.json'), 'utf8'));
      expect(readFileSync(join(again, 'weights.bin')).equals(readFileSync(join(out, 'weights.bin')))).toBe(true);
    });
  }
});

describe('tfjs import: broken files get clear errors', () => {
  const base = async (): Promise<string> => {
    const out = join(dir, `broken-${Math.random().toString(36).slice(2)}`);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'd' })] });
    await saveToDir(model, out);
    return out;
  };
  const fails = (out: string, message: RegExp): void => {
    let caught: unknown;
    try {
      importDir(out);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RuntimeError);
    expect((caught as Error).message).toMatch(message);
  };

  it('a missing weight file', async () => {
    const out = await base();
    rmSync(join(out, 'weights.bin'));
    fails(out, /cannot read weight file 'weights\.bin': no such file/);
  });
  it('a truncated weight file', async () => {
    const out = await base();
    writeFileSync(join(out, 'weights.bin'), new Uint8Array(8));
    fails(out, /the weight files end before weight 'd\/kernel'/);
  });
  it('a weight path leaving the model folder', async () => {
    const out = await base();
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    writeFileSync(join(out, 'model.json'), JSON.stringify(json));
    fails(out, /is not a file beside model\.json/);
  });
  it('not JSON', async () => {
    const out = await base();
    writeFileSync(join(out, 'model.json'), '{"modelTopology": ');
    fails(out, /model\.json is not JSON/);
  });
  it('an unsupported layer names it, its class and the supported set', async () => {
    const out = await base();
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    json.modelTopology.config.layers[0].class_name = 'Conv2D';
    writeFileSync(join(out, 'model.json'), JSON.stringify(json));
    fails(out, /layer 'd' \(Conv2D\) is not supported/);
  });
});
