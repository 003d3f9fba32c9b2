// `chainrule export SPEC --format onnx|onnx-training|tfjs --out PATH [--weights FILE]`: the model
// in a format other engines run (ONNX Runtime, TensorFlow.js). Written atomically or not at all.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ChainruleError } from '../../../compiler/diagnostics.js';
import type { CheckedSpec } from '../../../compiler/frontend/checked-spec.js';
import { ONNX_OPSET } from '../../../compiler/ops/onnx.js';
import { writeFileAtomic } from '../../../runtime/atomic-write.js';
import { RuntimeError } from '../../../runtime/errors.js';
import { exportOnnx, exportOnnxTraining } from '../../interop/onnx/export.js';
import { seededParams, weightsForGraph } from '../../interop/params.js';
import { exportTfjs } from '../../interop/tfjs/export.js';
import { locate } from '../../frontend/check.js';
import { loadSpecForCli, renderLoadReport } from '../spec-input.js';
import { parseSeed } from '../parse-args.js';
import { reportErrors } from '../report.js';

export const EXPORT_FORMATS = ['onnx', 'onnx-training', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

interface ExportFlags {
  readonly format: ExportFormat;
  readonly out: string;
  readonly weights?: string;
  readonly seed?: number;
}

const EXAMPLES = `
Examples:
  $ chainrule export examples/iris_mlp.json --format onnx --weights out/iris_mlp/weights.safetensors --out iris.onnx
  $ chainrule export examples/xor_mlp.json --format onnx-training --out xor.train.onnx
  $ chainrule export examples/residual_mlp.json --format tfjs --weights out/residual_mlp/weights.safetensors --out web/

Formats:
  onnx           inference graph, opset ${ONNX_OPSET}, parameters as initializers; inputs and outputs keep the
                 spec's names, the batch dimension is the symbol 'batch'
  onnx-training  one training step (forward, loss, backward, optimizer update) in standard ops: inputs are
                 every parameter, optimizer-state tensor, input and target; outputs 'loss' and '<name>.next'
  tfjs           TensorFlow.js Layers model.json + weights.bin for tf.loadLayersModel`;

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'Export a spec for other engines: an ONNX model (inference, or one whole training step) or a tfjs Layers model.',
    )
    .argument('<spec>', 'path to the spec (JSON)')
    .addOption(new Option('--format <format>', 'what to write').choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption('--out <path>', 'the .onnx file to write (tfjs: the directory for model.json and weights.bin)')
    .option(
      '--weights <file>',
      'parameters (safetensors, e.g. from `chainrule train`); default: the seeded initialization',
    )
    .option('--seed <n>', "initialization seed when no --weights is given (default: the spec's train.seed)", parseSeed)
    .addHelpText('after', EXAMPLES)
    .action(async (specPath: string, flags: ExportFlags) => {
      const loaded = loadSpecForCli(specPath, { dtype: 'f32' });
      if (loaded === undefined) return;
      await reportErrors(async () => {
        try {
          const written = await runExport(loaded, flags);
          process.stdout.write(`wrote ${written}\n`);
        } catch (err) {
          if (!(err instanceof ChainruleError)) throw err;
          // A spec that is valid but cannot be exported this way (e.g. onnx-training without a loss).
          const errors = locate(err.diagnostics, loaded.locations);
          process.stderr.write(renderLoadReport({ ok: false, errors, warnings: [] }, specPath));
          process.exitCode = 1;
        }
      });
    });
}

async function params(spec: CheckedSpec, flags: ExportFlags): Promise<Record<string, Float32Array>> {
  if (flags.weights !== undefined) return weightsForGraph(spec.graph, flags.weights);
  return seededParams(spec, flags.seed);
}

/** Writes the export; returns what it wrote, for the summary line. */
async function runExport(spec: CheckedSpec, flags: ExportFlags): Promise<string> {
  switch (flags.format) {
    case 'onnx':
      mkdirSync(dirname(resolve(flags.out)), { recursive: true });
      writeFileAtomic(flags.out, exportOnnx(spec, await params(spec, flags)));
      return flags.out;
    case 'onnx-training':
      if (flags.weights !== undefined) {
        throw new RuntimeError(
          '--weights does not apply to --format onnx-training: the parameters are inputs of the training step',
          'feed the parameters (and zeros for the optimizer state) when you run the graph',
        );
      }
      mkdirSync(dirname(resolve(flags.out)), { recursive: true });
      writeFileAtomic(flags.out, exportOnnxTraining(spec));
      return flags.out;
    case 'tfjs':
      return exportTfjs(spec, await params(spec, flags), flags.out);
  }
}
