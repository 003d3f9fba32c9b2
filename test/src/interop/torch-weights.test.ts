// PyTorch state_dict → chainrule weights: the three mapping rules (--map, same names, natural
// order), transposition checked against torch's own outputs, and refusals that name the tensor.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { RuntimeError } from '../../../runtime/errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../../runtime/safetensors.js';
import { load } from '../../../src/api.js';
import { importOnnx } from '../../../src/interop/onnx/import.js';
import { naturalCompare, torchWeights } from '../../../src/interop/torch-weights.js';
import { exampleSpec } from '../../support/examples.js';
import { maxScaledDiff } from '../../support/onnx-oracle.js';

const fixtures = new URL('../../fixtures/interop/', import.meta.url);

function stateDict(tensors: Record<string, { shape: number[] }>): ReturnType<typeof decodeSafetensors> {
  const full: Record<string, NamedTensor> = {};
  let k = 0;
  for (const [name, { shape }] of Object.entries(tensors)) {
    const n = shape.reduce((a, d) => a * d, 1);
    full[name] = { data: Float32Array.from({ length: n }, () => Math.sin(++k)), shape };
  }
  return decodeSafetensors(encodeSafetensors(full));
}

const IRIS_TORCH = {
  'fc1.weight': { shape: [16, 4] },
  'fc1.bias': { shape: [16] },
  'fc2.weight': { shape: [3, 16] },
  'fc2.bias': { shape: [3] },
};

function refuses(f: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RuntimeError);
  expect((caught as Error).message).toMatch(message);
}

describe('PyTorch state_dict import', () => {
  for (const name of ['torch_mlp', 'torch_flatten_gelu']) {
    it(`${name}: by order, transposed, reproduces torch's outputs (and equals the ONNX import's weights)`, async () => {
      const fromOnnx = importOnnx(readFileSync(new URL(`${name}.onnx`, fixtures)), `${name}.onnx`, {
        fallbackName: name,
      });
      const state = decodeSafetensors(readFileSync(new URL(`${name}.safetensors`, fixtures)));
      const weights = torchWeights(fromOnnx.spec, state, `${name}.safetensors`);
      for (const [key, t] of Object.entries(fromOnnx.weights)) expect(weights[key]?.data, key).toEqual(t.data);
      const expected = JSON.parse(readFileSync(new URL(`${name}.expected.json`, fixtures), 'utf8'));
      const model = await load(fromOnnx.spec, { seed: 1 });
      model.loadParams({ params: Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, t.data])) });
      const y = model.forward({ x: Float32Array.from(expected.x) })[expected.output] ?? [];
      expect(maxScaledDiff(y, expected.y)).toBeLessThan(1e-5);
    });
  }

  it('same names: fc1.weight [out, in] becomes fc1.weight [in, out]', () => {
    const state = stateDict(IRIS_TORCH);
    const w = torchWeights(exampleSpec('iris_mlp'), state, 'sd');
    expect(w['fc1.weight']?.shape).toEqual([4, 16]);
    const src = state.tensors['fc1.weight']?.data ?? [];
    for (let o = 0; o < 16; o++)
      for (let i = 0; i < 4; i++) expect(w['fc1.weight']?.data[i * 16 + o]).toBe(src[o * 4 + i]);
    expect(w['fc2.bias']?.data).toEqual(state.tensors['fc2.bias']?.data);
  });

  it('a --map file pairs nodes with module prefixes', () => {
    const state = stateDict({
      'encoder.0.weight': { shape: [16, 4] },
      'encoder.0.bias': { shape: [16] },
      'head.weight': { shape: [3, 16] },
      'head.bias': { shape: [3] },
    });
    const w = torchWeights(exampleSpec('iris_mlp'), state, 'sd', { fc1: 'encoder.0', fc2: 'head' });
    expect(w['fc2.bias']?.data).toEqual(state.tensors['head.bias']?.data);
    refuses(
      () => torchWeights(exampleSpec('iris_mlp'), state, 'sd', { fc1: 'encoder.0' }),
      /gives no module for linear node fc2/,
    );
  });

  it('natural order: layers.2 comes before layers.10', () => {
    expect(['layers.10.weight', 'layers.2.weight', 'head.weight'].sort(naturalCompare)).toEqual([
      'head.weight',
      'layers.2.weight',
      'layers.10.weight',
    ]);
    const state = stateDict({
      'layers.10.weight': { shape: [3, 16] },
      'layers.10.bias': { shape: [3] },
      'layers.2.weight': { shape: [16, 4] },
      'layers.2.bias': { shape: [16] },
    });
    expect(torchWeights(exampleSpec('iris_mlp'), state, 'sd')['fc2.weight']?.shape).toEqual([16, 3]);
  });

  it('refuses a mismatched state_dict, naming the tensor', () => {
    const spec: GraphSpec = exampleSpec('iris_mlp');
    refuses(
      () => torchWeights(spec, stateDict({ ...IRIS_TORCH, 'fc1.weight': { shape: [4, 16] } }), 'sd'),
      /'fc1\.weight' is \[4, 16\] but linear node 'fc1' needs \[16, 4\]/,
    );
    refuses(
      () => torchWeights(spec, stateDict({ ...IRIS_TORCH, 'bn.running_mean': { shape: [16] } }), 'sd'),
      /no linear node of the spec uses: bn\.running_mean/,
    );
    refuses(
      () => torchWeights(spec, stateDict({ '0.weight': { shape: [16, 4] }, '0.bias': { shape: [16] } }), 'sd'),
      /has 1 Linear weight \(0\) but the spec has 2 linear nodes/,
    );
    const { 'fc2.bias': _dropped, ...noBias } = IRIS_TORCH;
    refuses(() => torchWeights(spec, stateDict(noBias), 'sd'), /linear node 'fc2' needs 'fc2\.bias' of \[3\]/);
  });
});
