// `chainrule ir SPEC`: print the IR of a spec, one typed equation per line.
import { Command } from 'commander';
import { printGraph } from '../../../compiler/ir/print.js';
import { batchOption, dtypeOption, graphOptions, loadSpecForCli } from '../spec-input.js';

export function irCommand(): Command {
  return new Command('ir')
    .description('Print the IR of a spec: one typed equation per line (%k name: type = op[attrs] operands).')
    .argument('<spec>', 'path to the spec (JSON)')
    .addOption(dtypeOption())
    .addOption(batchOption())
    .addHelpText('after', '\nExamples:\n  $ chainrule ir examples/mnist_mlp.json\n  $ chainrule ir examples/mnist_mlp.json --dtype f64 --batch 64')
    .action((path: string, raw: { dtype?: string; batch?: number }) => {
      const loaded = loadSpecForCli(path, graphOptions(raw));
      if (loaded === undefined) return;
      process.stdout.write(printGraph(loaded.graph));
    });
}
