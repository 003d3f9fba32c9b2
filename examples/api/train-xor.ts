// Spec → trained model in one process: build a spec with the TypeScript builder, compile and
// load it, train it on XOR, predict. Run: node --import tsx examples/api/train-xor.ts
import { graph, load } from '../../src/index.js';

const spec = graph('xor')
  .input('x', [null, 2])
  .target('y', [null, 1])
  .linear('fc1', 8)
  .tanh('h1')
  .linear('fc2', 1)
  .sigmoid('p')
  .output('p')
  .loss('binary_cross_entropy', 'p', 'y')
  .train({ optimizer: 'adam', lr: 0.05 })
  .build();

const model = await load(spec, { seed: 1 });
const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const y = new Float32Array([0, 1, 1, 0]);
let loss = NaN;
for (let step = 0; step < 500; step++) loss = model.trainStep({ x }, { y });
const p = model.forward({ x })['p'] ?? new Float32Array();
console.log(`loss ${loss.toFixed(4)}; predictions ${Array.from(p, (v) => v.toFixed(2)).join(' ')}`);
