// `chainrule draw SPEC`: one diagram of a spec (forward, backward or joint view) as DOT, SVG or PNG.
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildDiagram, type DiagramOptions, type DiagramView, diagramViews } from '../../../compiler/diagram/dot.js';
import { type LabelMarkup, writeDot } from '../../../compiler/diagram/dot-text.js';
import { specLabels } from '../../../compiler/frontend/labels.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { trainingGraph } from '../../../compiler/passes/pipeline.js';
import { MAX_SVG_NODES } from '../../render/diagram-files.js';
import { GraphvizError, renderSvg } from '../../render/svg.js';
import { USAGE_EXIT } from '../exit-codes.js';
import { locate } from '../../frontend/check.js';
import {
  batchOption,
  dtypeOption,
  graphOptions,
  type LoadedSpec,
  loadSpecForCli,
  renderLoadReport,
} from '../spec-input.js';

type Format = 'dot' | 'svg' | 'png';

interface DrawFlags {
  readonly view: DiagramView;
  readonly format: Format;
  readonly output?: string;
  readonly width?: number;
  readonly rankdir?: 'LR' | 'TB' | 'BT';
  readonly head: 'simplified' | 'naive';
  readonly shapes: 'numbers' | 'letters';
  readonly optimizer?: 'full' | 'folded';
  readonly legend: boolean;
  readonly labels: LabelMarkup;
  readonly dtype?: string;
  readonly batch?: number;
}

function parseWidth(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 16 || n > 20000)
    throw new InvalidArgumentError(`expected a width in pixels (16–20000), got '${value}'.`);
  return n;
}

const examples = `
Views:
  forward   the forward graph: inputs, parameters, operations, outputs, loss; tensor shapes on the edges
  backward  the chain rule: from the loss seed ∂L/∂L = 1 back to every parameter, then the optimizer updates
  backprop  the lecture's figure (default): forward (blue) going up from the input at the bottom,
            backward (red) coming down toward the layer below, each gradient level with the value
            it differentiates; thin grey arrows bring each gradient the forward values it needs
            (what backprop remembers); no optimizer
  joint     backprop plus the optimizer: each parameter's update (purple) and a dashed tie from
            each gradient to its value

Heads (--head):
  simplified  softmax + cross-entropy as one step from the seed, ∂L/∂o = (p − onehot(y))/n, as
              explain writes it (default)
  naive       the chain the autodiff pass emits: −y⊘(n·p) into ∂L/∂p, then ·J_softmax(o)

Shapes (--shapes letters): n is the batch; d an input's features; p the model output's; h a hidden
layer's width (h₁, h₂, … in forward order when there are several). A weight is [in, out].

Examples:
  $ chainrule draw examples/two_layer_sigmoid.json > two_layer.svg
  $ chainrule draw examples/learn/two_layer.json --shapes letters --format png --width 1400
  $ chainrule draw examples/mnist_mlp.json --view backward --format png      # writes mnist_mlp.backward.png
  $ chainrule draw examples/residual_mlp.json --format dot -o residual.dot
  $ npx graphviz -Tsvg residual.dot -o residual.svg                 # re-render with any Graphviz
  $ chainrule draw examples/iris_mlp.json --view joint --optimizer full --format png --width 2400 -o iris.png`;

export function drawCommand(): Command {
  return new Command('draw')
    .description('Draw a diagram of a spec: forward (blue), backward (red, chain-rule factor on every edge) or both.')
    .argument('<spec>', 'path to the spec (JSON)')
    .addOption(new Option('--view <view>', 'which graph to draw').choices(diagramViews).default('backprop'))
    .addOption(new Option('--format <format>', 'output format').choices(['dot', 'svg', 'png']).default('svg'))
    .option(
      '-o, --output <file>',
      'write to this file (default: stdout; for png on a terminal, <name>.<view>.png; "-" is stdout, not a terminal for png)',
    )
    .addOption(new Option('--width <px>', 'PNG width in pixels (default: the SVG size)').argParser(parseWidth))
    .addOption(
      new Option(
        '--rankdir <dir>',
        'layout direction: LR (left to right), TB (top to bottom) or BT (bottom to top); default LR for forward, TB for backward, BT for backprop and joint',
      ).choices(['LR', 'TB', 'BT']),
    )
    .addOption(
      new Option(
        '--head <form>',
        'the loss head: simplified ((p − y)/n in one step, as explain) or naive (the autodiff chain through ∂L/∂p)',
      )
        .choices(['simplified', 'naive'])
        .default('simplified'),
    )
    .addOption(
      new Option('--shapes <form>', "shape labels: numbers ([B,128]) or letters (the lecture's [n,d], [d,h], …)")
        .choices(['numbers', 'letters'])
        .default('numbers'),
    )
    .addOption(
      new Option(
        '--optimizer <mode>',
        'optimizer state: full (every state tensor and update) or folded into one update per parameter',
      ).choices(['full', 'folded']),
    )
    .option('--no-legend', 'leave out the title and legend')
    .addOption(
      new Option(
        '--labels <markup>',
        'labels in --format dot: plain (renders in every Graphviz: system dot, npx graphviz, viz.js) or html (bold titles, small shapes; full Graphviz only)',
      )
        .choices(['plain', 'html'])
        .default('plain'),
    )
    .addOption(dtypeOption())
    .addOption(batchOption())
    .addHelpText('after', examples)
    .action(async (path: string, flags: DrawFlags, command: Command) => {
      const options = graphOptions(flags);
      const loaded = loadSpecForCli(path, options);
      if (loaded === undefined) return;
      const graph = flags.view === 'forward' ? loaded.graph : jointGraph(loaded, path);
      if (graph === undefined) return;
      const diagram: DiagramOptions = {
        legend: flags.legend,
        names: specLabels(loaded.spec),
        head: flags.head,
        shapes: flags.shapes,
        ...(flags.rankdir === undefined ? {} : { rankdir: flags.rankdir }),
        ...(flags.optimizer === undefined ? {} : { optimizer: flags.optimizer }),
      };
      // SVG and PNG come from chainrule's own full Graphviz, which draws the HTML-like labels.
      const labels = flags.format === 'dot' ? flags.labels : 'html';
      const { document } = buildDiagram(graph, flags.view, { ...diagram, labels });
      if (flags.format !== 'dot' && document.nodes.length > MAX_SVG_NODES) {
        process.stderr.write(
          `error: the ${flags.view} view of '${graph.name}' has ${document.nodes.length.toLocaleString('en-US')} nodes, more than the ${MAX_SVG_NODES.toLocaleString('en-US')} chainrule lays out (Graphviz's layout time grows faster than the graph)\n  hint: write the DOT with --format dot -o ${graph.name}.dot and render it with Graphviz (dot -Tsvg), or draw a smaller spec\n`,
        );
        process.exitCode = 1;
        return;
      }
      await emit(writeDot(document, labels), flags, `${graph.name}.${flags.view}.png`, command);
    });
}

/** The joint training graph, or undefined (errors printed) when the spec cannot be trained. */
function jointGraph(loaded: LoadedSpec, path: string): Graph | undefined {
  if (loaded.spec.loss === undefined) {
    process.stderr.write(
      `${path}: error: spec '${loaded.spec.name}' has no loss, so it has no backward graph to draw\n  hint: draw it with --view forward, or add "loss": { "op": "cross_entropy", "input": ..., "target": ... }\n`,
    );
    process.exitCode = 1;
    return undefined;
  }
  const result = trainingGraph(loaded);
  if (result.ok) return result.graph;
  process.stderr.write(
    renderLoadReport({ ok: false, errors: locate(result.errors, loaded.locations), warnings: [] }, path),
  );
  process.exitCode = 1;
  return undefined;
}

async function emit(dot: string, flags: DrawFlags, defaultPng: string, command: Command): Promise<void> {
  if (flags.format === 'dot') return write(dot, flags.output);
  // PNG is binary: to stdout only when it is redirected or piped, never onto a terminal. Without
  // -o, a terminal gets <name>.<view>.png; a redirect (> x.png) gets the PNG itself.
  const pngFile = flags.output ?? (process.stdout.isTTY === true ? defaultPng : '-');
  if (flags.format === 'png' && pngFile === '-' && process.stdout.isTTY === true) {
    command.error(
      'error: --format png writes binary data, not to a terminal\n  hint: redirect it (> diagram.png), pipe it, or pass -o FILE.png',
      { exitCode: USAGE_EXIT, code: 'chainrule.binaryToTerminal' },
    );
  }
  let svg: string;
  try {
    svg = await renderSvg(dot);
  } catch (err) {
    if (!(err instanceof GraphvizError)) throw err;
    process.stderr.write(
      `error: ${err.message}\n  hint: this is a bug in chainrule's diagram writer; rerun with --format dot to see the DOT\n`,
    );
    process.exitCode = 1;
    return;
  }
  if (flags.format === 'svg') return write(svg, flags.output);
  // resvg (a native addon) loads only when a PNG is asked for: `draw` to SVG or DOT starts faster.
  const { renderPng } = await import('../../render/png.js');
  const png = renderPng(svg, flags.width === undefined ? {} : { width: flags.width });
  write(png, pngFile);
  if (pngFile !== '-' && process.exitCode !== 1) process.stderr.write(`wrote ${pngFile}\n`);
}

function write(data: string | Buffer, file: string | undefined): void {
  if (file === undefined || file === '-') {
    process.stdout.write(data);
    return;
  }
  try {
    writeFileSync(file, data);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      `error: cannot write ${file}: ${reason}\n  hint: check that the directory exists and is writable\n`,
    );
    process.exitCode = 1;
  }
}
