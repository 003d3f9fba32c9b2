// Outgrowing one machine: train a chainrule spec with ONNX Runtime instead of the generated
// module. The whole training step (forward, loss, backward, Adam update) is one standard-op ONNX
// graph; run it in a loop here with onnxruntime-node, or ship the same file to onnxruntime for
// Python/C++/C#/Java with a GPU provider. Then bring the trained weights back into chainrule.
// Run: node --import tsx examples/api/onnx-training.ts   (needs `npm install onnxruntime-node`)
import * as ort from 'onnxruntime-node';
import {
  exportOnnxTraining,
  initialTrainingState,
  LOSS_OUTPUT,
  load,
  loadSpecFile,
  nextName,
} from '../../src/index.js';

const loaded = loadSpecFile(new URL('../xor_mlp.json', import.meta.url).pathname);
if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
const spec = loaded.spec;
const model = await load(spec, { seed: 1 }); // its seeded initialization is the starting point

const session = await ort.InferenceSession.create(exportOnnxTraining(spec));
let carried: Record<string, ort.Tensor> = {};
for (const [name, t] of Object.entries(initialTrainingState(spec, model.params))) {
  carried[name] = new ort.Tensor('float32', t.data, [...t.shape]);
}
const x = new ort.Tensor('float32', new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), [4, 2]);
const y = new ort.Tensor('float32', new Float32Array([0, 1, 1, 0]), [4, 1]);
let loss = Number.NaN;
for (let step = 0; step < 500; step++) {
  const out = await session.run({ x, y, ...carried });
  loss = Number(out[LOSS_OUTPUT]?.data[0]);
  carried = Object.fromEntries(Object.keys(carried).map((k) => [k, out[nextName(k)] as ort.Tensor]));
}

// Back home: the trained parameters into the chainrule model (or a weights.safetensors file).
const params = Object.fromEntries(Object.keys(model.params).map((k) => [k, carried[k]?.data as Float32Array]));
model.loadParams({ params });
const p = model.forward({ x: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]) })['p'] ?? new Float32Array();
console.log(`loss ${loss.toFixed(4)}; predictions ${Array.from(p, (v) => v.toFixed(2)).join(' ')}`);
