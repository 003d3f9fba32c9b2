// `chainrule explain SPEC`: the gradient of every tensor and parameter as a chain-rule product.
import { Command } from 'commander';
import { explainGraph } from '../../../compiler/explain/equations.js';
import { trainingGraph } from '../../../compiler/passes/pipeline.js';
import { locate } from '../../frontend/check.js';
import { batchOption, dtypeOption, graphOptions, loadSpecForCli, renderLoadReport } from '../spec-input.js';

export function explainCommand(): Command {
  return new Command('explain')
    .description(
      'Print the gradient equations of a spec, derived by the chain rule:\nthe backward pass one tensor at a time, then ∂L/∂ of every parameter.',
    )
    .argument('<spec>', 'path to the spec (JSON); it needs a loss')
    .addOption(dtypeOption())
    .addOption(batchOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainrule explain examples/two_layer_sigmoid.json\n  $ chainrule explain examples/residual_mlp.json',
    )
    .action((path: string, raw: { dtype?: string; batch?: number }) => {
      const loaded = loadSpecForCli(path, graphOptions(raw));
      if (loaded === undefined) return;
      const result = trainingGraph(loaded);
      if (result.ok) {
        process.stdout.write(explainGraph(result.graph));
        return;
      }
      process.stderr.write(
        renderLoadReport({ ok: false, errors: locate(result.errors, loaded.locations), warnings: [] }, path),
      );
      process.exitCode = 1;
    });
}
