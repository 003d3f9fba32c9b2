// `chainrule import MODEL(.onnx | model.json) --out DIR [--loss L]`: a model trained elsewhere (an
// ONNX file, or a TensorFlow.js Layers model.json) as DIR/<name>.json + DIR/weights.safetensors.
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { fileProblem, RuntimeError } from '../../../runtime/errors.js';
import { importOnnx, SUPPORTED_ONNX } from '../../interop/onnx/import.js';
import { LOSS_CHOICES, type LossChoice, writeImported } from '../../interop/spec-draft.js';
import { importTfjs, SUPPORTED_TFJS } from '../../interop/tfjs/import.js';
import { reportErrors } from './train.js';

interface ImportFlags {
  readonly out: string;
  readonly loss?: LossChoice;
  readonly name?: string;
}

const EXAMPLES = `
Examples:
  $ chainrule import mlp.onnx --out imported/
  wrote imported/mlp.json and imported/weights.safetensors
  $ chainrule import web/model.json --out imported/ --loss mse
  $ chainrule compile imported/mlp.json --out build/

Supported ONNX: ${SUPPORTED_ONNX}.
Supported tfjs: ${SUPPORTED_TFJS}.
The loss follows the output op (softmax/log_softmax: cross_entropy, sigmoid: binary_cross_entropy,
otherwise mse); --loss overrides it, --loss none declares none.`;

function readModel(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new RuntimeError(`cannot read '${path}': ${fileProblem(err)}`, 'pass a .onnx file or a tfjs model.json');
  }
}

export function importCommand(): Command {
  return new Command('import')
    .description('Import a model trained elsewhere (ONNX, or a tfjs Layers model) as a spec plus weights.')
    .argument('<model>', 'a .onnx file or a TensorFlow.js Layers model.json (its weight files beside it)')
    .requiredOption('--out <dir>', 'directory for <name>.json and weights.safetensors')
    .addOption(
      new Option('--loss <loss>', 'the loss to declare (default: inferred from the output op)').choices(LOSS_CHOICES),
    )
    .option('--name <name>', "the spec's name (default: the model's graph name, or the file name)")
    .addHelpText('after', EXAMPLES)
    .action(async (modelPath: string, flags: ImportFlags) => {
      await reportErrors(async () => {
        const bytes = readModel(modelPath);
        const stem = basename(modelPath, extname(modelPath));
        const isJson = extname(modelPath).toLowerCase() === '.json' || bytes[0] === 0x7b; // '{'
        const options = {
          // model.json is the usual tfjs name: its folder names the model better.
          fallbackName: isJson && stem === 'model' ? basename(dirname(resolve(modelPath))) : stem,
          ...(flags.loss !== undefined ? { loss: flags.loss } : {}),
          ...(flags.name !== undefined ? { name: flags.name } : {}),
        };
        const model = isJson ? importTfjs(modelPath, bytes, options) : importOnnx(bytes, modelPath, options);
        for (const w of model.warnings) process.stderr.write(`warning: ${w}\n`);
        const paths = writeImported(flags.out, model);
        process.stdout.write(`wrote ${paths.spec} and ${paths.weights}\n`);
      });
    });
}
