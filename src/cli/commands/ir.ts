// `chainrule ir SPEC`: print the IR of a spec, one typed equation per line; with --grad the joint
// training graph (forward, backward, optimizer update), with --after the graph after any pass.
import { Command, Option } from 'commander';
import { printGraph } from '../../../compiler/ir/print.js';
import { trainingGraph, trainingPasses } from '../../../compiler/passes/pipeline.js';
import { locate } from '../../frontend/check.js';
import {
  renderLoadReport,
  batchOption,
  dtypeOption,
  graphOptions,
  loadSpecForCli,
  type LoadedSpec,
} from '../spec-input.js';

const stageNames = ['build', ...trainingPasses.map((p) => p.name)];

interface IrFlags {
  readonly dtype?: string;
  readonly batch?: number;
  readonly grad?: boolean;
  readonly after?: string;
}

export function irCommand(): Command {
  return new Command('ir')
    .description(
      'Print the IR of a spec: one typed equation per line (%k name: type = op[attrs] operands).\nBackward nodes note what they differentiate (# ∂ %k name factor); update nodes what they assign (# → %k).',
    )
    .argument('<spec>', 'path to the spec (JSON)')
    .option('--grad', 'print the joint training graph: forward, backward (chain rule) and optimizer update')
    .addOption(
      new Option('--after <pass>', 'print the graph after one pass, or after every pass').choices([
        ...stageNames,
        'all',
      ]),
    )
    .addOption(dtypeOption())
    .addOption(batchOption())
    .addHelpText(
      'after',
      `\nPasses: ${stageNames.join(', ')}\n\nExamples:\n  $ chainrule ir examples/mnist_mlp.json\n  $ chainrule ir examples/mnist_mlp.json --grad\n  $ chainrule ir examples/residual_mlp.json --after all --dtype f64 --batch 8`,
    )
    .action((path: string, flags: IrFlags) => {
      const options = graphOptions(flags);
      const loaded = loadSpecForCli(path, options);
      if (loaded === undefined) return;
      if (flags.grad !== true && flags.after === undefined) {
        process.stdout.write(printGraph(loaded.graph));
        return;
      }
      const text = trainingText(loaded, path, flags.after ?? stageNames[stageNames.length - 1] ?? 'build');
      if (text !== undefined) process.stdout.write(text);
    });
}

/** The joint graph after `stage` (or every stage, each under a `# after <pass>` header). */
function trainingText(loaded: LoadedSpec, path: string, stage: string): string | undefined {
  const result = trainingGraph(loaded);
  if (!result.ok) {
    const errors = locate(result.errors, loaded.locations);
    process.stderr.write(renderLoadReport({ ok: false, errors, warnings: [] }, path));
    process.exitCode = 1;
    return undefined;
  }
  const stages = stage === 'all' ? result.stages : result.stages.filter((s) => s.pass === stage);
  if (stage === 'all') return stages.map((s) => `# after ${s.pass}\n${printGraph(s.graph)}`).join('\n');
  return stages.map((s) => printGraph(s.graph)).join('\n');
}
