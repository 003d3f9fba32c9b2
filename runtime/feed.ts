// The bridge between a Dataset (features + class indices) and a generated model's named,
// typed inputs/targets: which input and target to fill, how labels are encoded for the loss
// (class indices, one-hot rows, or a 0/1 column for a sigmoid), and how outputs become classes.
import type { RowTransform } from './augment.js';
import { RuntimeError } from './errors.js';
import type { FloatArray, Feed, ModelInfo } from './model.js';
import { describeRow, type Dataset } from './datasets/dataset.js';

/** How class labels are fed to the loss. */
export type TargetKind = 'index' | 'onehot' | 'binary';

export interface ModelIO {
  readonly model: string;
  readonly dtype: 'f32' | 'f64';
  /** The compiled batch size, or null when any batch size works. */
  readonly fixedBatch: number | null;
  readonly inputName: string;
  readonly numFeatures: number;
  readonly targetName: string;
  readonly targetKind: TargetKind;
  /** The output read for predictions. */
  readonly outputName: string;
  /** Values per row of that output: the class count, or 1 for a sigmoid's probability. */
  readonly outputWidth: number;
  /** Classes the model can predict (2 for a single sigmoid column). */
  readonly numClasses: number;
}

function single(kind: string, names: readonly string[], model: string): string {
  const [name] = names;
  if (name === undefined || names.length !== 1) {
    throw new RuntimeError(
      `model '${model}' has ${names.length} ${kind}s (${names.join(', ') || 'none'}); training from a dataset needs exactly one`,
      `declare one ${kind} in the spec`,
    );
  }
  return name;
}

/** Elements per row of a `[null, …]` shape. */
function rowWidth(shape: readonly (number | null)[], what: string, model: string): number {
  if (shape[0] !== null)
    throw new RuntimeError(
      `model '${model}': ${what} has shape [${shape.join(', ')}] without a leading batch dimension (null)`,
    );
  return shape.slice(1).reduce<number>((a, d) => a * (d ?? Number.NaN), 1);
}

/** Works out how to feed a model from a dataset, from its `modelInfo` alone. */
export function describeModel(info: ModelInfo): ModelIO {
  const model = info.name;
  const inputName = single('input', Object.keys(info.inputs), model);
  const targetName = single('target', Object.keys(info.targets), model);
  const outputName = Object.keys(info.outputs)[0];
  if (outputName === undefined) throw new RuntimeError(`model '${model}' has no outputs`);
  const numFeatures = rowWidth(info.inputs[inputName]!, `input '${inputName}'`, model);
  const outputWidth = rowWidth(info.outputs[outputName]!, `output '${outputName}'`, model);
  const targetShape = info.targets[targetName]!;
  const targetWidth = rowWidth(targetShape, `target '${targetName}'`, model);
  let targetKind: TargetKind;
  if (info.classTargets.includes(targetName)) targetKind = 'index';
  else if (targetWidth === 1 && outputWidth === 1) targetKind = 'binary';
  else if (targetWidth === outputWidth && targetWidth > 1) targetKind = 'onehot';
  else {
    throw new RuntimeError(
      `model '${model}': cannot feed class labels to target '${targetName}' of shape [${targetShape.join(', ')}] ` +
        `for output '${outputName}' of width ${outputWidth}`,
      'use a [null] class-index target with a softmax output, [null, k] one-hot rows, or [null, 1] with a sigmoid output',
    );
  }
  return {
    model,
    dtype: info.dtype,
    fixedBatch: info.batch,
    inputName,
    numFeatures,
    targetName,
    targetKind,
    outputName,
    outputWidth,
    numClasses: outputWidth === 1 ? 2 : outputWidth,
  };
}

/** Feature count and label range must fit the model; says both numbers when they don't. */
export function checkDataFits(io: ModelIO, ds: Dataset): void {
  if (ds.numFeatures !== io.numFeatures) {
    throw new RuntimeError(
      `${ds.source} has ${ds.numFeatures} features per row but model '${io.model}' expects ${io.numFeatures} (input '${io.inputName}')`,
      `change the spec's input shape to [null, ${ds.numFeatures}] or pick the matching data`,
    );
  }
  for (let r = 0; r < ds.numRows; r++) {
    const y = ds.labels[r]!;
    if (y >= io.numClasses) {
      const name = ds.classNames[y];
      throw new RuntimeError(
        `${describeRow(ds, r)}: label ${name !== undefined && name !== String(y) ? `'${name}' (class ${y})` : y} is out of range: ` +
          `model '${io.model}' predicts ${io.numClasses} classes (0..${io.numClasses - 1})`,
        classCountHint(ds),
      );
    }
  }
}

/**
 * How many units the data needs. Integer labels are class indices from 0, so labels 1..3 are 3
 * classes that need 4 outputs (class 0 unused): say both, and how to renumber.
 */
export function classCountHint(ds: Dataset): string {
  const used = new Uint8Array(ds.numClasses);
  let count = 0;
  let lowest = ds.numClasses;
  for (let r = 0; r < ds.numRows; r++) {
    const y = ds.labels[r]!;
    if (y < 0 || y >= used.length || used[y] === 1) continue;
    used[y] = 1;
    count++;
    lowest = Math.min(lowest, y);
  }
  const units = `give the last linear layer ${ds.numClasses} units`;
  if (lowest === 0 || count === 0 || count === ds.numClasses) return `the data has ${ds.numClasses} classes; ${units}`;
  const highest = ds.numClasses - 1;
  return (
    `the data has ${count} classes labelled ${lowest}..${highest}, but labels are class indices from 0: ` +
    `renumber them 0..${count - 1}${count === highest - lowest + 1 ? ` (subtract ${lowest})` : ''} and give the last linear layer ${count} units, or ${units} (${lowest === 1 ? 'class 0' : `classes 0..${lowest - 1}`} unused)`
  );
}

function floatArray(dtype: 'f32' | 'f64', n: number): FloatArray {
  return dtype === 'f32' ? new Float32Array(n) : new Float64Array(n);
}

export interface Batch {
  readonly inputs: Feed;
  readonly targets: Feed;
  /** Real rows in the batch; a fixed-batch model gets zero-padded rows after them. */
  readonly rows: number;
}

/**
 * Gathers rows into preallocated buffers of the model's dtype, so the training loop allocates
 * nothing per full batch. A final partial batch is a shorter view of the same buffers, or, for
 * a model compiled with a fixed batch, zero-padded to that size.
 */
export class Batcher {
  private readonly x: FloatArray;
  private readonly y: FloatArray | Int32Array;
  private readonly full: Batch;
  readonly capacity: number;

  constructor(
    private readonly io: ModelIO,
    batchSize: number,
  ) {
    this.capacity = io.fixedBatch ?? batchSize;
    this.x = floatArray(io.dtype, this.capacity * io.numFeatures);
    this.y =
      io.targetKind === 'index'
        ? new Int32Array(this.capacity)
        : floatArray(io.dtype, this.capacity * (io.targetKind === 'onehot' ? io.numClasses : 1));
    this.full = { inputs: { [io.inputName]: this.x }, targets: { [io.targetName]: this.y }, rows: this.capacity };
  }

  /** Rows `order[start .. start+count)` of `ds`, each through `transform` when given. */
  fill(ds: Dataset, order: ArrayLike<number>, start: number, count: number, transform?: RowTransform): Batch {
    const f = this.io.numFeatures;
    const k = this.io.numClasses;
    const { x, y } = this;
    for (let i = 0; i < count; i++) {
      const r = order[start + i]!;
      if (transform) transform(ds.features, r * f, x, i * f);
      else for (let c = 0; c < f; c++) x[i * f + c] = ds.features[r * f + c]!;
      const label = ds.labels[r]!;
      switch (this.io.targetKind) {
        case 'index':
        case 'binary':
          y[i] = label;
          break;
        case 'onehot':
          for (let c = 0; c < k; c++) y[i * k + c] = c === label ? 1 : 0;
          break;
      }
    }
    if (count === this.capacity) return this.full;
    if (this.io.fixedBatch !== null) {
      x.fill(0, count * f);
      y.fill(0, count * (this.io.targetKind === 'onehot' ? k : 1));
      return { ...this.full, rows: count };
    }
    const perRow = this.io.targetKind === 'onehot' ? k : 1;
    return {
      inputs: { [this.io.inputName]: x.subarray(0, count * f) },
      targets: { [this.io.targetName]: y.subarray(0, count * perRow) },
      rows: count,
    };
  }
}

/** Class per row from the prediction output: arg-max, or p ≥ 0.5 for a single sigmoid column. */
export function decideClasses(io: ModelIO, output: FloatArray, rows: number, into: Int32Array, offset: number): void {
  const w = io.outputWidth;
  for (let r = 0; r < rows; r++) {
    if (w === 1) {
      into[offset + r] = output[r]! >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let c = 1; c < w; c++) if (output[r * w + c]! > output[r * w + best]!) best = c;
    into[offset + r] = best;
  }
}
