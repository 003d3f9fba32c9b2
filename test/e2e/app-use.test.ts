// A trained model in an app, in three lines: import the `.js` that `chainrule train` wrote, load
// its weights.safetensors, classify raw rows. The module applies the preprocessing recorded in
// the weights (standardizer, class names), so it must agree with `chainrule predict` row for row
// on every built-in dataset and on a CSV with named classes — a model trained on standardized
// features gives the same classes from raw inputs, never silently different ones.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../runtime/datasets/index.js';
import { cli, tempDir } from './cli-harness.js';

const dir = tempDir('app');

interface AppModel {
  loadSafetensors(bytes: Uint8Array): { readonly standardizer: object | null; readonly classNames: readonly string[] };
  classify(inputs: { readonly x: Float32Array }): string[];
}

/** The class column of `chainrule predict`'s CSV. */
function predictedClasses(csv: string): string[] {
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[1] ?? '');
}

async function trainAndCompare(
  spec: string,
  data: string,
  rows: Float32Array,
  standardized: boolean,
  extra: readonly string[] = [],
  predictData: string = data,
): Promise<void> {
  const name = spec.replace(/^.*\/|\.json$/g, '');
  const out = join(dir, name);
  const train = await cli(['train', spec, '--data', data, '--epochs', '1', '--out', out, '--no-diagrams', ...extra]);
  expect(train.stderr).toBe('');
  expect(train.code).toBe(0);
  const weights = join(out, 'weights.safetensors');
  const predict = await cli(['predict', spec, '--weights', weights, '--data', predictData]);
  expect(predict.code).toBe(0);

  // The app: three lines.
  const { createModel } = (await import(pathToFileURL(join(out, `${name}.js`)).href)) as { createModel(): AppModel };
  const model = createModel();
  const loaded = model.loadSafetensors(readFileSync(weights));
  const classes = model.classify({ x: rows });

  expect(loaded.standardizer !== null).toBe(standardized);
  expect(classes).toEqual(predictedClasses(predict.stdout));
}

describe('a trained model used from an app agrees with chainrule predict', () => {
  for (const [spec, data, standardized, extra] of [
    ['examples/iris_mlp.json', 'iris', true, []],
    ['examples/xor_mlp.json', 'xor', true, []],
    ['examples/spirals_mlp.json', 'spirals', true, []],
    // Trained on 5% of the rows (quick); predicted on all 10,000.
    ['examples/mnist_mlp.json', 'mnist', false, ['--val-split', '0.95', '--augment', '0']],
  ] as const) {
    it(`${data}: raw rows, weights file, class names`, async () => {
      const ds = loadDataset(data, { seed: 1 });
      if (data !== 'mnist') {
        await trainAndCompare(spec, data, Float32Array.from(ds.features), standardized, extra);
        return;
      }
      // MNIST: predict 300 raw digits from a CSV (loading all 10,000 again is slow).
      const rows = Float32Array.from(ds.features.subarray(0, 300 * ds.numFeatures));
      const header = Array.from({ length: ds.numFeatures }, (_, i) => `p${i}`).join(',');
      const lines = [header];
      for (let r = 0; r < 300; r++) lines.push(Array.from(rows.subarray(r * 784, (r + 1) * 784)).join(','));
      const csv = join(dir, 'digits.csv');
      writeFileSync(csv, `${lines.join('\n')}\n`);
      await trainAndCompare(spec, data, rows, standardized, extra, csv);
    }, 120_000);
  }

  it('a CSV with named classes (standardized in training)', async () => {
    const names = ['ant', 'bee', 'cat'];
    const lines = ['a,b,c,d,label'];
    const values: number[] = [];
    for (let i = 0; i < 90; i++) {
      const k = i % 3;
      const row = [10 * k + (i % 7), 100 - 20 * k + (i % 5), 0.01 * k + 0.001 * (i % 3), 500 + k];
      lines.push(`${row.join(',')},${names[k]}`);
      values.push(...row);
    }
    const csv = join(dir, 'bugs.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const spec = join(dir, 'bugs.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'bugs',
        inputs: { x: [null, 4] },
        targets: { y: [null] },
        nodes: [
          { name: 'fc1', op: 'linear', input: 'x', units: 8 },
          { name: 'h1', op: 'tanh', input: 'fc1' },
          { name: 'fc2', op: 'linear', input: 'h1', units: 3 },
          { name: 'probs', op: 'softmax', input: 'fc2' },
        ],
        outputs: ['probs'],
        loss: { op: 'cross_entropy', input: 'probs', target: 'y' },
        train: { optimizer: 'adam', lr: 0.05, seed: 1 },
      }),
    );
    await trainAndCompare(spec, csv, Float32Array.from(values), true);
  }, 120_000);
});
