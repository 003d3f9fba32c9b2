// A training session, the API behind `chainrule train`, `eval`, `predict` and `demo`: compile a
// spec and load the generated module in-process, prepare a dataset (split, standardize), train
// with checkpoints, and write everything to one folder: the module, weights (safetensors), a
// resumable checkpoint, metrics.json, the training curve and the diagrams.
//
// Commands are thin layers over these functions: they parse flags, print, and pick exit codes.
// Spec problems are thrown as `ChainruleError` (located diagnostics); bad data, files or runs as
// `RuntimeError`; anything else is a bug.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChainruleError, type Diagnostic } from '../compiler/diagnostics.js';
import type { GraphSpec, TrainRecipe, TrainSpec } from '../compiler/frontend/graph-spec.js';
import { specLabels } from '../compiler/frontend/labels.js';
import { DEFAULT_TRAIN, noLossDiagnostic } from '../compiler/passes/pipeline.js';
import { makeDirs, writeFileAtomic } from '../runtime/atomic-write.js';
import type { ShiftOptions } from '../runtime/augment.js';
import { renderTrainingCurve } from '../runtime/chart.js';
import {
  CHECKPOINT_FILE,
  WEIGHTS_FILE,
  checkParams,
  readCheckpoint,
  readWeights,
  writeCheckpoint,
  writeWeights,
  type Checkpoint,
  type RunInfo,
  type WeightsFile,
} from '../runtime/checkpoint.js';
import {
  applyStandardizer,
  fitStandardizer,
  loadDataset,
  splitDataset,
  standardizeInPlace,
  type Dataset,
  type Standardizer,
} from '../runtime/datasets/index.js';
import { RuntimeError, fileProblem } from '../runtime/errors.js';
import { checkDataFits, describeModel, type ModelIO } from '../runtime/feed.js';
import { loadModuleJs, loadModuleSource } from '../runtime/load-module.js';
import type { GeneratedModel, ModelModule } from '../runtime/model.js';
import { progressReporter, type ProgressSink } from '../runtime/progress.js';
import { trainInterruptible, type EpochMetrics, type StopSignal, type TrainState } from '../runtime/train.js';
import { compile, type CompiledModel, type KernelMode } from './api.js';
import { locate } from './frontend/check.js';
import { loadSpecFile } from './frontend/load.js';
import { RECIPE_DEFAULTS } from './frontend/vocabulary.js';
import { diagramFiles, kernelClusters, type SkippedDiagram } from './render/diagram-files.js';

/** A compiled, loaded model ready to train or run. */
export interface PreparedModel {
  readonly spec: GraphSpec;
  readonly source: string;
  /** The module as JavaScript and its `.d.ts`, written beside the `.ts` so apps import it directly. */
  readonly js: string;
  readonly declarations: string;
  readonly module: ModelModule;
  readonly io: ModelIO;
  /** Linear node → units, for the `[in, out]` weight shapes written to safetensors. */
  readonly units: ReadonlyMap<string, number>;
  /** Diagram files (`forward.svg`, …) for the output folder; views too big to lay out are reported to `onSkip`. */
  readonly diagrams: (onSkip?: (skipped: SkippedDiagram) => void) => Promise<Readonly<Record<string, string>>>;
}

export interface PrepareOptions {
  /** Overrides the spec's learning rate. */
  readonly lr?: number;
  /** How the generated module computes its matmuls (default auto: per matmul, the faster backend). */
  readonly kernels?: KernelMode;
  /** Called with the spec's warnings (unused nodes, …) when it loads. */
  readonly onWarnings?: (warnings: readonly Diagnostic[]) => void;
}

/**
 * Loads and compiles `specPath` (f32) and imports the generated module. Throws a
 * `ChainruleError` with located diagnostics when the spec is unusable or has no loss.
 */
export async function prepareModel(specPath: string, options: PrepareOptions = {}): Promise<PreparedModel> {
  const loaded = loadSpecFile(specPath, { dtype: 'f32' });
  if (!loaded.ok) throw new ChainruleError([...loaded.errors, ...loaded.warnings]);
  if (loaded.warnings.length > 0) options.onWarnings?.(loaded.warnings);
  const baseTrain: TrainSpec = loaded.spec.train ?? DEFAULT_TRAIN;
  const spec: GraphSpec =
    options.lr === undefined ? loaded.spec : { ...loaded.spec, train: { ...baseTrain, lr: options.lr } };
  // A spec without a loss compiles to inference only; these commands need its training step.
  if (spec.loss === undefined) {
    throw new ChainruleError(locate([noLossDiagnostic(spec.name)], loaded.locations));
  }
  let compiled: CompiledModel;
  try {
    // The loaded spec is already checked: compile takes it as is (with the --lr override).
    compiled = compile(loaded, {
      dtype: 'f32',
      emit: 'both',
      ...(spec.train !== undefined ? { train: spec.train } : {}),
      ...(options.kernels !== undefined ? { kernels: options.kernels } : {}),
    });
  } catch (err) {
    if (err instanceof ChainruleError) throw new ChainruleError(locate(err.diagnostics, loaded.locations));
    throw err;
  }
  const module =
    compiled.js === undefined
      ? await loadModuleSource(compiled.source, spec.name)
      : await loadModuleJs(compiled.js, spec.name);
  const units = new Map(
    spec.nodes.flatMap((n) => (n.op === 'linear' && n.units !== undefined ? [[n.name, n.units] as const] : [])),
  );
  return {
    spec,
    source: compiled.source,
    js: compiled.js ?? '',
    declarations: compiled.declarations ?? '',
    module,
    io: describeModel(module.modelInfo),
    units,
    diagrams: (onSkip) =>
      diagramFiles(compiled.graph, {
        kernels: kernelClusters(compiled.graph),
        // The spec's labels (W⁽¹⁾), as compile, draw and explain show them.
        names: specLabels(spec),
        ...(onSkip === undefined ? {} : { onSkip }),
      }),
  };
}

export interface DataOptions {
  readonly data: string;
  readonly label?: string;
  readonly seed: number;
  readonly valSplit: number;
  readonly standardize: boolean;
  /** From a trained model: maps CSV labels as in training. */
  readonly classNames?: readonly string[];
  /** From a trained model: CSV columns are matched to these names. */
  readonly featureNames?: readonly string[];
  /** From a trained model: reuse instead of refitting. */
  readonly standardizer?: Standardizer | null;
}

export interface PreparedData {
  readonly all: Dataset;
  readonly train: Dataset;
  readonly val: Dataset | undefined;
  readonly standardizer: Standardizer | null;
}

/** Loads, splits (seeded) and standardizes (fitted on the training rows only) a dataset. */
export function prepareData(o: DataOptions, io: ModelIO): PreparedData {
  const all = loadDataset(o.data, {
    seed: o.seed,
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.classNames !== undefined ? { classNames: o.classNames } : {}),
    ...(o.featureNames !== undefined ? { featureNames: o.featureNames } : {}),
  });
  checkDataFits(io, all);
  const split = splitDataset(all, o.valSplit, o.seed);
  const standardizer =
    o.standardizer !== undefined ? o.standardizer : o.standardize ? fitStandardizer(split.train) : null;
  // With a validation set the split's rows are fresh copies: standardize those in place, so a big
  // CSV is held twice (loaded + split), not four times. `all` is scaled only if asked for (eval).
  const owned = split.val !== undefined;
  const scale = (ds: Dataset): Dataset =>
    standardizer === null ? ds : owned ? standardizeInPlace(ds, standardizer) : applyStandardizer(ds, standardizer);
  const train = scale(split.train);
  const val = split.val ? scale(split.val) : undefined;
  let scaledAll: Dataset | undefined;
  return {
    get all(): Dataset {
      scaledAll ??= standardizer === null ? all : applyStandardizer(all, standardizer);
      return scaledAll;
    },
    train,
    val,
    standardizer,
  };
}

export interface TrainedModel {
  readonly prepared: PreparedModel;
  readonly model: GeneratedModel;
  readonly weights: WeightsFile;
  /** The run's training data with a CSV path resolved against the weights file's folder. */
  readonly data: string | undefined;
}

/**
 * Compiles `specPath` and loads trained weights into a fresh model. Everything in the weights
 * file is checked (names, shapes, finiteness, metadata) before the model is touched.
 */
export async function loadTrained(
  specPath: string,
  weightsPath: string,
  options: PrepareOptions = {},
): Promise<TrainedModel> {
  const weights = readWeights(weightsPath);
  const prepared = await prepareModel(specPath, options);
  if (weights.model !== prepared.spec.name) {
    throw new RuntimeError(
      `${weightsPath} holds weights of model '${weights.model}', but ${specPath} is model '${prepared.spec.name}'`,
      'pass the spec the weights were trained with',
    );
  }
  if (weights.run?.standardizer && weights.run.standardizer.mean.length !== prepared.io.numFeatures) {
    throw new RuntimeError(
      `${weightsPath}: its standardizer has ${weights.run.standardizer.mean.length} features but model '${prepared.spec.name}' takes ${prepared.io.numFeatures}`,
      'pass the spec the weights were trained with',
    );
  }
  const model = prepared.module.createModel();
  checkParams(weightsPath, weights, model.params, prepared.units);
  try {
    model.loadParams({ params: weights.params });
  } catch (err) {
    throw new RuntimeError(
      `${weightsPath} does not fit ${specPath}: ${(err as Error).message}`,
      'the spec changed since training (layer sizes or names); retrain, or use the spec the weights came from',
    );
  }
  const data = weights.run !== undefined ? recordedData(weights.run.data, dirname(weightsPath)) : undefined;
  return { prepared, model, weights, data };
}

// ---------------------------------------------------------------------------------------------
// Data paths in run records: CSV paths are stored relative to the output folder (where the
// weights are), so `eval` works from any working directory and after moving both together.

function isFilePath(data: string): boolean {
  return /\.(csv|txt)$/i.test(data);
}

/** `--data` as recorded in a run written to `outDir`. */
function recordData(data: string, outDir: string): string {
  return isFilePath(data) ? relative(resolve(outDir), resolve(data)) || '.' : data;
}

/** A recorded `data` back to a usable path (older runs recorded it relative to the cwd). */
function recordedData(data: string, dir: string): string {
  if (!isFilePath(data) || isAbsolute(data)) return data;
  const beside = join(dir, data);
  return existsSync(beside) || !existsSync(data) ? beside : data;
}

// ---------------------------------------------------------------------------------------------
// The training run.

export interface TrainRunOptions {
  readonly specPath: string;
  readonly data?: string;
  readonly label?: string;
  readonly epochs?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly seed?: number;
  readonly valSplit?: number;
  readonly standardize?: boolean;
  readonly out?: string;
  readonly resume?: string;
  readonly quiet?: boolean;
  readonly diagrams?: boolean;
  /** Largest random shift (pixels) of square images during training; 0 turns it off. */
  readonly augment?: number;
  /** How the generated module computes its matmuls (default auto: per matmul, the faster backend). */
  readonly kernels?: KernelMode;
  /** Stops the run between two steps; the last completed epoch is what stays on disk. */
  readonly signal?: StopSignal;
  /** Called with the spec's warnings when it loads. */
  readonly onWarnings?: (warnings: readonly Diagnostic[]) => void;
}

export interface Divergence {
  readonly where: string;
  /** The last good epoch kept on disk (0: none). */
  readonly keptEpoch: number;
}

export interface TrainRunResult {
  /** `interrupted`: stopped by `signal`; the last completed epoch is on disk. */
  readonly status: 'done' | 'diverged' | 'interrupted';
  readonly outDir: string;
  readonly model: string;
  readonly history: readonly EpochMetrics[];
  readonly seconds: number;
  /** Whether the diagrams were written. */
  readonly diagrams: boolean;
  /** Which diagrams were left undrawn (too many nodes), when some were. */
  readonly diagramsNote?: string;
  /** The learning rate used. */
  readonly lr: number;
  /** For `diverged`: where and what was kept. */
  readonly divergence?: Divergence;
}

/** Defaults of a run, used when neither the command line nor the spec's `train` recipe sets them. */
export const TRAIN_DEFAULTS = {
  epochs: RECIPE_DEFAULTS.epochs,
  batch: RECIPE_DEFAULTS.batchSize,
  valSplit: RECIPE_DEFAULTS.valSplit,
} as const;

/** MNIST's default augmentation: digits moved by up to this many pixels each epoch. */
export const MNIST_SHIFT = 1;

/** Shift augmentation for rows that are square images, e.g. 784 = 28×28. */
function imageShift(numFeatures: number, maxShift: number): ShiftOptions | undefined {
  if (maxShift === 0) return undefined;
  const side = Math.round(Math.sqrt(numFeatures));
  if (side * side !== numFeatures) {
    throw new RuntimeError(
      `--augment shifts square images, but rows have ${numFeatures} features (not a square number)`,
      'use --augment 0 for data that are not images',
    );
  }
  return { width: side, height: side, maxShift };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What a run writes, by name (diagrams not included). */
export function outputFiles(model: string): readonly string[] {
  return [`${model}.ts`, `${model}.js`, `${model}.d.ts`, WEIGHTS_FILE, CHECKPOINT_FILE, 'metrics.json', 'curve.svg'];
}

function resumeFrom(dir: string): Checkpoint {
  return readCheckpoint(join(dir, CHECKPOINT_FILE));
}

/** A flag given on the command line must agree with the checkpoint being resumed. */
function same<T>(name: string, given: T | undefined, saved: T): T {
  if (given !== undefined && given !== saved) {
    throw new RuntimeError(
      `--${name} ${String(given)} differs from the checkpoint's ${String(saved)}`,
      `a resumed run keeps its data pipeline; drop --${name}, or start a new run without --resume`,
    );
  }
  return saved;
}

function metricsJson(model: string, run: RunInfo, history: readonly EpochMetrics[], status: string): string {
  const last = history[history.length - 1];
  // `final` leaves out timings, so two runs with the same seed have the same `final`.
  const final = last
    ? {
        epoch: last.epoch,
        trainLoss: last.trainLoss,
        trainAccuracy: last.trainAccuracy,
        valLoss: last.valLoss,
        valAccuracy: last.valAccuracy,
      }
    : null;
  return `${JSON.stringify({ model, status, run, final, epochs: history }, null, 2)}\n`;
}

/** Writes one output file; a file-system refusal becomes one located line. */
function writeOutput(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomic(path, data);
  } catch (err) {
    throw outputError(path, err);
  }
}

function outputError(path: string, err: unknown): RuntimeError {
  return new RuntimeError(
    `cannot write ${path}: ${fileProblem(err)}`,
    'pass --out with a folder you can write to (it is created if missing)',
  );
}

/** The training recipe in the spec's `train` section (CLI flags override it). */
function recipe(spec: GraphSpec): TrainRecipe {
  return spec.train ?? {};
}

/**
 * Trains a spec on a dataset and writes the run folder. Throws `ChainruleError` for an invalid
 * spec and `RuntimeError` for bad data, files or flags; a diverged or interrupted run is a
 * result (with the last good epoch on disk), not an exception.
 *
 * @example
 *   const r = await runTraining({ specPath: 'examples/iris_mlp.json', data: 'iris', epochs: 60, quiet: true });
 *   console.log(r.status, r.history.at(-1)?.valAccuracy);
 */
export async function runTraining(o: TrainRunOptions, log: ProgressSink = process.stdout): Promise<TrainRunResult> {
  const ckpt = o.resume !== undefined ? resumeFrom(o.resume) : undefined;
  const saved = ckpt?.run;
  const lr = o.lr !== undefined ? { lr: o.lr } : saved ? { lr: saved.lr } : {};
  if (o.quiet !== true) log.write(`compiling ${o.specPath}…\n`);
  const prepared = await prepareModel(o.specPath, {
    ...lr,
    ...(o.kernels !== undefined ? { kernels: o.kernels } : {}),
    ...(o.onWarnings !== undefined ? { onWarnings: o.onWarnings } : {}),
  });
  const { spec, io, module, units } = prepared;
  if (ckpt && ckpt.model !== spec.name) {
    throw new RuntimeError(
      `the checkpoint in ${o.resume} is for model '${ckpt.model}', not '${spec.name}'`,
      'resume with the spec the run was started with',
    );
  }
  const outDir = o.out ?? o.resume ?? join('out', spec.name);
  const fromSpec = recipe(spec);
  const data = saved ? same('data', o.data, recordedData(saved.data, o.resume ?? outDir)) : o.data;
  if (data === undefined)
    throw new RuntimeError('no training data given', 'pass --data mnist|iris|xor|spirals|FILE.csv');
  const seed = saved ? same('seed', o.seed, saved.seed) : (o.seed ?? spec.train?.seed ?? 1);
  const valSplit = saved
    ? same('val-split', o.valSplit, saved.valSplit)
    : (o.valSplit ?? fromSpec.valSplit ?? TRAIN_DEFAULTS.valSplit);
  const batchSize = saved
    ? same('batch', o.batch, saved.batchSize)
    : (o.batch ?? fromSpec.batchSize ?? TRAIN_DEFAULTS.batch);
  const label = saved ? saved.label : o.label;
  const augment = saved
    ? same('augment', o.augment, saved.augment ?? 0)
    : (o.augment ?? fromSpec.augment ?? (data === 'mnist' ? MNIST_SHIFT : 0));
  const epochs = o.epochs ?? saved?.epochs ?? fromSpec.epochs ?? TRAIN_DEFAULTS.epochs;
  if (ckpt && epochs <= ckpt.state.epoch) {
    throw new RuntimeError(
      `the checkpoint in ${o.resume} has already trained ${plural(ckpt.state.epoch, 'epoch')}`,
      `pass --epochs N with N > ${ckpt.state.epoch} to train further`,
    );
  }
  if (o.quiet !== true) log.write(`loading ${data}…\n`);
  const prepData = prepareData(
    {
      data,
      seed,
      valSplit,
      standardize: o.standardize ?? data !== 'mnist',
      ...(label !== undefined ? { label } : {}),
      ...(saved
        ? {
            classNames: saved.classNames,
            standardizer: saved.standardizer,
            ...(saved.featureNames !== undefined ? { featureNames: saved.featureNames } : {}),
          }
        : {}),
    },
    io,
  );
  const featureNames = prepData.train.featureNames;
  const run: RunInfo = {
    data: recordData(data, outDir),
    seed,
    valSplit,
    batchSize,
    epochs,
    ...(label !== undefined ? { label } : {}),
    lr: (spec.train ?? DEFAULT_TRAIN).lr,
    classNames: prepData.train.classNames,
    standardizer: prepData.standardizer,
    augment,
    ...(featureNames !== undefined && isFilePath(data) ? { featureNames } : {}),
  };
  const shift = imageShift(io.numFeatures, augment);

  if (!ckpt && existsSync(join(outDir, CHECKPOINT_FILE))) {
    log.write(
      `note: ${outDir} holds an earlier run; this new run replaces it after its first epoch (to continue that run instead: --resume ${outDir})\n`,
    );
  }
  try {
    makeDirs(outDir);
  } catch (err) {
    throw new RuntimeError(
      `cannot create the output folder ${outDir}: ${fileProblem(err)}`,
      'pass --out with a folder you can write to (it is created if missing)',
    );
  }
  writeOutput(join(outDir, `${spec.name}.ts`), prepared.source);
  writeOutput(join(outDir, `${spec.name}.js`), prepared.js);
  writeOutput(join(outDir, `${spec.name}.d.ts`), prepared.declarations);
  let diagramsNote: string | undefined;
  if (o.diagrams !== false) {
    const skipped: string[] = [];
    for (const [name, text] of Object.entries(await prepared.diagrams((s) => skipped.push(s.message))))
      writeOutput(join(outDir, name), text);
    if (skipped.length > 0) diagramsNote = `${skipped.join('; ')}; or pass --no-diagrams`;
  }
  const wroteDiagrams = o.diagrams !== false;

  const model = module.createModel({ seed });
  const progress = progressReporter(log, o.quiet === true ? { quiet: true } : {});
  // Checkpoint, weights and metrics are written together, synchronously, after each epoch: an
  // interrupt is only seen between steps, so the three always describe the same epoch.
  const save = (state: TrainState): void => {
    try {
      writeCheckpoint(join(outDir, CHECKPOINT_FILE), { model: spec.name, dtype: io.dtype, run, state }, units);
      writeWeights(
        join(outDir, WEIGHTS_FILE),
        { model: spec.name, dtype: io.dtype, epoch: state.epoch, params: state.model.params, run },
        units,
      );
    } catch (err) {
      throw outputError(outDir, err);
    }
  };
  const report = (history: readonly EpochMetrics[], status: string): void => {
    writeOutput(join(outDir, 'metrics.json'), metricsJson(spec.name, run, history, status));
    writeOutput(join(outDir, 'curve.svg'), renderTrainingCurve(history, spec.name));
  };
  const base = {
    outDir,
    model: spec.name,
    diagrams: wroteDiagrams,
    ...(diagramsNote !== undefined ? { diagramsNote } : {}),
    lr: run.lr,
  };
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  const signal: StopSignal = o.signal ?? { aborted: false };
  const result = await trainInterruptible(model, io, {
    epochs,
    batchSize,
    seed,
    train: prepData.train,
    ...(prepData.val ? { val: prepData.val } : {}),
    ...(ckpt ? { resume: ckpt.state } : {}),
    ...(shift ? { augment: shift } : {}),
    signal,
    callbacks: {
      ...progress,
      onEpochEnd(m, state) {
        // Checkpoint first: metrics and chart are derived, the weights are the work.
        save(state);
        report(state.history, 'running');
        progress.onEpochEnd?.(m, state);
      },
    },
  });
  switch (result.status) {
    case 'interrupted': {
      const history = result.lastGood?.history ?? [];
      // Before the first epoch of a fresh run nothing of it is on disk to describe.
      if (result.lastGood !== undefined) report(history, 'interrupted');
      return { ...base, status: 'interrupted', history, seconds: seconds() };
    }
    case 'diverged': {
      const history = result.lastGood?.history ?? [];
      report(history, 'diverged');
      const at = result.at;
      const where =
        at.reason === 'blow-up'
          ? `in epoch ${at.epoch}: its mean loss ${at.loss.toPrecision(4)} is more than 10× the start (${(at.startLoss ?? 0).toPrecision(4)})`
          : at.step === null
            ? `at the end of epoch ${at.epoch} (weights became non-finite)`
            : `in epoch ${at.epoch}, step ${at.step} (loss ${at.loss})`;
      return {
        ...base,
        status: 'diverged',
        history,
        seconds: seconds(),
        divergence: { where, keptEpoch: result.lastGood?.epoch ?? 0 },
      };
    }
    case 'done':
      report(result.state.history, 'done');
      return { ...base, status: 'done', history: result.state.history, seconds: seconds() };
  }
}
