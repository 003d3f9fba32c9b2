// The training worker: imports the compiled module (JavaScript from the server), trains it on the
// page's dataset in slices of a few tens of milliseconds (so pause/step messages get through and
// the page never waits on it), and reports progress, the decision-boundary grid and predictions.
import type { Dataset } from '../runtime/datasets/dataset.js';
import { Batcher, checkDataFits, decideClasses, describeModel, type ModelIO } from '../runtime/feed.js';
import type { FloatArray, GeneratedModel, ModelModule } from '../runtime/model.js';
import { permutation, Rng } from '../runtime/rng.js';
import type { FromWorker, Progress, ToWorker, TrainSettings, WorkerDataset } from './messages.js';

interface Session {
  readonly module: ModelModule;
  readonly io: ModelIO;
  readonly data: Dataset;
  readonly grid: Float32Array;
  model: GeneratedModel;
  settings: TrainSettings;
  batcher: Batcher;
  rng: Rng;
  order: Int32Array;
  /** Next row of `order` to train on. */
  cursor: number;
  epoch: number;
  lossSum: number;
  batches: number;
  last: Progress;
}

/** How long one slice of training runs before the worker looks at its messages again. */
const SLICE_MS = 30;
/** Minimum time between progress messages, and between decision-boundary redraws. */
const PROGRESS_MS = 80;
const GRID_MS = 250;

const scope = globalThis as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let session: Session | undefined;
let running = false;
/** Queued messages run one at a time, so an `init` finishes before the `run` sent after it. */
let queue: Promise<void> = Promise.resolve();

function post(message: FromWorker): void {
  scope.postMessage(message);
}

scope.onmessage = (event) => {
  queue = queue
    .then(() => handle(event.data))
    .catch((err: unknown) => {
      running = false;
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    });
};

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init':
      running = false;
      session = await createSession(message.js, message.dataset, message.settings, message.grid);
      post({ type: 'ready', outputWidth: session.io.outputWidth });
      post({ type: 'progress', progress: session.last, running: false });
      reportGrid(session);
      return;
    case 'settings':
      if (session !== undefined) {
        const batchChanged = message.settings.batchSize !== session.settings.batchSize;
        session.settings = message.settings;
        if (batchChanged) session.batcher = new Batcher(session.io, message.settings.batchSize);
      }
      return;
    case 'run':
      if (session === undefined || running) return;
      running = true;
      void trainLoop(session);
      return;
    case 'pause':
      running = false;
      if (session !== undefined) post({ type: 'progress', progress: session.last, running: false });
      return;
    case 'step':
      if (session !== undefined && !running) stepOnce(session);
      return;
    case 'reset':
      running = false;
      if (session !== undefined) {
        await resetSession(session);
        post({ type: 'progress', progress: session.last, running: false });
        reportGrid(session);
      }
      return;
    case 'predict': {
      const s = need(session);
      post({ type: 'predictions', id: message.id, classes: classify(s) });
      return;
    }
    case 'params': {
      const s = need(session);
      const params: Record<string, Float32Array> = {};
      for (const [name, values] of Object.entries(s.model.params)) params[name] = Float32Array.from(values);
      post({ type: 'params', id: message.id, params });
      return;
    }
    default:
      message satisfies never;
  }
}

function need(s: Session | undefined): Session {
  if (s === undefined) throw new Error('no model is loaded yet');
  return s;
}

async function createSession(
  js: string,
  ds: WorkerDataset,
  settings: TrainSettings,
  grid: Float32Array,
): Promise<Session> {
  const url = URL.createObjectURL(new Blob([js], { type: 'text/javascript' }));
  let module: ModelModule;
  try {
    module = (await import(/* @vite-ignore */ url)) as ModelModule;
  } finally {
    URL.revokeObjectURL(url);
  }
  const io = describeModel(module.modelInfo);
  const data: Dataset = {
    source: 'the dataset',
    features: ds.features,
    labels: ds.labels,
    numRows: ds.numRows,
    numFeatures: ds.numFeatures,
    numClasses: ds.numClasses,
    classNames: Array.from({ length: ds.numClasses }, (_, i) => String(i)),
  };
  checkDataFits(io, data);
  const s: Session = {
    module,
    io,
    data,
    grid,
    model: await newModel(module, settings.seed),
    settings,
    batcher: new Batcher(io, settings.batchSize),
    rng: new Rng(settings.seed),
    order: new Int32Array(0),
    cursor: 0,
    epoch: 0,
    lossSum: 0,
    batches: 0,
    last: { epoch: 0, loss: Number.NaN, accuracy: 0 },
  };
  await resetSession(s);
  return s;
}

/** A fresh model: through `createModelAsync` when the module has it (it compiles any WebAssembly asynchronously). */
function newModel(module: ModelModule, seed: number): Promise<GeneratedModel> | GeneratedModel {
  const withAsync = module as ModelModule & {
    readonly createModelAsync?: (options: { seed?: number }) => Promise<GeneratedModel>;
  };
  return withAsync.createModelAsync !== undefined ? withAsync.createModelAsync({ seed }) : module.createModel({ seed });
}

async function resetSession(s: Session): Promise<void> {
  s.model = await newModel(s.module, s.settings.seed);
  s.rng = new Rng(s.settings.seed);
  s.order = permutation(s.data.numRows, s.rng);
  s.cursor = 0;
  s.epoch = 0;
  s.lossSum = 0;
  s.batches = 0;
  s.last = { epoch: 0, loss: datasetLoss(s), accuracy: accuracy(s) };
}

/** Mean loss over the whole dataset with the current parameters (no update). */
function datasetLoss(s: Session): number {
  const rows = s.batcher.capacity;
  const order = Int32Array.from({ length: s.data.numRows }, (_, i) => i);
  let sum = 0;
  for (let start = 0; start < s.data.numRows; start += rows) {
    const count = Math.min(rows, s.data.numRows - start);
    const batch = s.batcher.fill(s.data, order, start, count);
    sum += s.model.lossAndGrads(batch.inputs, batch.targets) * count;
  }
  return sum / Math.max(1, s.data.numRows);
}

/** Trains one batch; returns the batch (for step mode) and its loss. */
function trainBatch(s: Session, inspect: boolean): void {
  const count = Math.min(s.batcher.capacity, s.data.numRows - s.cursor);
  const batch = s.batcher.fill(s.data, s.order, s.cursor, count);
  if (inspect) {
    const loss = s.model.lossAndGrads(batch.inputs, batch.targets);
    const outputs: Record<string, number> = {};
    for (const [name, values] of Object.entries(s.model.forward(batch.inputs))) outputs[name] = mean(values);
    const gradients: Record<string, number> = {};
    for (const [name, values] of Object.entries(s.model.grads)) gradients[name] = rms(values);
    const params: Record<string, Float32Array> = {};
    for (const [name, values] of Object.entries(s.model.params)) params[name] = Float32Array.from(values);
    const feeds: Record<string, Float32Array | Float64Array | Int32Array> = {};
    for (const [name, values] of Object.entries({ ...batch.inputs, ...batch.targets })) feeds[name] = values.slice();
    post({ type: 'step', loss, gradients, outputs, rows: count, params, feeds });
  }
  const loss = s.model.trainStep(batch.inputs, batch.targets);
  if (!Number.isFinite(loss)) {
    throw new Error(`the loss became ${loss} at epoch ${s.epoch + 1}: lower the learning rate and reset`);
  }
  s.lossSum += loss;
  s.batches += 1;
  s.cursor += count;
  if (s.cursor >= s.data.numRows) finishEpoch(s);
}

function finishEpoch(s: Session): void {
  s.epoch += 1;
  s.last = { epoch: s.epoch, loss: s.lossSum / Math.max(1, s.batches), accuracy: accuracy(s) };
  s.lossSum = 0;
  s.batches = 0;
  s.cursor = 0;
  s.order = permutation(s.data.numRows, s.rng);
}

function stepOnce(s: Session): void {
  const before = s.epoch;
  trainBatch(s, true);
  // Mid-epoch, show the batch's own loss; at an epoch's end, the epoch's figures.
  if (s.epoch === before) s.last = { ...s.last, loss: s.lossSum / Math.max(1, s.batches) };
  post({ type: 'progress', progress: s.last, running: false });
  reportGrid(s);
}

async function trainLoop(s: Session): Promise<void> {
  let lastProgress = 0;
  let lastGrid = 0;
  try {
    while (running && session === s) {
      const end = performance.now() + SLICE_MS;
      while (running && performance.now() < end) {
        const before = s.epoch;
        trainBatch(s, false);
        if (s.epoch !== before && s.epoch >= s.settings.epochs) running = false;
      }
      const now = performance.now();
      if (!running || now - lastProgress >= PROGRESS_MS) {
        post({ type: 'progress', progress: s.last, running });
        lastProgress = now;
      }
      if (!running || now - lastGrid >= GRID_MS) {
        reportGrid(s);
        lastGrid = now;
      }
      if (!running) break;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (session === s && s.epoch >= s.settings.epochs) post({ type: 'done' });
  } catch (err) {
    running = false;
    post({ type: 'progress', progress: s.last, running: false });
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

/** Predicted class of every row of the dataset. */
function classify(s: Session): Int32Array {
  const n = s.data.numRows;
  const classes = new Int32Array(n);
  const rows = s.io.fixedBatch ?? 256;
  const batcher = new Batcher(s.io, rows);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let start = 0; start < n; start += rows) {
    const count = Math.min(rows, n - start);
    const batch = batcher.fill(s.data, order, start, count);
    const out = s.model.forward(batch.inputs)[s.io.outputName];
    if (out === undefined) throw new Error(`the model has no output '${s.io.outputName}'`);
    decideClasses(s.io, out, count, classes, start);
  }
  return classes;
}

function accuracy(s: Session): number {
  const classes = classify(s);
  let right = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i] === s.data.labels[i]) right++;
  return right / Math.max(1, classes.length);
}

/** The heatmap's values: P(class 1) for two classes, else class + confidence (e.g. 2.87). */
function reportGrid(s: Session): void {
  if (s.grid.length === 0 || s.io.numFeatures !== 2 || s.io.fixedBatch !== null) return;
  const points = s.grid.length / 2;
  const values = new Float32Array(points);
  const rows = 1024;
  const w = s.io.outputWidth;
  for (let start = 0; start < points; start += rows) {
    const count = Math.min(rows, points - start);
    const x = s.grid.subarray(start * 2, (start + count) * 2);
    const out = s.model.forward({ [s.io.inputName]: x })[s.io.outputName];
    if (out === undefined) return;
    for (let r = 0; r < count; r++) values[start + r] = gridValue(out, r, w);
  }
  post({ type: 'grid', values });
}

function gridValue(out: FloatArray, row: number, width: number): number {
  if (width === 1) return out[row]!;
  if (width === 2) return out[row * 2 + 1]!;
  let best = 0;
  for (let c = 1; c < width; c++) if (out[row * width + c]! > out[row * width + best]!) best = c;
  return best + Math.min(0.999, out[row * width + best]!);
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length === 0 ? 0 : sum / values.length;
}

function rms(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return values.length === 0 ? 0 : Math.sqrt(sum / values.length);
}
