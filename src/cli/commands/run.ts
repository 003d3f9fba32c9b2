// `chainrule run SPEC --input NAME=VALUES …`: one forward pass (and, with --target, the loss and
// the backward pass) on values typed on the command line, every tensor printed as a table. Runs
// the reference interpreter, so nothing is compiled and every op is the textbook formula.
import { Command } from 'commander';
import { ChainruleError } from '../../../compiler/diagnostics.js';
import { forwardFormula, type NameOf } from '../../../compiler/diagram/labels.js';
import { type Labels, labelled, specLabels, withLabels } from '../../../compiler/frontend/labels.js';
import { initialParams } from '../../../compiler/interp/init-params.js';
import { interpret, type InterpretResult } from '../../../compiler/interp/interpret.js';
import { gradName } from '../../../compiler/ir/graph.js';
import type { Graph, Node } from '../../../compiler/ir/types.js';
import { trainingGraph } from '../../../compiler/passes/pipeline.js';
import { readWeights } from '../../../runtime/checkpoint.js';
import { RuntimeError } from '../../../runtime/errors.js';
import { locate } from '../../frontend/check.js';
import { dtypeOption, graphOptions, type LoadedSpec, loadSpecForCli, renderLoadReport } from '../spec-input.js';
import { formatNumber, formatTable, parseValues, splitAssignment } from '../tensor-text.js';
import { reportErrors } from '../report.js';

interface RunFlags {
  readonly input: readonly string[];
  readonly target: readonly string[];
  readonly weights?: string;
  readonly dtype?: string;
}

const examples = `
VALUES is inline JSON — one row [1,2,0], rows [[1,2,0],[-1,0,1]], class indices [0,2] — or the
path of a CSV file (one row per line; a header line is skipped). Without --weights the
parameters are the ones \`chainrule train\` starts from (the spec's train.seed).

Examples:
  $ chainrule run examples/learn/softmax.json --input x='[[1,2,0],[-1,0,1],[-10,0,10]]' --dtype f64
  $ chainrule run examples/learn/two_layer.json --input x='[[1,2,0]]' --target y='[2]'
  $ chainrule run examples/iris_mlp.json --input x=flowers.csv --weights out/iris_mlp/weights.safetensors`;

const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

export function runCommand(): Command {
  return new Command('run')
    .description(
      'Run one forward pass on given values and print every tensor; with --target also the loss and every gradient.',
    )
    .argument('<spec>', 'path to the spec (JSON)')
    .option('--input <NAME=VALUES>', 'values of an input (repeat for each input)', collect, [])
    .option('--target <NAME=VALUES>', 'values of a target: adds the loss and the backward pass', collect, [])
    .option('--weights <file>', 'weights.safetensors written by `chainrule train` (default: the initial weights)')
    .addOption(dtypeOption())
    .addHelpText('after', examples)
    .action(async (path: string, flags: RunFlags) => {
      const options = graphOptions(flags);
      const loaded = loadSpecForCli(path, options);
      if (loaded === undefined) return;
      const graph = flags.target.length > 0 ? backwardGraph(loaded, path) : loaded.graph;
      if (graph === undefined) return;
      await reportErrors(async () => {
        const feeds = readFeeds(graph, flags);
        const params =
          flags.weights === undefined ? initialParams(graph, seedOf(loaded)) : weights(flags.weights, graph);
        let result: InterpretResult;
        try {
          result = interpret(graph, { feeds, params });
        } catch (err) {
          if (!(err instanceof ChainruleError)) throw err;
          throw new RuntimeError(
            err.diagnostics.map((d) => `${d.message}`).join('\n       '),
            err.diagnostics[0]?.hint,
          );
        }
        const hasParams = graph.nodes.some((n) => n.op === 'param');
        const source =
          flags.weights !== undefined
            ? `parameters from ${flags.weights}`
            : hasParams
              ? `initial parameters (seed ${seedOf(loaded)})`
              : 'no parameters';
        const about = `${options.dtype}, ${source}`;
        process.stdout.write(report(graph, result, flags.target.length > 0, about, specLabels(loaded.spec)));
      });
    });
}

function seedOf(loaded: LoadedSpec): number {
  return loaded.spec.train?.seed ?? 1;
}

/** The differentiated graph, or undefined (errors printed) when the spec cannot be differentiated. */
function backwardGraph(loaded: LoadedSpec, path: string): Graph | undefined {
  const result = trainingGraph(loaded);
  if (result.ok) return result.graph;
  process.stderr.write(
    renderLoadReport({ ok: false, errors: locate(result.errors, loaded.locations), warnings: [] }, path),
  );
  process.exitCode = 1;
  return undefined;
}

function weights(file: string, graph: Graph): Record<string, Float32Array | Float64Array> {
  const w = readWeights(file);
  if (w.model !== graph.name)
    throw new RuntimeError(
      `${file} holds weights of model '${w.model}', not '${graph.name}'`,
      'pass the spec the weights were trained with',
    );
  return w.params;
}

const shapeText = (shape: readonly (number | string)[]): string => `[${shape.join(',')}]`;

/** Values per row of a leaf (its shape without the batch). */
function rowWidth(node: Node): number {
  return node.type.shape.reduce<number>((a, d) => a * (d === 'B' ? 1 : d), 1);
}

/** The feeds from --input/--target, checked against the graph's leaves by name, width and kind. */
function readFeeds(graph: Graph, flags: RunFlags): Record<string, number[]> {
  const leaves = (op: 'input' | 'target'): Node[] => graph.nodes.filter((n) => n.op === op);
  const feeds: Record<string, number[]> = {};
  let rows: number | undefined;
  const read = (op: 'input' | 'target', raw: string): void => {
    const flag = `--${op}`;
    const [name, values] = splitAssignment(raw, flag);
    const node = leaves(op).find((n) => n.name === name);
    if (node === undefined) {
      const names = leaves(op).map((n) => n.name);
      throw new RuntimeError(
        `${flag} ${name}: '${graph.name}' has no ${op} named '${name}'`,
        names.length === 0 ? `this spec has no ${op}s` : `its ${op}s: ${names.join(', ')}`,
      );
    }
    const parsed = parseValues(values, rowWidth(node), `${flag} ${name}`, shapeText(node.type.shape));
    if (node.type.dtype === 'i32') checkClasses(graph, node, parsed.data, `${flag} ${name}`);
    if (rows !== undefined && parsed.rows !== rows)
      throw new RuntimeError(
        `${flag} ${name} has ${parsed.rows} rows, the values before have ${rows}`,
        'give every input and target the same number of rows',
      );
    rows = parsed.rows;
    feeds[name] = parsed.data;
  };
  for (const raw of flags.input) read('input', raw);
  for (const raw of flags.target) read('target', raw);
  for (const node of leaves('input')) {
    if (feeds[node.name] === undefined)
      throw new RuntimeError(
        `no values for input '${node.name}' ${shapeText(node.type.shape)}`,
        `pass --input ${node.name}='[[...]]'`,
      );
  }
  // Without --target the loss is not shown: zeros stand in for the targets it would read.
  for (const node of leaves('target')) feeds[node.name] ??= new Array<number>((rows ?? 1) * rowWidth(node)).fill(0);
  return feeds;
}

/** Class-index targets select one of the prediction's columns. */
function checkClasses(graph: Graph, target: Node, data: readonly number[], flag: string): void {
  const loss = graph.nodes.find((n) => n.id === graph.loss);
  const pred = graph.nodes.find((n) => n.id === loss?.inputs[0]);
  const classes = pred === undefined ? Number.POSITIVE_INFINITY : rowWidth(pred);
  data.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new RuntimeError(
        `${flag}: row ${i + 1} is ${c}, not a class index 0…${classes - 1}`,
        `'${target.name}' holds one class index per row`,
      );
  });
}

function section(title: string, blocks: readonly string[][]): string[] {
  return blocks.length === 0 ? [] : [title, ...blocks.flatMap((b) => [...b, ''])];
}

/** How a run names tensors: `name` (a label where the spec gives one, as explain and the diagrams do) and `raw` (the spec's name). */
interface Naming {
  readonly name: NameOf;
  readonly raw: NameOf;
  readonly labels: Labels;
}

/** `∂L/∂h`, or `∂L/∂h (part d(h)#2)` for one contribution of several. */
function gradTitle(node: Node, naming: Naming): string {
  if (node.op === 'fill') return '∂L/∂L';
  if (node.grad === undefined) return `∂L/∂${node.name}`;
  const of = naming.name(node.grad.of);
  return node.name === gradName(naming.raw(node.grad.of)) ? `∂L/∂${of}` : `∂L/∂${of} (part ${node.name})`;
}

/** How a gradient is computed from the incoming one, with the local factor the diagram shows. */
function gradFormula(graph: Graph, node: Node, naming: Naming): string {
  if (node.op === 'fill') return `${node.attrs.value}`;
  const byId = (id: number): Node | undefined => graph.nodes.find((n) => n.id === id);
  const incoming = node.inputs
    .map(byId)
    .filter((n): n is Node => n !== undefined && (n.role === 'backward' || n.role === 'const'));
  if (node.op === 'add') return incoming.map((n) => gradTitle(n, naming)).join(' + ');
  const from = incoming[0] === undefined ? '?' : gradTitle(incoming[0], naming);
  const factor = withLabels(node.grad?.factor ?? '', naming.labels);
  if (factor === '') return from;
  if (factor.endsWith('·') || factor === 'Σrows') return `${factor} ${from}`;
  return `${from} ${factor}`;
}

function block(header: string, value: { shape: readonly number[]; data: ArrayLike<number> } | undefined): string[] {
  if (value === undefined) return [header];
  return [`  ${header}  ${shapeText(value.shape)}`, ...formatTable(value.shape, value.data, '    ')];
}

/**
 * Every tensor of the run, in graph order: forward values, the loss, then the gradients. Formulas
 * use the spec's labels (W⁽¹⁾ for `z.weight`); a labelled tensor's own line names both.
 */
function report(graph: Graph, result: InterpretResult, backward: boolean, about: string, labels: Labels): string {
  const raw: NameOf = (id) => graph.nodes.find((n) => n.id === id)?.name ?? `%${id}`;
  const label = labelled(labels);
  const name: NameOf = (id) => label(raw(id));
  const naming: Naming = { name, raw, labels };
  const title = (n: Node): string => (label(n.name) === n.name ? n.name : `${label(n.name)} (${n.name})`);
  const value = (n: Node): { shape: readonly number[]; data: ArrayLike<number> } | undefined => result.values.get(n.id);
  const forward = graph.nodes.filter((n) => ['input', 'target', 'param', 'forward'].includes(n.role));
  const shownForward = forward.filter((n) => backward || n.role !== 'target');
  const leaf = (n: Node): boolean => n.role !== 'forward';
  const lines = [`${graph.name}: batch ${result.batch}, ${about}`, ''];
  lines.push(
    ...section(
      'forward',
      shownForward.map((n) =>
        block(
          leaf(n) ? `${title(n)}: ${forwardFormula(n, name)}` : `${title(n)} = ${forwardFormula(n, name)}`,
          value(n),
        ),
      ),
    ),
  );
  if (backward) {
    const loss = graph.nodes.find((n) => n.id === graph.loss);
    if (loss !== undefined)
      lines.push(
        'loss',
        `  L = ${loss.name} = ${forwardFormula(loss, name)} = ${formatNumber(result.loss ?? Number.NaN)}`,
        '',
      );
    const grads = graph.nodes.filter((n) => n.role === 'backward' || (n.role === 'const' && n.op === 'fill'));
    lines.push(
      ...section(
        'backward',
        grads.map((n) => block(`${gradTitle(n, naming)} = ${gradFormula(graph, n, naming)}`, value(n))),
      ),
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
