// The training loop over a loaded model: seeded shuffling per epoch, batches through the
// generated `trainStep`, per-epoch train/validation loss and accuracy, divergence detection,
// and resumable state (params + optimizer state + epoch + RNG position), so that training
// 2 epochs gives bit-identical weights to training 1 and resuming for 1.
import { performance } from 'node:perf_hooks';
import { randomShift, type ShiftOptions } from './augment.js';
import { RuntimeError } from './errors.js';
import { Batcher, decideClasses, type ModelIO } from './feed.js';
import type { Dataset } from './datasets/dataset.js';
import type { GeneratedModel, ModelState } from './model.js';
import { Rng, permutation } from './rng.js';

export interface EpochMetrics {
  /** 1-based. */
  readonly epoch: number;
  /** Mean loss over the epoch's training rows (each step's loss, before its update). */
  readonly trainLoss: number;
  /** Running accuracy: each batch predicted just before its update. */
  readonly trainAccuracy: number;
  readonly valLoss: number | null;
  readonly valAccuracy: number | null;
  readonly steps: number;
  /** Time in training steps only (the steps/s figure); validation is not included. */
  readonly trainSeconds: number;
  readonly stepsPerSecond: number;
}

/** Everything needed to continue a run exactly where it stopped. */
export interface TrainState {
  /** Epochs completed. */
  readonly epoch: number;
  /** The shuffling RNG's position after that epoch. */
  readonly rngState: number;
  readonly model: ModelState;
  readonly history: readonly EpochMetrics[];
}

export interface StepProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based step within the epoch. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** Running means over the epoch so far. */
  readonly loss: number;
  readonly accuracy: number;
  readonly seconds: number;
}

export interface TrainCallbacks {
  onEpochStart?(epoch: number, epochs: number, stepsPerEpoch: number): void;
  onStep?(p: StepProgress): void;
  /** After a good epoch (finite loss and weights): the place to write a checkpoint. */
  onEpochEnd?(metrics: EpochMetrics, state: TrainState): void;
}

export interface TrainOptions {
  /** Total epochs, counting those already done when resuming. */
  readonly epochs: number;
  readonly batchSize: number;
  /** Seeds the shuffling (the model's init seed is given to createModel). */
  readonly seed: number;
  readonly train: Dataset;
  readonly val?: Dataset;
  readonly resume?: TrainState;
  readonly callbacks?: TrainCallbacks;
  /** Random translations of training images (never applied to validation rows). */
  readonly augment?: ShiftOptions;
}

export interface Divergence {
  readonly epoch: number;
  /** 1-based step in that epoch, or null when found at the epoch end. */
  readonly step: number | null;
  readonly loss: number;
  /** Why: a non-finite loss or weights, or an epoch's mean loss far above the start. */
  readonly reason: 'non-finite' | 'blow-up';
  /** For `blow-up`: the start loss it is compared with. */
  readonly startLoss?: number;
}

export type TrainResult =
  | { readonly status: 'done'; readonly state: TrainState }
  | { readonly status: 'diverged'; readonly at: Divergence; readonly lastGood: TrainState | undefined };

/** What stops a run: an `AbortSignal` fits (structural, so typings need no DOM or Node types). */
export interface StopSignal {
  readonly aborted: boolean;
}

/** An interrupted run: the last completed epoch's state (undefined before the first). */
export type InterruptedResult = { readonly status: 'interrupted'; readonly lastGood: TrainState | undefined };

/**
 * The divergence rule for finite losses: an epoch whose mean training loss exceeds
 * max(BLOW_UP_FACTOR × start, start + 1) has diverged, where `start` is the loss of the run's
 * first step (the first epoch's mean when resuming). A clamped loss that saturates (lr 1e6)
 * is caught by this, not only NaN/Inf.
 */
export const BLOW_UP_FACTOR = 10;

export function blewUp(epochLoss: number, startLoss: number): boolean {
  return epochLoss > Math.max(BLOW_UP_FACTOR * startLoss, startLoss + 1);
}

export interface Evaluation {
  /** Mean loss (NaN when `withLoss` is false). */
  readonly loss: number;
  readonly accuracy: number;
  readonly predictions: Int32Array;
}

/** Shuffling uses its own stream derived from the seed (the split uses another). */
export function shuffleRng(seed: number): Rng {
  return new Rng(seed ^ 0x2545f491);
}

function paramsFinite(model: GeneratedModel): boolean {
  for (const p of Object.values(model.params)) {
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i]!)) return false;
  }
  return true;
}

/**
 * Predicts every row of `ds` in order (and the mean loss, via `lossAndGrads`, which fills the
 * gradients but never updates the weights). For a fixed-batch model the last partial batch is
 * zero-padded: its predictions count, its loss does not.
 */
export function evaluate(
  model: GeneratedModel,
  io: ModelIO,
  ds: Dataset,
  batchSize: number,
  withLoss = true,
): Evaluation {
  const batcher = new Batcher(io, batchSize);
  const order = identity(ds.numRows);
  const predictions = new Int32Array(ds.numRows);
  let lossSum = 0;
  let lossRows = 0;
  for (let start = 0; start < ds.numRows; start += batcher.capacity) {
    const count = Math.min(batcher.capacity, ds.numRows - start);
    const batch = batcher.fill(ds, order, start, count);
    const out = model.forward(batch.inputs)[io.outputName];
    if (out === undefined) throw new Error(`model '${io.model}' returned no output '${io.outputName}'`);
    decideClasses(io, out, count, predictions, start);
    if (withLoss && (io.fixedBatch === null || count === batcher.capacity)) {
      lossSum += model.lossAndGrads(batch.inputs, batch.targets) * count;
      lossRows += count;
    }
  }
  let hits = 0;
  for (let i = 0; i < ds.numRows; i++) if (predictions[i] === ds.labels[i]) hits++;
  return { loss: lossRows > 0 ? lossSum / lossRows : Number.NaN, accuracy: hits / ds.numRows, predictions };
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Trains `model` in place. Never throws for a diverging run: it reports it with the last good state. */
export function train(model: GeneratedModel, io: ModelIO, options: TrainOptions): TrainResult {
  const steps = trainSteps(model, io, options);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/**
 * `train` that gives the event loop a turn every `yieldMs` (so SIGINT handlers run) and stops
 * between two steps once `signal` is aborted. The step in flight finishes; the epoch it belongs
 * to is abandoned, so the result is the last completed epoch, exactly as a checkpoint holds it.
 */
export async function trainInterruptible(
  model: GeneratedModel,
  io: ModelIO,
  options: TrainOptions & { readonly signal: StopSignal; readonly yieldMs?: number },
): Promise<TrainResult | InterruptedResult> {
  const yieldMs = options.yieldMs ?? 50;
  const steps = trainSteps(model, io, options);
  let last = performance.now();
  let lastGood: TrainState | undefined = options.resume;
  for (;;) {
    if (options.signal.aborted) return { status: 'interrupted', lastGood };
    const r = steps.next();
    if (r.done === true) return r.value;
    lastGood = r.value;
    if (performance.now() - last >= yieldMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
  }
}

/** The loop itself; yields the last completed epoch's state after every step. */
function* trainSteps(
  model: GeneratedModel,
  io: ModelIO,
  options: TrainOptions,
): Generator<TrainState | undefined, TrainResult> {
  const { epochs, batchSize, train: data, val, resume, callbacks } = options;
  const rng = shuffleRng(options.seed);
  let history: EpochMetrics[] = [];
  let lastGood: TrainState | undefined;
  if (resume) {
    model.loadParams(resume.model);
    rng.setState(resume.rngState);
    history = [...resume.history];
    lastGood = resume;
  }
  const batcher = new Batcher(io, batchSize);
  const size = batcher.capacity;
  const transform = options.augment ? randomShift(options.augment, rng) : undefined;
  // A fixed-batch model cannot take a short batch: the remainder of each epoch is skipped
  // (a different remainder every epoch, since the order is reshuffled).
  const stepsPerEpoch = io.fixedBatch === null ? Math.ceil(data.numRows / size) : Math.floor(data.numRows / size);
  if (stepsPerEpoch === 0) {
    throw new RuntimeError(
      `${data.source} has ${data.numRows} training rows, fewer than model '${io.model}''s fixed batch of ${size}`,
      'compile without --batch (any batch size) or use more data',
    );
  }
  const predictions = new Int32Array(size);
  // The loss the run started from (see BLOW_UP_FACTOR).
  let startLoss: number | undefined = resume?.history[0]?.trainLoss;

  for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= epochs; epoch++) {
    callbacks?.onEpochStart?.(epoch, epochs, stepsPerEpoch);
    const order = permutation(data.numRows, rng);
    let lossSum = 0;
    let hits = 0;
    let seen = 0;
    const t0 = performance.now();
    for (let step = 0; step < stepsPerEpoch; step++) {
      const start = step * size;
      const count = Math.min(size, data.numRows - start);
      const batch = batcher.fill(data, order, start, count, transform);
      const out = model.forward(batch.inputs)[io.outputName];
      if (out !== undefined) {
        decideClasses(io, out, count, predictions, 0);
        for (let i = 0; i < count; i++) if (predictions[i] === data.labels[order[start + i]!]) hits++;
      }
      const loss = model.trainStep(batch.inputs, batch.targets);
      if (!Number.isFinite(loss))
        return { status: 'diverged', at: { epoch, step: step + 1, loss, reason: 'non-finite' }, lastGood };
      startLoss ??= loss;
      lossSum += loss * count;
      seen += count;
      callbacks?.onStep?.({
        epoch,
        epochs,
        step: step + 1,
        stepsPerEpoch,
        loss: lossSum / seen,
        accuracy: hits / seen,
        seconds: (performance.now() - t0) / 1000,
      });
      yield lastGood;
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    // trainStep returns the loss *before* its update, so the last update can still blow up.
    if (!paramsFinite(model))
      return { status: 'diverged', at: { epoch, step: null, loss: Number.NaN, reason: 'non-finite' }, lastGood };
    if (blewUp(lossSum / seen, startLoss ?? Number.POSITIVE_INFINITY)) {
      const at = { epoch, step: null, loss: lossSum / seen, reason: 'blow-up', startLoss: startLoss ?? 0 } as const;
      return { status: 'diverged', at, lastGood };
    }
    const v = val ? evaluate(model, io, val, size) : undefined;
    const metrics: EpochMetrics = {
      epoch,
      trainLoss: lossSum / seen,
      trainAccuracy: hits / seen,
      valLoss: v ? v.loss : null,
      valAccuracy: v ? v.accuracy : null,
      steps: stepsPerEpoch,
      trainSeconds,
      stepsPerSecond: stepsPerEpoch / trainSeconds,
    };
    history.push(metrics);
    lastGood = { epoch, rngState: rng.state, model: model.toJSON(), history: [...history] };
    callbacks?.onEpochEnd?.(metrics, lastGood);
  }
  if (!lastGood) {
    // Nothing to do (already trained for `epochs`): the current weights are the result.
    lastGood = { epoch: resume?.epoch ?? 0, rngState: rng.state, model: model.toJSON(), history };
  }
  return { status: 'done', state: lastGood };
}
