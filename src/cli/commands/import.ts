// `chainrule import MODEL(.onnx | model.json) --out DIR [--loss L]`: a model trained elsewhere (an
// ONNX file, or a TensorFlow.js Layers model.json) as DIR/<name>.json + DIR/weights.safetensors.
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { writeFileAtomic } from '../../../runtime/atomic-write.js';
import { fileProblem, RuntimeError } from '../../../runtime/errors.js';
import { encodeSafetensors, readSafetensors } from '../../../runtime/safetensors.js';
import { importOnnx, SUPPORTED_ONNX } from '../../interop/onnx/import.js';
import { LOSS_CHOICES, type LossChoice, writeImported } from '../../interop/spec-draft.js';
import { importTfjs, SUPPORTED_TFJS } from '../../interop/tfjs/import.js';
import { parseModuleMap, torchWeights } from '../../interop/torch-weights.js';
import { loadSpecForCli } from '../spec-input.js';
import { reportErrors } from '../report.js';

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

const WEIGHTS_EXAMPLES = `
Examples:
  $ chainrule import-weights examples/iris_mlp.json state_dict.safetensors --out iris/weights.safetensors
  $ chainrule import-weights my_mlp.json model.safetensors --map layers.json --out weights.safetensors
  (layers.json: { "fc1": "encoder.0", "fc2": "head" })

Which PyTorch module feeds which linear node, first rule that applies:
  1. --map FILE: { "<linear node>": "<module prefix>" } reads <prefix>.weight and <prefix>.bias
  2. same names: every linear node n has n.weight in the state_dict
  3. order: linear nodes in spec order take the 2-D <prefix>.weight tensors in natural order
     (0, 2, 10: the order nn.Sequential registers its layers in)
Weights are transposed from PyTorch's [out, in] to chainrule's [in, out]; every tensor must be used.`;

export function importWeightsCommand(): Command {
  return new Command('import-weights')
    .description('Convert a PyTorch state_dict (safetensors) into chainrule weights for a spec with the same layers.')
    .argument('<spec>', 'the spec (JSON) whose linear nodes the weights are for')
    .argument('<state-dict>', 'a PyTorch state_dict saved as safetensors (Linear.weight stored [out, in])')
    .requiredOption('--out <file>', 'the weights.safetensors to write')
    .option('--map <file>', 'JSON { "<linear node>": "<module prefix>" } when names and order do not line up')
    .addHelpText('after', WEIGHTS_EXAMPLES)
    .action(async (specPath: string, statePath: string, flags: { out: string; map?: string }) => {
      const loaded = loadSpecForCli(specPath, { dtype: 'f32' });
      if (loaded === undefined) return;
      await reportErrors(async () => {
        const map = flags.map === undefined ? undefined : parseModuleMap(readText(flags.map), flags.map);
        const weights = torchWeights(loaded.spec, readSafetensors(statePath), statePath, map);
        mkdirSync(dirname(resolve(flags.out)), { recursive: true });
        writeFileAtomic(
          flags.out,
          encodeSafetensors(weights, { format: 'chainrule', model: loaded.spec.name, dtype: 'f32', epoch: '0' }),
        );
        process.stdout.write(`wrote ${flags.out} (${Object.keys(weights).length} tensors)\n`);
      });
    });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new RuntimeError(`cannot read '${path}': ${fileProblem(err)}`);
  }
}
