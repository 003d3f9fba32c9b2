// `chainrule train SPEC --data …`: a thin layer over the training session (src/training.ts):
// flags in, progress and a summary out. Ctrl-C / SIGTERM stop the run between two steps; the
// last completed epoch stays on disk (checkpoint, weights, metrics "interrupted") and the
// command says how to resume, exiting 130.
import { Command } from 'commander';
import {
  MNIST_SHIFT,
  TRAIN_DEFAULTS,
  outputFiles,
  plural,
  runTraining,
  type TrainRunOptions,
  type TrainRunResult,
} from '../../training.js';
import { USAGE_EXIT } from '../exit-codes.js';
import { parseCount, parseFraction, parsePositiveInt, parsePositiveNumber, parseSeed } from '../parse-args.js';
import { interruptSignal, printWarnings, reportErrors, reportUnfinished } from '../report.js';
import { kernelMode, kernelsOption } from '../spec-input.js';

function summary(r: TrainRunResult): string {
  const last = r.history[r.history.length - 1];
  const acc = last?.valAccuracy ?? last?.trainAccuracy;
  const which = last?.valAccuracy !== null ? 'validation' : 'training';
  const lines = [
    `trained ${r.model} for ${plural(last?.epoch ?? 0, 'epoch')} in ${r.seconds.toFixed(1)}s` +
      (acc !== undefined && acc !== null ? `: ${which} accuracy ${(100 * acc).toFixed(2)}%` : ''),
    `wrote ${r.outDir}/: ${outputFiles(r.model).join(', ')}${r.diagrams ? ', forward/backward diagrams (.dot, .svg)' : ''}`,
    ...(r.diagramsNote !== undefined ? [`note: ${r.diagramsNote}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The API's run options as commander parses them: `--no-diagrams` always sets `diagrams`, and `--kernels` is checked text. */
type TrainFlags = Omit<TrainRunOptions, 'specPath' | 'diagrams' | 'kernels' | 'signal' | 'onWarnings'> & {
  readonly diagrams: boolean;
  readonly kernels?: string;
};

const examples = `
Data:
  mnist      10,000 handwritten digits (28×28 = 784 features, 10 classes)
  iris       150 flowers (4 features, 3 species)
  xor        400 noisy points around the corners of the unit square (2 features, 2 classes)
  spirals    1,000 points on two interleaved spirals (2 features, 2 classes)
  FILE.csv   a header row, numeric feature columns and a label column (--label, default the last)

Epochs, batch size, validation split and augmentation default to the spec's "train" section
(see docs/spec.md), then to the values below; flags override both.

Ctrl-C stops after the current step; the last completed epoch stays in the output folder and
the command prints how to resume (exit 130).

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
    .option('--data <name|file.csv>', 'mnist, iris, xor, spirals, or a CSV file (required unless --resume)')
    .option('--label <column>', 'CSV: the label column (default: the last column)')
    .option(
      '--epochs <n>',
      `total epochs (default: the spec's train.epochs, else ${TRAIN_DEFAULTS.epochs}; with --resume, the new total)`,
      parsePositiveInt,
    )
    .option(
      '--batch <n>',
      `rows per training step (default: train.batchSize, else ${TRAIN_DEFAULTS.batch})`,
      parsePositiveInt,
    )
    .option('--lr <x>', "learning rate (default: the spec's train.lr)", parsePositiveNumber)
    .option(
      '--seed <n>',
      "seed for initialization, split and shuffling (default: the spec's train.seed, else 1)",
      parseSeed,
    )
    .option(
      '--val-split <f>',
      `fraction of rows held out for validation (default: train.valSplit, else ${TRAIN_DEFAULTS.valSplit})`,
      parseFraction,
    )
    .option(
      '--standardize',
      'scale features to zero mean, unit variance (fitted on the training rows; default except mnist)',
    )
    .option('--no-standardize', 'use the features as they are')
    .option(
      '--augment <pixels>',
      `shift square images (e.g. MNIST) randomly by up to this many pixels while training; 0 = off (default: train.augment, else ${MNIST_SHIFT} for mnist, else 0)`,
      parseCount,
    )
    .addOption(kernelsOption())
    .option('--out <dir>', 'output folder (default out/<name>, or the --resume folder)')
    .option('--resume <dir>', 'continue the run whose checkpoint is in this folder')
    .option('--quiet', 'no live progress bar; one line per epoch')
    .option('--no-diagrams', 'skip writing the forward/backward diagrams')
    .addHelpText('after', examples)
    .action(async (specPath: string, flags: TrainFlags, command: Command) => {
      if (flags.data === undefined && flags.resume === undefined) {
        // A usage error: the same exit code as any other missing option.
        command.error("error: required option '--data <name|file.csv>' not specified (or --resume <dir>)", {
          exitCode: USAGE_EXIT,
          code: 'chainrule.missingData',
        });
      }
      const interrupt = interruptSignal();
      try {
        await reportErrors(async () => {
          const result = await runTraining({
            specPath,
            ...flags,
            kernels: kernelMode(flags.kernels),
            signal: interrupt.signal,
            onWarnings: printWarnings,
          });
          if (result.status === 'done') process.stdout.write(summary(result));
          else process.exitCode = reportUnfinished(result, specPath);
        }, specPath);
      } finally {
        interrupt.dispose();
      }
    });
}

// NOTE: kept so commands written before the move still compile; new code imports these from
// ../report.js and ../parse-args.js.
export { reportErrors } from '../report.js';
export { parseCount, parseFraction, parsePositiveInt, parsePositiveNumber, parseSeed } from '../parse-args.js';
