// What both importers (ONNX, tfjs) build: a spec and its weights, node by node, with valid unique
// names, the loss inferred from the output op, checked by the spec front end, then written as
// DIR/<name>.json + DIR/weights.safetensors (chainrule's layout: weights [in, out]).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphSpec, LossSpec, NodeSpec, SpecLossOp, SpecShape } from '../../compiler/frontend/graph-spec.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { RuntimeError } from '../../runtime/errors.js';
import { encodeSafetensors, type NamedTensor } from '../../runtime/safetensors.js';
import { checkSpecValue } from '../frontend/check.js';

/** `--loss`: the loss to declare, or none; default: inferred from the output op. */
export type LossChoice = SpecLossOp | 'none';
export const LOSS_CHOICES: readonly LossChoice[] = ['cross_entropy', 'binary_cross_entropy', 'mse', 'none'];

export interface ImportedModel {
  readonly spec: GraphSpec;
  readonly weights: Readonly<Record<string, NamedTensor>>;
  /** Things the user should know (e.g. an erf GELU imported as chainrule's tanh GELU). */
  readonly warnings: readonly string[];
}

/** A spec-safe identifier from any name (`/0/Gemm_output_0` → `n0_Gemm_output_0`). */
export function specName(raw: string, fallback: string): string {
  let s = raw
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s === '') s = fallback;
  if (/^[0-9]/.test(s)) s = `n${s}`;
  return s;
}

export class SpecDraft {
  readonly nodes: NodeSpec[] = [];
  readonly inputs: Record<string, SpecShape> = {};
  readonly weights: Record<string, NamedTensor> = {};
  readonly warnings: string[] = [];
  private readonly taken = new Set<string>();
  /** Node name → the op that produced it and its width, for loss inference and shapes. */
  private readonly widths = new Map<string, number>();

  constructor(readonly source: string) {}

  /** A fresh name derived from `raw`. */
  name(raw: string, fallback = 'node'): string {
    const base = specName(raw, fallback);
    let name = base;
    for (let i = 2; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  widthOf(name: string): number {
    const w = this.widths.get(name);
    if (w === undefined) throw new Error(`internal: no width for '${name}'`);
    return w;
  }

  input(raw: string, width: number): string {
    const name = this.name(raw, 'x');
    this.inputs[name] = [null, width];
    this.widths.set(name, width);
    return name;
  }

  /** A linear node; `w` is [in, units] row-major (chainrule's layout). */
  linear(raw: string, input: string, w: Float32Array, units: number, bias: Float32Array | undefined): string {
    const inDim = this.widthOf(input);
    if (w.length !== inDim * units) {
      throw new Error(`internal: weight of '${raw}' has ${w.length} values, not ${inDim}×${units}`);
    }
    const name = this.name(raw, 'fc');
    this.nodes.push(
      bias === undefined ? { name, op: 'linear', input, units, bias: false } : { name, op: 'linear', input, units },
    );
    this.weights[`${name}.weight`] = { data: w, shape: [inDim, units] };
    if (bias !== undefined) this.weights[`${name}.bias`] = { data: bias, shape: [units] };
    this.widths.set(name, units);
    return name;
  }

  unary(raw: string, op: Exclude<NodeSpec['op'], 'linear' | 'add'>, input: string, alpha?: number): string {
    const name = this.name(raw, op);
    this.nodes.push(alpha === undefined ? { name, op, input } : { name, op, input, alpha });
    this.widths.set(name, this.widthOf(input));
    return name;
  }

  add(raw: string, inputs: readonly string[]): string {
    const name = this.name(raw, 'add');
    this.nodes.push({ name, op: 'add', inputs: [...inputs] });
    this.widths.set(name, this.widthOf(inputs[0] ?? ''));
    return name;
  }

  opOf(name: string): NodeSpec['op'] | undefined {
    return this.nodes.find((n) => n.name === name)?.op;
  }

  /**
   * The finished, checked spec. `recipe` is the training part chainrule's own exports carry
   * (metadata `chainrule.training`): its targets and loss are used unless `loss` is given, its
   * train block always, when they fit the imported graph.
   */
  finish(
    rawName: string,
    outputs: readonly string[],
    loss: LossChoice | undefined,
    recipe?: TrainingRecipe,
  ): ImportedModel {
    const name = specName(rawName, 'imported');
    const first = outputs[0];
    if (first === undefined) throw new RuntimeError(`${this.source} has no output`);
    const inferred = this.lossPart(first, loss ?? inferLoss(this.opOf(first)));
    const stored =
      loss === undefined && recipe?.loss !== undefined ? { targets: recipe.targets, loss: recipe.loss } : undefined;
    if (stored !== undefined || recipe?.train !== undefined) {
      const spec = this.spec(name, outputs, stored ?? inferred, recipe?.train);
      if (checkSpecValue(spec, undefined, { dtype: 'f32' }).ok)
        return { spec, weights: this.weights, warnings: this.warnings };
      this.warnings.push(`the training recipe stored in ${this.source} does not fit the imported graph; it is ignored`);
    }
    const spec = this.spec(name, outputs, inferred, undefined);
    const checked = checkSpecValue(spec, undefined, { dtype: 'f32' });
    if (!checked.ok) {
      const why = checked.errors.map((e) => e.message).join('; ');
      throw new RuntimeError(
        `the spec imported from ${this.source} is not valid: ${why}`,
        loss === undefined ? 'choose a loss that fits the output with --loss (or --loss none)' : undefined,
      );
    }
    return { spec, weights: this.weights, warnings: this.warnings };
  }

  private lossPart(first: string, choice: LossChoice): Pick<GraphSpec, 'targets' | 'loss'> {
    if (choice === 'none') return {};
    const target = this.inputs['y'] === undefined && !this.taken.has('y') ? 'y' : this.name('target');
    return {
      targets: { [target]: choice === 'cross_entropy' ? [null] : [null, this.widthOf(first)] },
      loss: { op: choice, input: first, target } satisfies LossSpec,
    };
  }

  private spec(
    name: string,
    outputs: readonly string[],
    part: Pick<GraphSpec, 'targets' | 'loss'>,
    train: GraphSpec['train'],
  ): GraphSpec {
    return {
      name,
      inputs: this.inputs,
      ...(part.targets !== undefined ? { targets: part.targets } : {}),
      nodes: this.nodes,
      outputs: [...outputs],
      ...(part.loss !== undefined ? { loss: part.loss } : {}),
      ...(train !== undefined ? { train } : {}),
    };
  }
}

/** The training part of a spec, stored by chainrule's exports beside the graph. */
export interface TrainingRecipe {
  readonly targets?: GraphSpec['targets'];
  readonly loss?: GraphSpec['loss'];
  readonly train?: GraphSpec['train'];
}

/** The metadata key chainrule's exports store the recipe under (ONNX metadata_props, tfjs userDefinedMetadata). */
export const RECIPE_KEY = 'chainrule.training';

export function recipeOf(spec: GraphSpec): TrainingRecipe {
  return {
    ...(spec.targets !== undefined ? { targets: spec.targets } : {}),
    ...(spec.loss !== undefined ? { loss: spec.loss } : {}),
    ...(spec.train !== undefined ? { train: spec.train } : {}),
  };
}

/** A recipe from metadata text; undefined when absent or not an object (then the loss is inferred). */
export function parseRecipe(text: string | undefined): TrainingRecipe | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as TrainingRecipe) : undefined;
  } catch {
    return undefined;
  }
}

/** softmax/log_softmax → cross_entropy, sigmoid → binary_cross_entropy, anything else → mse. */
export function inferLoss(outputOp: NodeSpec['op'] | undefined): SpecLossOp {
  switch (outputOp) {
    case 'softmax':
    case 'log_softmax':
      return 'cross_entropy';
    case 'sigmoid':
      return 'binary_cross_entropy';
    default:
      return 'mse';
  }
}

export const WEIGHTS_FILE = 'weights.safetensors';

/** The spec file's text: two-space JSON with one node per line, like examples/. */
export function specText(spec: GraphSpec): string {
  // Arrays of names and dims on one line (`"x": [null, 16]`), as examples/ writes them.
  const body = JSON.stringify({ ...spec, nodes: [] }, null, 2).replace(
    /\[([^[\]{}]*)\]/g,
    (_all, inner: string) =>
      `[${inner
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .join(', ')}]`,
  );
  const lines = spec.nodes.map(
    (n) => `    { ${JSON.stringify(n).slice(1, -1).replace(/,"/g, ', "').replace(/":/g, '": ')} }`,
  );
  return `${body.replace('"nodes": []', `"nodes": [\n${lines.join(',\n')}\n  ]`)}\n`;
}

/** Writes DIR/<name>.json and DIR/weights.safetensors (each atomically); returns the paths. */
export function writeImported(dir: string, model: ImportedModel): { spec: string; weights: string } {
  const bytes = encodeSafetensors(model.weights, {
    format: 'chainrule',
    model: model.spec.name,
    dtype: 'f32',
    epoch: '0',
  });
  const text = specText(model.spec);
  mkdirSync(dir, { recursive: true });
  const paths = { spec: join(dir, `${model.spec.name}.json`), weights: join(dir, WEIGHTS_FILE) };
  writeFileAtomic(paths.weights, bytes);
  writeFileAtomic(paths.spec, text);
  return paths;
}
