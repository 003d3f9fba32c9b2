// Classifying rows with a trained model: the class per row and the model's probability for it.
import { Batcher, decideClasses, type ModelIO } from './feed.js';
import type { Dataset } from './datasets/dataset.js';
import type { GeneratedModel } from './model.js';

export interface Predictions {
  readonly classes: Int32Array;
  /** The output's probability of the predicted class (softmax value, or p / 1−p for a sigmoid). */
  readonly confidence: Float64Array;
}

export function predictRows(model: GeneratedModel, io: ModelIO, ds: Dataset, batchSize: number): Predictions {
  const batcher = new Batcher(io, batchSize);
  const order = Int32Array.from({ length: ds.numRows }, (_, i) => i);
  const classes = new Int32Array(ds.numRows);
  const confidence = new Float64Array(ds.numRows);
  const w = io.outputWidth;
  for (let start = 0; start < ds.numRows; start += batcher.capacity) {
    const count = Math.min(batcher.capacity, ds.numRows - start);
    const out = model.forward(batcher.fill(ds, order, start, count).inputs)[io.outputName];
    if (out === undefined) throw new Error(`model '${io.model}' returned no output '${io.outputName}'`);
    decideClasses(io, out, count, classes, start);
    for (let r = 0; r < count; r++) {
      const c = classes[start + r]!;
      confidence[start + r] = w === 1 ? (c === 1 ? out[r]! : 1 - out[r]!) : out[r * w + c]!;
    }
  }
  return { classes, confidence };
}
