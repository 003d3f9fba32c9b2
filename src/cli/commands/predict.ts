// `chainrule predict SPEC --weights FILE --data FILE.csv`: the class of every row, as CSV.
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { RuntimeError, fileProblem } from '../../../runtime/errors.js';
import {
  applyStandardizer,
  loadCsv,
  loadDataset,
  validateDataset,
  type Dataset,
} from '../../../runtime/datasets/index.js';
import { checkDataFits } from '../../../runtime/feed.js';
import { predictRows } from '../../../runtime/predict.js';
import { loadTrained } from '../../training.js';
import { printWarnings, reportErrors } from '../report.js';

interface PredictFlags {
  readonly weights: string;
  readonly data: string;
  readonly label?: string;
  readonly output?: string;
}

const examples = `
The CSV has a header row and the feature columns the model was trained on, matched by name (any
order; a missing or unknown column is an error); a label column (as in training, or --label) may
be anywhere and is then ignored. Prints CSV:
row (1-based data row), class (its name), probability (the model's probability of that class).

Examples:
  $ chainrule predict examples/iris_mlp.json --weights out/iris_mlp/weights.safetensors --data flowers.csv
  $ chainrule predict my_model.json --weights out/my_model/weights.safetensors --data new.csv -o predictions.csv`;

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('Classify the rows of a CSV file with trained weights.')
    .argument('<spec>', 'path to the spec (JSON) the weights were trained with')
    .requiredOption('--weights <file>', 'weights.safetensors written by `chainrule train`')
    .requiredOption('--data <file.csv>', 'rows to classify (or a built-in dataset name)')
    .option('--label <column>', 'name of a label column to ignore (default: as in training)')
    .option('-o, --output <file>', 'write the CSV here instead of stdout')
    .addHelpText('after', examples)
    .action(async (specPath: string, flags: PredictFlags) => {
      await reportErrors(async () => {
        const trained = await loadTrained(specPath, flags.weights, { onWarnings: printWarnings });
        const { prepared, model, weights } = trained;
        const run = weights.run;
        const io = prepared.io;
        const label = flags.label ?? run?.label;
        let ds: Dataset;
        if (/\.(csv|txt)$/i.test(flags.data)) {
          // Labels are ignored, so any label value is accepted here (no class-name mapping).
          // Columns are matched to the trained feature names when the weights record them.
          ds = loadCsv(flags.data, {
            featuresOnlyWhen: io.numFeatures,
            ...(label !== undefined ? { label } : {}),
            ...(run?.featureNames !== undefined ? { featureNames: run.featureNames } : {}),
          });
          validateDataset({ ...ds, labels: new Int32Array(ds.numRows), numClasses: 1 });
        } else {
          ds = loadDataset(flags.data, { seed: run?.seed ?? 1 });
        }
        checkDataFits(io, { ...ds, labels: new Int32Array(ds.numRows) });
        if (run?.standardizer) ds = applyStandardizer(ds, run.standardizer);
        const { classes, confidence } = predictRows(model, io, ds, 256);
        const names = run?.classNames ?? [];
        const lines = ['row,class,probability'];
        for (let r = 0; r < ds.numRows; r++) {
          const c = classes[r]!;
          lines.push(`${r + 1},${csvCell(names[c] ?? String(c))},${confidence[r]!.toFixed(6)}`);
        }
        const text = `${lines.join('\n')}\n`;
        if (flags.output === undefined) process.stdout.write(text);
        else {
          try {
            writeFileSync(flags.output, text);
          } catch (err) {
            throw new RuntimeError(
              `cannot write ${flags.output}: ${fileProblem(err)}`,
              'check that the directory exists and is writable',
            );
          }
          process.stderr.write(`wrote ${ds.numRows} predictions to ${flags.output}\n`);
        }
      }, specPath);
    });
}
