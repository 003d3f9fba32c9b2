// `chainrule eval SPEC --weights FILE`: accuracy, loss and the confusion matrix of trained
// weights on a dataset (by default the held-out rows of the run that produced them).
import { Command, Option } from 'commander';
import { RuntimeError } from '../../../runtime/errors.js';
import { accuracy, confusionMatrix, formatConfusionMatrix } from '../../../runtime/metrics.js';
import { evaluate } from '../../../runtime/train.js';
import { loadTrained, prepareData } from '../../training.js';
import { parseFraction, parseSeed } from '../parse-args.js';
import { printWarnings, reportErrors } from '../report.js';

type SplitName = 'all' | 'train' | 'val';

interface EvalFlags {
  readonly weights: string;
  readonly data?: string;
  readonly label?: string;
  readonly split?: SplitName;
  readonly seed?: number;
  readonly valSplit?: number;
}

const examples = `
By default the data, split, seed and feature scaling are those recorded in the weights file, so
the command reports the held-out accuracy of the training run. With --data naming other data,
every row is evaluated (--split all).

Examples:
  $ chainrule eval examples/iris_mlp.json --weights out/iris_mlp/weights.safetensors
  $ chainrule eval examples/mnist_mlp.json --weights out/mnist_mlp/weights.safetensors --split all
  $ chainrule eval my_model.json --weights out/my_model/weights.safetensors --data new_rows.csv`;

export function evalCommand(): Command {
  return new Command('eval')
    .description('Evaluate trained weights: accuracy, loss and confusion matrix.')
    .argument('<spec>', 'path to the spec (JSON) the weights were trained with')
    .requiredOption('--weights <file>', 'weights.safetensors (or checkpoint.safetensors) written by `chainrule train`')
    .option('--data <name|file.csv>', 'mnist, iris, xor, spirals, or a CSV file (default: the training data)')
    .option('--label <column>', 'CSV: the label column (default: as in training, else the last column)')
    .addOption(
      new Option('--split <part>', 'which rows: the held-out validation rows, the training rows, or all').choices([
        'val',
        'train',
        'all',
      ]),
    )
    .option('--seed <n>', 'seed of the split (default: as in training)', parseSeed)
    .option('--val-split <f>', 'validation fraction of the split (default: as in training)', parseFraction)
    .addHelpText('after', examples)
    .action(async (specPath: string, flags: EvalFlags) => {
      await reportErrors(async () => {
        const trained = await loadTrained(specPath, flags.weights, { onWarnings: printWarnings });
        const { prepared, model, weights } = trained;
        const run = weights.run;
        const data = flags.data ?? trained.data;
        if (data === undefined)
          throw new RuntimeError(`${flags.weights} does not record its training data`, 'pass --data');
        const sameData = run !== undefined && data === trained.data;
        const split: SplitName = flags.split ?? (sameData && run.valSplit > 0 ? 'val' : 'all');
        const label = flags.label ?? run?.label;
        const prep = prepareData(
          {
            data,
            seed: flags.seed ?? run?.seed ?? 1,
            valSplit: flags.valSplit ?? run?.valSplit ?? 0.2,
            standardize: false,
            standardizer: run?.standardizer ?? null,
            ...(label !== undefined ? { label } : {}),
            ...(run ? { classNames: run.classNames } : {}),
            ...(run?.featureNames !== undefined ? { featureNames: run.featureNames } : {}),
          },
          prepared.io,
        );
        const ds = split === 'all' ? prep.all : split === 'train' ? prep.train : prep.val;
        if (ds === undefined)
          throw new RuntimeError(
            'there are no validation rows (the split fraction is 0)',
            'use --split all or --val-split 0.2',
          );
        const result = evaluate(model, prepared.io, ds, run?.batchSize ?? 256);
        const hits = Math.round(accuracy(result.predictions, ds.labels) * ds.numRows);
        const what = split === 'all' ? 'all rows' : split === 'val' ? 'held-out rows' : 'training rows';
        process.stdout.write(
          `${prepared.spec.name} on ${data} (${what}: ${ds.numRows})\n` +
            `accuracy ${(100 * result.accuracy).toFixed(2)}% (${hits}/${ds.numRows})  loss ${result.loss.toFixed(4)}\n\n` +
            `${formatConfusionMatrix(confusionMatrix(result.predictions, ds.labels, prepared.io.numClasses), ds.classNames)}\n`,
        );
      }, specPath);
    });
}
