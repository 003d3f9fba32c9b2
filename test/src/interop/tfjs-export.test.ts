// tfjs export: every example (and random DAG specs of the ops tfjs Layers has) written as
// model.json + weights.bin, loaded by tf.loadLayersModel, predicts what chainrule's forward does.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { load } from '../../../src/api.js';
import { checkSpecValue } from '../../../src/frontend/check.js';
import { forwardGraph } from '../../../src/interop/onnx/export.js';
import { exportTfjs, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from '../../../src/interop/tfjs/export.js';
import { randomFeeds } from '../../support/data.js';
import { exampleSpecs } from '../../support/examples.js';
import { maxScaledDiff } from '../../support/onnx-oracle.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';
import { loadWritten } from '../../support/tfjs-files.js';

const BATCH = 4;
const dir = mkdtempSync(join(tmpdir(), 'chainrule-tfjs-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checked(spec: GraphSpec): GraphSpec {
  const result = checkSpecValue(spec, undefined, { dtype: 'f32' });
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.spec;
}

let count = 0;
async function tfjsGap(spec: GraphSpec, seed: number): Promise<number> {
  const model = await load(spec, { seed });
  const params = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Float32Array.from(v)]));
  const out = join(dir, `m${count++}`);
  exportTfjs(spec, params, out);
  const tfModel = await loadWritten(out);
  const graph = forwardGraph(spec);
  const feeds = randomFeeds(graph, BATCH, rng(seed));
  const inputs = graph.nodes.filter((n) => n.role === 'input');
  const xs = inputs.map((n) => tf.tensor2d(Float32Array.from(feeds[n.name] ?? []), [BATCH, Number(n.type.shape[1])]));
  const predicted = tfModel.predict(xs.length === 1 ? (xs[0] as tf.Tensor) : xs);
  const theirs = Array.isArray(predicted) ? predicted : [predicted];
  const ours = model.forward(Object.fromEntries(inputs.map((n) => [n.name, Float32Array.from(feeds[n.name] ?? [])])));
  const gaps = spec.outputs.map((name, i) => maxScaledDiff(ours[name] ?? [], theirs[i]?.dataSync() ?? []));
  tf.dispose([...xs, ...theirs]);
  tfModel.dispose();
  return Math.max(...gaps);
}

describe('tfjs export', () => {
  for (const [name, spec] of exampleSpecs()) {
    it(`${name}: tf.loadLayersModel loads it and predicts chainrule's forward to 1e-5`, async () => {
      expect(await tfjsGap(checked(spec), 5)).toBeLessThan(1e-5);
    });
  }

  const tfjsSpecs = randomSpec({ maxWidth: 10, maxDepth: 5 }).filter((s) => s.nodes.every((n) => n.op !== 'gelu'));
  fcTest.prop([tfjsSpecs, fc.integer({ min: 1, max: 1000 })], { numRuns: 15 })(
    'random DAG specs without gelu: tfjs predicts chainrule to 1e-5',
    async (spec, seed) => {
      expect(await tfjsGap(checked(spec), seed)).toBeLessThan(1e-5);
    },
  );

  it('refuses gelu (no tfjs activation loads back as the tanh form), naming the node', () => {
    const spec = checked({
      name: 'g',
      inputs: { x: [null, 2] },
      nodes: [
        { name: 'fc', op: 'linear', input: 'x', units: 2 },
        { name: 'act', op: 'gelu', input: 'fc' },
      ],
      outputs: ['act'],
    });
    const params = { 'fc.weight': new Float32Array(4), 'fc.bias': new Float32Array(2) };
    expect(() => exportTfjs(spec, params, join(dir, 'never'))).toThrow(
      /node 'act' \(gelu\) has no TensorFlow.js Layers/,
    );
  });

  it('writes a functional Model: residual add as an Add layer, Dense kernels [in, out]', () => {
    const spec = checked(exampleSpecs().get('residual_mlp') as GraphSpec);
    const params = Object.fromEntries(
      forwardGraph(spec)
        .nodes.filter((n) => n.role === 'param')
        .map((n) => [n.name, new Float32Array(n.type.shape.reduce<number>((a, d) => a * Number(d), 1))]),
    );
    const out = join(dir, 'residual');
    exportTfjs(spec, params, out);
    const json = JSON.parse(readFileSync(join(out, TFJS_MODEL_FILE), 'utf8'));
    const layers: { class_name: string; name: string }[] = json.modelTopology.config.layers;
    expect(json.modelTopology.class_name).toBe('Model');
    expect(layers.map((l) => `${l.class_name}:${l.name}`)).toEqual([
      'InputLayer:x',
      'Dense:stem',
      'Activation:h0',
      'Dense:branch_fc',
      'Activation:branch_act',
      'Add:join',
      'Dense:head',
      'Activation:probs',
    ]);
    expect(json.weightsManifest[0].weights[0]).toEqual({ name: 'stem/kernel', shape: [16, 32], dtype: 'float32' });
    expect(readFileSync(join(out, TFJS_WEIGHTS_FILE)).length).toBe(4 * (16 * 32 + 32 + 32 * 32 + 32 + 32 * 4 + 4));
  });
});
