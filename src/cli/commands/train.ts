// `chainrule train SPEC --data …`: compile the spec, load the generated module in-process, train
// it on a dataset and write everything to one folder: the module, weights (safetensors), a
// resumable checkpoint, metrics.json, the training curve and the diagrams. Also the helpers
// `eval`, `predict` and `demo` share (spec → loaded model, data → prepared splits).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import type { Diagnostic } from '../../../compiler/diagnostics.js';
import type { GraphSpec, TrainSpec } from '../../../compiler/frontend/graph-spec.js';
import { DEFAULT_TRAIN } from '../../../compiler/passes/pipeline.js';
import { writeFileAtomic } from '../../../runtime/atomic-write.js';
import { renderTrainingCurve } from '../../../runtime/chart.js';
import {
  CHECKPOINT_FILE,
  WEIGHTS_FILE,
  readCheckpoint,
  readWeights,
  writeCheckpoint,
  writeWeights,
  type Checkpoint,
  type RunInfo,
  type WeightsFile,
} from '../../../runtime/checkpoint.js';
import {
  applyStandardizer,
  fitStandardizer,
  loadDataset,
  splitDataset,
  type Dataset,
  type Standardizer,
} from '../../../runtime/datasets/index.js';
import { RuntimeError, formatRuntimeError } from '../../../runtime/errors.js';
import { checkDataFits, describeModel, type ModelIO } from '../../../runtime/feed.js';
import { loadModuleSource } from '../../../runtime/load-module.js';
import type { GeneratedModel, ModelModule } from '../../../runtime/model.js';
import type { ShiftOptions } from '../../../runtime/augment.js';
import { progressReporter, type ProgressSink } from '../../../runtime/progress.js';
import { train, type EpochMetrics, type TrainState } from '../../../runtime/train.js';
import { ChainruleError, compile, type CompiledModel, type KernelMode } from '../../api.js';
import { diagramFiles } from '../../render/diagram-files.js';
import { locate } from '../../frontend/check.js';
import { kernelMode, kernelsOption, loadSpecForCli, renderLoadReport } from '../spec-input.js';
import { kernelClusters } from './compile.js';

// ---------------------------------------------------------------------------------------------
// Shared by train, eval, predict and demo.

/** A compiled, loaded model ready to train or run. */
export interface PreparedModel {
  readonly spec: GraphSpec;
  readonly source: string;
  readonly module: ModelModule;
  readonly io: ModelIO;
  /** Linear node → units, for the `[in, out]` weight shapes written to safetensors. */
  readonly units: ReadonlyMap<string, number>;
  /** Diagram files (`forward.svg`, …) for the output folder. */
  readonly diagrams: () => Promise<Readonly<Record<string, string>>>;
}

/**
 * Loads and compiles `specPath` (with `lr` overriding the spec's learning rate) and imports the
 * generated module. Prints located diagnostics and returns undefined when the spec is unusable.
 */
export async function prepareModel(
  specPath: string,
  overrides: { lr?: number; kernels?: KernelMode } = {},
): Promise<PreparedModel | undefined> {
  const loaded = loadSpecForCli(specPath, { dtype: 'f32' });
  if (loaded === undefined) return undefined;
  const baseTrain: TrainSpec = loaded.spec.train ?? DEFAULT_TRAIN;
  const spec: GraphSpec =
    overrides.lr === undefined ? loaded.spec : { ...loaded.spec, train: { ...baseTrain, lr: overrides.lr } };
  const fail = (errors: readonly Diagnostic[]): undefined => {
    process.stderr.write(
      renderLoadReport({ ok: false, errors: locate(errors, loaded.locations), warnings: [] }, specPath),
    );
    process.exitCode = 1;
    return undefined;
  };
  // A spec without a loss compiles to inference only; these commands need its training step.
  if (spec.loss === undefined) {
    return fail([
      {
        message: `spec '${spec.name}' has no loss, so there is nothing to train`,
        pointer: '',
        hint: 'add "loss": { "op": "cross_entropy", "input": ..., "target": ... }',
      },
    ]);
  }
  let compiled: CompiledModel;
  try {
    // The loaded spec is already checked: compile takes it as is (with the --lr override).
    compiled = compile(loaded, {
      dtype: 'f32',
      ...(spec.train !== undefined ? { train: spec.train } : {}),
      ...(overrides.kernels !== undefined ? { kernels: overrides.kernels } : {}),
    });
  } catch (err) {
    if (!(err instanceof ChainruleError)) throw err;
    return fail(err.diagnostics);
  }
  const module = await loadModuleSource(compiled.source, spec.name);
  const units = new Map(
    spec.nodes.flatMap((n) => (n.op === 'linear' && n.units !== undefined ? [[n.name, n.units] as const] : [])),
  );
  return {
    spec,
    source: compiled.source,
    module,
    io: describeModel(module.modelInfo),
    units,
    diagrams: () => diagramFiles(compiled.graph, { kernels: kernelClusters(compiled.graph) }),
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
  });
  checkDataFits(io, all);
  const split = splitDataset(all, o.valSplit, o.seed);
  const standardizer =
    o.standardizer !== undefined ? o.standardizer : o.standardize ? fitStandardizer(split.train) : null;
  const scale = (ds: Dataset): Dataset => (standardizer ? applyStandardizer(ds, standardizer) : ds);
  return { all: scale(all), train: scale(split.train), val: split.val ? scale(split.val) : undefined, standardizer };
}

export interface TrainedModel {
  readonly prepared: PreparedModel;
  readonly model: GeneratedModel;
  readonly weights: WeightsFile;
}

/** Compiles `specPath` and loads trained weights into a fresh model; checks they belong together. */
export async function loadTrained(specPath: string, weightsPath: string): Promise<TrainedModel | undefined> {
  const weights = readWeights(weightsPath);
  const prepared = await prepareModel(specPath);
  if (prepared === undefined) return undefined;
  if (weights.model !== prepared.spec.name) {
    throw new RuntimeError(
      `${weightsPath} holds weights of model '${weights.model}', but ${specPath} is model '${prepared.spec.name}'`,
      'pass the spec the weights were trained with',
    );
  }
  const model = prepared.module.createModel();
  try {
    model.loadParams({ params: weights.params });
  } catch (err) {
    throw new RuntimeError(
      `${weightsPath} does not fit ${specPath}: ${(err as Error).message}`,
      'the spec changed since training (layer sizes or names); retrain, or use the spec the weights came from',
    );
  }
  return { prepared, model, weights };
}

/** Runs a command body; a RuntimeError (bad data, files, run) is printed without a stack trace. */
export async function reportErrors(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof RuntimeError)) throw err;
    process.stderr.write(`${formatRuntimeError(err)}\n`);
    process.exitCode = 1;
  }
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'.`);
  return n;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected a whole number, got '${value}'.`);
  return n;
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 0xffffffff)
    throw new InvalidArgumentError(`expected an integer seed in 0..4294967295, got '${value}'.`);
  return n;
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'.`);
  return n;
}

export function parseFraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1)
    throw new InvalidArgumentError(`expected a fraction in [0, 1), got '${value}'.`);
  return n;
}

/** The learning rate the compiled module uses. */
function learningRate(spec: GraphSpec): number {
  return (spec.train ?? DEFAULT_TRAIN).lr;
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
  /** How the generated module computes its matmuls (`--kernels`; default js). */
  readonly kernels?: KernelMode;
}

export interface TrainRunResult {
  readonly status: 'done' | 'diverged';
  readonly outDir: string;
  readonly model: string;
  readonly history: readonly EpochMetrics[];
  readonly seconds: number;
  /** Whether the diagrams were written. */
  readonly diagrams: boolean;
}

const DEFAULTS = { epochs: 10, batch: 32, valSplit: 0.2 } as const;

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

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What a run writes, by name (diagrams not included). */
export function outputFiles(model: string): readonly string[] {
  return [`${model}.ts`, WEIGHTS_FILE, CHECKPOINT_FILE, 'metrics.json', 'curve.svg'];
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

/**
 * The whole `train` command as a function (also used by `demo`). Throws RuntimeError for bad
 * data or files; returns undefined when the spec itself is invalid (diagnostics printed).
 */
export async function runTraining(
  o: TrainRunOptions,
  log: ProgressSink = process.stdout,
): Promise<TrainRunResult | undefined> {
  const ckpt = o.resume !== undefined ? resumeFrom(o.resume) : undefined;
  const saved = ckpt?.run;
  const lr = o.lr !== undefined ? { lr: o.lr } : saved ? { lr: saved.lr } : {};
  const prepared = await prepareModel(o.specPath, {
    ...lr,
    ...(o.kernels !== undefined ? { kernels: o.kernels } : {}),
  });
  if (prepared === undefined) return undefined;
  const { spec, io, module, units } = prepared;
  if (ckpt && ckpt.model !== spec.name) {
    throw new RuntimeError(
      `the checkpoint in ${o.resume} is for model '${ckpt.model}', not '${spec.name}'`,
      'resume with the spec the run was started with',
    );
  }
  const data = saved ? same('data', o.data, saved.data) : o.data;
  if (data === undefined)
    throw new RuntimeError('no training data given', 'pass --data mnist|iris|xor|spirals|FILE.csv');
  const seed = saved ? same('seed', o.seed, saved.seed) : (o.seed ?? spec.train?.seed ?? 1);
  const valSplit = saved ? same('val-split', o.valSplit, saved.valSplit) : (o.valSplit ?? DEFAULTS.valSplit);
  const batchSize = saved ? same('batch', o.batch, saved.batchSize) : (o.batch ?? DEFAULTS.batch);
  const label = saved ? saved.label : o.label;
  const augment = saved
    ? same('augment', o.augment, saved.augment ?? 0)
    : (o.augment ?? (data === 'mnist' ? MNIST_SHIFT : 0));
  const epochs = o.epochs ?? saved?.epochs ?? DEFAULTS.epochs;
  if (ckpt && epochs <= ckpt.state.epoch) {
    throw new RuntimeError(
      `the checkpoint in ${o.resume} has already trained ${plural(ckpt.state.epoch, 'epoch')}`,
      `pass --epochs N with N > ${ckpt.state.epoch} to train further`,
    );
  }
  const prepData = prepareData(
    {
      data,
      seed,
      valSplit,
      standardize: o.standardize ?? data !== 'mnist',
      ...(label !== undefined ? { label } : {}),
      ...(saved ? { classNames: saved.classNames, standardizer: saved.standardizer } : {}),
    },
    io,
  );
  const run: RunInfo = {
    data,
    seed,
    valSplit,
    batchSize,
    epochs,
    ...(label !== undefined ? { label } : {}),
    lr: learningRate(spec),
    classNames: prepData.all.classNames,
    standardizer: prepData.standardizer,
    augment,
  };
  const shift = imageShift(io.numFeatures, augment);

  const outDir = o.out ?? o.resume ?? join('out', spec.name);
  if (!ckpt && existsSync(join(outDir, CHECKPOINT_FILE))) {
    log.write(
      `note: ${outDir} holds an earlier run; this new run replaces it after its first epoch (to continue that run instead: --resume ${outDir})\n`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, `${spec.name}.ts`), prepared.source);
  if (o.diagrams !== false) {
    for (const [name, text] of Object.entries(await prepared.diagrams())) writeFileAtomic(join(outDir, name), text);
  }

  const model = module.createModel({ seed });
  const progress = progressReporter(log, o.quiet === true ? { quiet: true } : {});
  const save = (state: TrainState): void => {
    writeCheckpoint(join(outDir, CHECKPOINT_FILE), { model: spec.name, dtype: io.dtype, run, state }, units);
    writeWeights(
      join(outDir, WEIGHTS_FILE),
      { model: spec.name, dtype: io.dtype, epoch: state.epoch, params: state.model.params, run },
      units,
    );
  };
  const report = (history: readonly EpochMetrics[], status: string): void => {
    writeFileAtomic(join(outDir, 'metrics.json'), metricsJson(spec.name, run, history, status));
    writeFileAtomic(join(outDir, 'curve.svg'), renderTrainingCurve(history, spec.name));
  };
  const t0 = performance.now();
  const result = train(model, io, {
    epochs,
    batchSize,
    seed,
    train: prepData.train,
    ...(prepData.val ? { val: prepData.val } : {}),
    ...(ckpt ? { resume: ckpt.state } : {}),
    ...(shift ? { augment: shift } : {}),
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
  const seconds = (performance.now() - t0) / 1000;
  if (result.status === 'diverged') {
    const history = result.lastGood?.history ?? [];
    report(history, 'diverged');
    const where =
      result.at.step === null
        ? `at the end of epoch ${result.at.epoch} (weights became non-finite)`
        : `in epoch ${result.at.epoch}, step ${result.at.step} (loss ${result.at.loss})`;
    const kept =
      result.lastGood && result.lastGood.epoch > 0
        ? `the last good checkpoint (epoch ${result.lastGood.epoch}) is kept in ${join(outDir, CHECKPOINT_FILE)}`
        : 'no epoch completed, so no checkpoint was written';
    process.stderr.write(
      `error: training diverged ${where}; ${kept}\n  hint: lower the learning rate (now ${run.lr}), e.g. --lr ${run.lr / 10}` +
        `${result.lastGood && result.lastGood.epoch > 0 ? `, and continue with --resume ${outDir}` : ''}\n`,
    );
    process.exitCode = 1;
    return { status: 'diverged', outDir, model: spec.name, history, seconds, diagrams: o.diagrams !== false };
  }
  report(result.state.history, 'done');
  return {
    status: 'done',
    outDir,
    model: spec.name,
    history: result.state.history,
    seconds,
    diagrams: o.diagrams !== false,
  };
}

function summary(r: TrainRunResult): string {
  const last = r.history[r.history.length - 1];
  const acc = last?.valAccuracy ?? last?.trainAccuracy;
  const which = last?.valAccuracy !== null ? 'validation' : 'training';
  const lines = [
    `trained ${r.model} for ${plural(last?.epoch ?? 0, 'epoch')} in ${r.seconds.toFixed(1)}s` +
      (acc !== undefined && acc !== null ? `: ${which} accuracy ${(100 * acc).toFixed(2)}%` : ''),
    `wrote ${r.outDir}/: ${outputFiles(r.model).join(', ')}${r.diagrams ? ', forward/backward diagrams (.dot, .svg)' : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}

interface TrainFlags {
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
  readonly diagrams: boolean;
  readonly augment?: number;
  readonly kernels?: string;
}

const examples = `
Data:
  mnist      10,000 handwritten digits (28×28 = 784 features, 10 classes)
  iris       150 flowers (4 features, 3 species)
  xor        400 noisy points around the corners of the unit square (2 features, 2 classes)
  spirals    1,000 points on two interleaved spirals (2 features, 2 classes)
  FILE.csv   a header row, numeric feature columns and a label column (--label, default the last)

Examples:
  $ chainrule train examples/iris_mlp.json --data iris --epochs 60
  $ chainrule train examples/mnist_mlp.json --data mnist --epochs 15 --out out/mnist
  $ chainrule train examples/mnist_mlp.json --resume out/mnist --epochs 20      # 5 more epochs
  $ chainrule train my_model.json --data measurements.csv --label species --lr 0.003`;

export function trainCommand(): Command {
  return new Command('train')
    .description(
      'Compile a spec and train it on a dataset; writes the module, weights, checkpoint, metrics, curve and diagrams.',
    )
    .argument('<spec>', 'path to the spec (JSON)')
    .option('--data <name|file.csv>', 'mnist, iris, xor, spirals, or a CSV file')
    .option('--label <column>', 'CSV: the label column (default: the last column)')
    .option('--epochs <n>', `total epochs (default ${DEFAULTS.epochs}; with --resume, the new total)`, parsePositiveInt)
    .option('--batch <n>', `rows per training step (default ${DEFAULTS.batch})`, parsePositiveInt)
    .option('--lr <x>', "learning rate (default: the spec's train.lr)", parsePositiveNumber)
    .option(
      '--seed <n>',
      "seed for initialization, split and shuffling (default: the spec's train.seed, else 1)",
      parseSeed,
    )
    .option('--val-split <f>', `fraction of rows held out for validation (default ${DEFAULTS.valSplit})`, parseFraction)
    .option(
      '--standardize',
      'scale features to zero mean, unit variance (fitted on the training rows; default except mnist)',
    )
    .option('--no-standardize', 'use the features as they are')
    .option(
      '--augment <pixels>',
      `shift square images (e.g. MNIST) randomly by up to this many pixels while training; 0 = off (default ${MNIST_SHIFT} for mnist, else 0)`,
      parseCount,
    )
    .addOption(kernelsOption())
    .option('--out <dir>', 'output folder (default out/<name>, or the --resume folder)')
    .option('--resume <dir>', 'continue the run whose checkpoint is in this folder')
    .option('--quiet', 'no live progress bar; one line per epoch')
    .option('--no-diagrams', 'skip writing the forward/backward diagrams')
    .addHelpText('after', examples)
    .action(async (specPath: string, flags: TrainFlags) => {
      await reportErrors(async () => {
        const result = await runTraining({ specPath, ...flags, kernels: kernelMode(flags.kernels) });
        if (result?.status === 'done') process.stdout.write(summary(result));
      });
    });
}
