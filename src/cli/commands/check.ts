// `chainrule check SPEC`: validate a spec and summarize it in one line.
import { Command } from 'commander';
import type { Graph } from '../../../compiler/ir/types.js';
import { formatShape } from '../../../compiler/ops/shape.js';
import { formatCount } from '../format.js';
import { batchOption, dtypeOption, graphOptions, loadSpecForCli } from '../spec-input.js';

export function checkCommand(): Command {
  return new Command('check')
    .description(
      'Validate a spec file: syntax, names, references, cycles, ops, loss pairing and shapes.\nPrints a one-line summary and exits 0, or prints every error located at file:line:col and exits 1.',
    )
    .argument('<spec>', 'path to the spec (JSON; // and /* */ comments allowed)')
    .addOption(dtypeOption())
    .addOption(batchOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainrule check examples/mnist_mlp.json\n  ok: mnist_mlp — 4 nodes, 101,770 parameters, outputs probs [B,10], loss cross_entropy\n  $ chainrule check examples/residual_mlp.json --batch 32',
    )
    .action((path: string, raw: { dtype?: string; batch?: number }) => {
      const loaded = loadSpecForCli(path, graphOptions(raw));
      if (loaded === undefined) return;
      process.stdout.write(`${summarize(loaded.graph, loaded.spec.nodes.length)}\n`);
    });
}

/** `ok: mnist_mlp — 4 nodes, 101,770 parameters, outputs probs [B,10], loss cross_entropy`. */
export function summarize(graph: Graph, nodeCount: number): string {
  const params = graph.nodes
    .filter((n) => n.role === 'param')
    .reduce((sum, n) => sum + n.type.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1), 0);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const outputs = graph.outputs.map((id) => {
    const n = byId.get(id);
    return n === undefined ? `%${id}` : `${n.name} ${formatShape(n.type.shape)}`;
  });
  const loss = graph.loss === undefined ? 'no loss' : `loss ${byId.get(graph.loss)?.op ?? '?'}`;
  const nodes = `${nodeCount} node${nodeCount === 1 ? '' : 's'}`;
  return `ok: ${graph.name} — ${nodes}, ${formatCount(params)} parameters, outputs ${outputs.join(', ')}, ${loss}`;
}
