// Checkpoints and weights on disk, both safetensors (each written atomically):
//   weights.safetensors     the trained parameters (`fc1.weight` [in,out], `fc1.bias` [out]) in the
//                           model's dtype, plus metadata describing the run; readable by other tools.
//   checkpoint.safetensors  the same parameters, the optimizer state (`optimizer/fc1.weight.m`, F64),
//                           and in its metadata the epoch, RNG position and metric history, so a run
//                           resumes exactly. One file, so it is never half old and half new.
import { RuntimeError } from './errors.js';
import type { Standardizer } from './datasets/dataset.js';
import type { FloatArray, ModelState } from './model.js';
import { readSafetensors, writeSafetensors, type NamedTensor, type SafetensorsFile } from './safetensors.js';
import type { EpochMetrics, TrainState } from './train.js';

export const WEIGHTS_FILE = 'weights.safetensors';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const FORMAT = 'chainrule';
const OPTIMIZER_PREFIX = 'optimizer/';

/** How the data was prepared, so eval/predict/resume rebuild exactly the same pipeline. */
export interface RunInfo {
  /** `--data` as given: a built-in name or a CSV path. */
  readonly data: string;
  readonly label?: string;
  readonly seed: number;
  readonly valSplit: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Target epoch count of the run. */
  readonly epochs: number;
  readonly classNames: readonly string[];
  /** Fitted on the training rows; null when features are used as is. */
  readonly standardizer: Standardizer | null;
  /** Largest random image shift in pixels during training (0: no augmentation). */
  readonly augment?: number;
}

export interface WeightsFile {
  readonly model: string;
  readonly dtype: 'f32' | 'f64';
  readonly epoch: number;
  readonly params: Record<string, FloatArray>;
  readonly run: RunInfo | undefined;
}

export interface Checkpoint {
  readonly model: string;
  readonly run: RunInfo;
  readonly state: TrainState;
}

/**
 * Shape of a parameter from its flat length: `<node>.weight` is `[in, units]`, anything else 1-D.
 * `units` maps linear node names to their output width (from the spec).
 */
export function paramShape(name: string, length: number, units: ReadonlyMap<string, number>): number[] {
  const m = /^(.*)\.weight$/.exec(name);
  const u = m ? units.get(m[1]!) : undefined;
  return u !== undefined && u > 0 && length % u === 0 ? [length / u, u] : [length];
}

function paramTensors(
  params: Readonly<Record<string, ArrayLike<number>>>,
  dtype: 'f32' | 'f64',
  units: ReadonlyMap<string, number>,
): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, values] of Object.entries(params)) {
    const data = dtype === 'f32' ? Float32Array.from(values) : Float64Array.from(values);
    out[name] = { data, shape: paramShape(name, data.length, units) };
  }
  return out;
}

function baseMetadata(model: string, dtype: 'f32' | 'f64', epoch: number, run: RunInfo): Record<string, string> {
  return { format: FORMAT, model, dtype, epoch: String(epoch), run: JSON.stringify(run) };
}

export function writeWeights(
  path: string,
  w: {
    model: string;
    dtype: 'f32' | 'f64';
    epoch: number;
    params: Readonly<Record<string, ArrayLike<number>>>;
    run: RunInfo;
  },
  units: ReadonlyMap<string, number>,
): void {
  writeSafetensors(path, paramTensors(w.params, w.dtype, units), baseMetadata(w.model, w.dtype, w.epoch, w.run));
}

export function writeCheckpoint(
  path: string,
  c: { model: string; dtype: 'f32' | 'f64'; run: RunInfo; state: TrainState },
  units: ReadonlyMap<string, number>,
): void {
  const tensors = paramTensors(c.state.model.params, c.dtype, units);
  // Optimizer state in F64 whatever the model dtype: exact for f32 values and for step counters.
  for (const [key, values] of Object.entries(c.state.model.state)) {
    tensors[OPTIMIZER_PREFIX + key] = { data: Float64Array.from(values), shape: [values.length] };
  }
  writeSafetensors(path, tensors, {
    ...baseMetadata(c.model, c.dtype, c.state.epoch, c.run),
    rng_state: String(c.state.rngState),
    history: JSON.stringify(c.state.history),
  });
}

function notOurs(path: string, why: string): RuntimeError {
  return new RuntimeError(
    `${path} was not written by chainrule: ${why}`,
    'pass the weights.safetensors (or checkpoint.safetensors) from a `chainrule train --out DIR` run',
  );
}

function parseJson<T>(path: string, key: string, text: string | undefined): T {
  if (text === undefined) throw notOurs(path, `its metadata has no '${key}'`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw notOurs(path, `its metadata '${key}' is not JSON`);
  }
}

function header(path: string, file: SafetensorsFile): { model: string; dtype: 'f32' | 'f64'; epoch: number } {
  const m = file.metadata;
  if (m['format'] !== FORMAT) throw notOurs(path, 'its metadata has no `format: chainrule`');
  const dtype = m['dtype'];
  if (dtype !== 'f32' && dtype !== 'f64') throw notOurs(path, `unknown dtype ${JSON.stringify(dtype)}`);
  const epoch = Number(m['epoch']);
  if (!Number.isInteger(epoch) || epoch < 0) throw notOurs(path, 'its metadata has no valid epoch');
  return { model: m['model'] ?? '', dtype, epoch };
}

/** Reads weights (also accepts a checkpoint file; its optimizer state is ignored). */
export function readWeights(path: string): WeightsFile {
  const file = readSafetensors(path);
  const h = header(path, file);
  const params: Record<string, FloatArray> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) continue;
    if (t.data instanceof Int32Array) throw notOurs(path, `tensor '${name}' is I32, not a float parameter`);
    params[name] = t.data;
  }
  const run = file.metadata['run'] !== undefined ? parseJson<RunInfo>(path, 'run', file.metadata['run']) : undefined;
  return { ...h, params, run };
}

export function readCheckpoint(path: string): Checkpoint {
  const file = readSafetensors(path);
  const h = header(path, file);
  const params: Record<string, number[]> = {};
  const state: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) state[name.slice(OPTIMIZER_PREFIX.length)] = Array.from(t.data);
    else params[name] = Array.from(t.data);
  }
  const rngState = Number(file.metadata['rng_state']);
  if (!Number.isInteger(rngState)) throw notOurs(path, 'it is a weights file, not a checkpoint (no rng_state)');
  const model: ModelState = { params, state };
  return {
    model: h.model,
    run: parseJson<RunInfo>(path, 'run', file.metadata['run']),
    state: {
      epoch: h.epoch,
      rngState,
      model,
      history: parseJson<EpochMetrics[]>(path, 'history', file.metadata['history']),
    },
  };
}
