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
  /** The training data's feature names (CSV header), so eval/predict match columns by name. */
  readonly featureNames?: readonly string[];
}

export interface WeightsFile {
  readonly model: string;
  readonly dtype: 'f32' | 'f64';
  readonly epoch: number;
  readonly params: Record<string, FloatArray>;
  /** Each parameter's shape as the file states it. */
  readonly shapes: Record<string, readonly number[]>;
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

/** Checks the metadata `run` record field by field: a weights file is untrusted input. */
export function checkRunInfo(path: string, value: unknown): RunInfo {
  const bad = (field: string, want: string, got?: unknown): RuntimeError =>
    notOurs(
      path,
      `its metadata 'run.${field}' must be ${want}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`,
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw notOurs(path, "its metadata 'run' is not an object");
  const r = value as Record<string, unknown>;
  const isInt = (v: unknown, lo: number, hi: number): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  if (typeof r['data'] !== 'string' || r['data'] === '') throw bad('data', 'a dataset name or path', r['data']);
  if (r['label'] !== undefined && typeof r['label'] !== 'string') throw bad('label', 'a column name', r['label']);
  if (!isInt(r['seed'], 0, 0xffffffff)) throw bad('seed', 'an integer in 0..4294967295', r['seed']);
  if (!(typeof r['valSplit'] === 'number' && r['valSplit'] >= 0 && r['valSplit'] < 1))
    throw bad('valSplit', 'a fraction in [0, 1)', r['valSplit']);
  if (!isInt(r['batchSize'], 1, MAX_BATCH)) throw bad('batchSize', `an integer in 1..${MAX_BATCH}`, r['batchSize']);
  if (!(typeof r['lr'] === 'number' && Number.isFinite(r['lr']) && r['lr'] > 0))
    throw bad('lr', 'a positive number', r['lr']);
  if (!isInt(r['epochs'], 0, MAX_EPOCHS)) throw bad('epochs', `an integer in 0..${MAX_EPOCHS}`, r['epochs']);
  const names = r['classNames'];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string') || new Set(names).size !== names.length)
    throw bad('classNames', 'a list of distinct class names');
  const features = r['featureNames'];
  if (
    features !== undefined &&
    (!Array.isArray(features) ||
      !features.every((n) => typeof n === 'string') ||
      new Set(features).size !== features.length)
  )
    throw bad('featureNames', 'a list of distinct column names');
  if (r['augment'] !== undefined && !isInt(r['augment'], 0, 64))
    throw bad('augment', 'an integer in 0..64', r['augment']);
  const s = r['standardizer'];
  if (s !== null) {
    if (typeof s !== 'object' || s === undefined || Array.isArray(s))
      throw bad('standardizer', 'null or { "mean": [...], "std": [...] }');
    const { mean, std } = s as Record<string, unknown>;
    const finite = (v: unknown): v is number[] =>
      Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!finite(mean)) throw bad('standardizer.mean', 'a list of finite numbers');
    if (!finite(std) || !std.every((x) => x > 0)) throw bad('standardizer.std', 'a list of positive finite numbers');
    if (mean.length !== std.length)
      throw bad('standardizer', `mean and std of one length (got ${mean.length} and ${std.length})`);
  }
  return r as unknown as RunInfo;
}

/** Batch sizes and epoch counts beyond these are not a run chainrule wrote. */
const MAX_BATCH = 1 << 20;
const MAX_EPOCHS = 1_000_000;

/** Reads weights (also accepts a checkpoint file; its optimizer state is ignored). */
export function readWeights(path: string): WeightsFile {
  const file = readSafetensors(path);
  const h = header(path, file);
  const params: Record<string, FloatArray> = {};
  const shapes: Record<string, readonly number[]> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) continue;
    if (t.data instanceof Int32Array) throw notOurs(path, `tensor '${name}' is I32, not a float parameter`);
    params[name] = t.data;
    shapes[name] = t.shape;
  }
  const run =
    file.metadata['run'] !== undefined
      ? checkRunInfo(path, parseJson<unknown>(path, 'run', file.metadata['run']))
      : undefined;
  return { ...h, params, shapes, run };
}

export function readCheckpoint(path: string): Checkpoint {
  const file = readSafetensors(path);
  const h = header(path, file);
  const params: Record<string, number[]> = {};
  const state: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    // Resuming loads these into the model, whose loadParams would refuse a NaN with a bare RangeError.
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new RuntimeError(
        `${path}: tensor '${name}' holds ${t.data[bad]} at index ${bad} (a checkpoint must be finite)`,
        'the file is damaged; start a new run, or resume from a copy of the checkpoint that is intact',
      );
    }
    if (name.startsWith(OPTIMIZER_PREFIX)) state[name.slice(OPTIMIZER_PREFIX.length)] = Array.from(t.data);
    else params[name] = Array.from(t.data);
  }
  const rngState = Number(file.metadata['rng_state']);
  if (!Number.isInteger(rngState)) throw notOurs(path, 'it is a weights file, not a checkpoint (no rng_state)');
  const model: ModelState = { params, state };
  return {
    model: h.model,
    run: checkRunInfo(path, parseJson<unknown>(path, 'run', file.metadata['run'])),
    state: {
      epoch: h.epoch,
      rngState,
      model,
      history: checkHistory(path, h.epoch, parseJson<unknown>(path, 'history', file.metadata['history'])),
    },
  };
}

function checkHistory(path: string, epoch: number, value: unknown): EpochMetrics[] {
  const ok =
    Array.isArray(value) &&
    value.length === epoch &&
    value.every(
      (m: unknown, i) =>
        typeof m === 'object' &&
        m !== null &&
        (m as Record<string, unknown>)['epoch'] === i + 1 &&
        typeof (m as Record<string, unknown>)['trainLoss'] === 'number',
    );
  if (!ok) throw notOurs(path, `its metadata 'history' is not a list of ${epoch} epoch records`);
  return value as EpochMetrics[];
}

/**
 * Checks trained parameters against the model they are loaded into, before anything is written
 * to it: the same names, each tensor's stated shape equal to the model's (`[in, out]`, so a
 * transposed `[out, in]` file is refused rather than loaded scrambled), every value finite.
 */
export function checkParams(
  path: string,
  w: Pick<WeightsFile, 'params' | 'shapes'>,
  expected: Readonly<Record<string, ArrayLike<number>>>,
  units: ReadonlyMap<string, number>,
): void {
  const hint = 'the spec changed since training (layer sizes or names); retrain, or use the spec the weights came from';
  for (const [name, values] of Object.entries(expected)) {
    const got = w.params[name];
    if (got === undefined) throw new RuntimeError(`${path} has no tensor '${name}'`, hint);
    const want = paramShape(name, values.length, units);
    const shape = w.shapes[name] ?? [got.length];
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
      throw new RuntimeError(
        `${path}: tensor '${name}' has shape [${shape.join(', ')}] but the model's is [${want.join(', ')}]`,
        want.length === 2 && shape[0] === want[1] && shape[1] === want[0]
          ? 'chainrule stores linear weights as [in, out]; transpose a PyTorch-style [out, in] weight before loading'
          : hint,
      );
    }
    for (let i = 0; i < got.length; i++) {
      if (!Number.isFinite(got[i]!)) {
        throw new RuntimeError(
          `${path}: tensor '${name}' holds ${got[i]} at index ${i} (weights must be finite)`,
          'the run diverged or the file is damaged; retrain with a lower learning rate',
        );
      }
    }
  }
  const extra = Object.keys(w.params).filter((n) => !Object.hasOwn(expected, n));
  if (extra.length > 0)
    throw new RuntimeError(
      `${path} has tensor${extra.length > 1 ? 's' : ''} the model lacks: ${extra.join(', ')}`,
      hint,
    );
}
