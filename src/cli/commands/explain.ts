// `chainrule explain SPEC`: the gradient of every tensor and parameter as a chain-rule product.
import { Command, Option } from 'commander';
import { explainGraph } from '../../../compiler/explain/equations.js';
import { explainIndexGraph, explainStepsGraph } from '../../../compiler/explain/index-form.js';
import { specLabels } from '../../../compiler/frontend/labels.js';
import { trainingGraph } from '../../../compiler/passes/pipeline.js';
import { locate } from '../../frontend/check.js';
import { batchOption, dtypeOption, graphOptions, loadSpecForCli, renderLoadReport } from '../spec-input.js';

export function explainCommand(): Command {
  return new Command('explain')
    .description(
      'Print the gradient equations of a spec, derived by the chain rule:\nthe backward pass one tensor at a time, then ∂L/∂ of every parameter.',
    )
    .argument('<spec>', 'path to the spec (JSON); it needs a loss')
    .addOption(
      new Option(
        '--notation <form>',
        "matrix: whole tensors (xᵀ · δ); index: one entry per parameter, the sums over the batch rows and features written out, σ' expanded",
      )
        .choices(['matrix', 'index'])
        .default('matrix'),
    )
    .option(
      '--steps',
      "also print each parameter's gradient as a chain of Jacobian factors and what each one becomes (·Wᵀ, ⊙, Σ_rows)",
    )
    .addOption(dtypeOption())
    .addOption(batchOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainrule explain examples/two_layer_sigmoid.json\n  $ chainrule explain examples/learn/two_layer.json --notation index\n  $ chainrule explain examples/learn/two_layer.json --steps\n  $ chainrule explain examples/residual_mlp.json',
    )
    .action((path: string, raw: { dtype?: string; batch?: number; notation: 'matrix' | 'index'; steps?: boolean }) => {
      const loaded = loadSpecForCli(path, graphOptions(raw));
      if (loaded === undefined) return;
      const result = trainingGraph(loaded);
      if (result.ok) {
        const labels = specLabels(loaded.spec);
        const main =
          raw.notation === 'index' ? explainIndexGraph(result.graph, labels) : explainGraph(result.graph, labels);
        process.stdout.write(raw.steps === true ? `${main}\n${explainStepsGraph(result.graph, labels)}` : main);
        return;
      }
      process.stderr.write(
        renderLoadReport({ ok: false, errors: locate(result.errors, loaded.locations), warnings: [] }, path),
      );
      process.exitCode = 1;
    });
}
