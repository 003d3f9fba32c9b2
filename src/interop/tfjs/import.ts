// `chainrule import DIR/model.json`: a TensorFlow.js Layers model (what `model.save` writes, and
// what the Keras → tfjs converter writes for dense networks) as a spec plus weights. Sequential
// and functional models; Dense kernels are [in, units], chainrule's own layout. The file is
// untrusted: every field is checked, and weight shards must hold exactly the declared bytes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileProblem, RuntimeError } from '../../../runtime/errors.js';
import { cleanFloat32 } from '../activation-match.js';
import { type ImportedModel, type LossChoice, parseRecipe, RECIPE_KEY, SpecDraft } from '../spec-draft.js';

export const SUPPORTED_TFJS =
  'InputLayer, Dense (activation linear, relu, sigmoid, tanh, softmax, logSoftmax), Activation, LeakyReLU, ReLU, Softmax (last axis), Add, Dropout (identity at inference) and a leading Flatten';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface TfjsImportOptions {
  readonly fallbackName: string;
  readonly name?: string;
  readonly loss?: LossChoice;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Activation names tfjs and Keras write → spec ops (undefined: no node). */
const ACTIVATIONS: Readonly<Record<string, 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'log_softmax' | null>> = {
  linear: null,
  relu: 'relu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  logSoftmax: 'log_softmax',
  log_softmax: 'log_softmax',
};

class TfjsImporter {
  readonly draft: SpecDraft;
  /** Layer name → the spec tensor its output is. */
  private readonly outputs = new Map<string, string>();
  /** Graph inputs of rank > 2 waiting for a Flatten. */
  private readonly pendingInputs = new Map<string, readonly (number | null)[]>();

  constructor(
    private readonly source: string,
    private readonly weights: ReadonlyMap<string, { data: Float32Array; shape: readonly number[] }>,
  ) {
    this.draft = new SpecDraft(source);
  }

  fail(layer: string, className: string, message: string): RuntimeError {
    return new RuntimeError(
      `${this.source}: layer '${layer}' (${className}) ${message}`,
      `chainrule imports: ${SUPPORTED_TFJS}`,
    );
  }

  input(name: string, shape: readonly (number | null)[]): void {
    const width = shape[1];
    if (shape.length === 2 && typeof width === 'number') this.outputs.set(name, this.draft.input(name, width));
    else this.pendingInputs.set(name, shape);
  }

  private operand(layer: string, className: string, from: string): string {
    const t = this.outputs.get(from);
    if (t !== undefined) return t;
    if (this.pendingInputs.has(from)) {
      throw this.fail(layer, className, `reads input '${from}' of rank > 2; a leading Flatten must come first`);
    }
    throw this.fail(layer, className, `reads '${from}', which no earlier layer produces`);
  }

  private weight(layer: string, kind: 'kernel' | 'bias'): { data: Float32Array; shape: readonly number[] } | undefined {
    const found = [...this.weights].filter(([name]) => {
      const parts = name.split('/');
      return parts.includes(layer) && (parts[parts.length - 1] ?? '').startsWith(kind);
    });
    if (found.length > 1) throw this.fail(layer, 'Dense', `has ${found.length} '${kind}' weights in the manifest`);
    return found[0]?.[1];
  }

  layer(className: string, config: JsonObject, from: readonly string[]): void {
    const name = typeof config['name'] === 'string' ? config['name'] : '';
    if (name === '') throw new RuntimeError(`${this.source}: a ${className} layer has no name`);
    const single = (): string => {
      if (from.length !== 1) throw this.fail(name, className, `takes ${from.length} inputs, not 1`);
      return this.operand(name, className, from[0] ?? '');
    };
    const unary = (
      op: 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'log_softmax' | 'identity' | 'gelu',
      x: string,
    ): string => this.draft.unary(name, op, x);
    switch (className) {
      case 'Dense': {
        const x = single();
        const units = config['units'];
        if (typeof units !== 'number' || !Number.isSafeInteger(units) || units < 1) {
          throw this.fail(name, className, 'has no valid units');
        }
        const kernel = this.weight(name, 'kernel');
        const inDim = this.draft.widthOf(x);
        if (kernel === undefined || kernel.shape[0] !== inDim || kernel.shape[1] !== units) {
          throw this.fail(name, className, `needs a kernel [${inDim}, ${units}] in the weights manifest`);
        }
        const useBias = config['use_bias'] ?? config['useBias'] ?? true;
        const bias = useBias === false ? undefined : this.weight(name, 'bias');
        if (useBias !== false && (bias === undefined || bias.data.length !== units)) {
          throw this.fail(name, className, `needs a bias [${units}] in the weights manifest`);
        }
        const linear = this.draft.linear(name, x, kernel.data, units, bias?.data);
        const act = this.activation(name, className, config['activation'] ?? 'linear');
        this.outputs.set(name, act === null ? linear : this.draft.unary(`${name}_${act}`, act, linear));
        return;
      }
      case 'Activation': {
        const act = this.activation(name, className, config['activation'] ?? 'linear');
        this.outputs.set(name, unary(act ?? 'identity', single()));
        return;
      }
      case 'LeakyReLU': {
        const alpha = typeof config['alpha'] === 'number' ? config['alpha'] : 0.3; // Keras's default
        this.outputs.set(name, this.draft.unary(name, 'leaky_relu', single(), cleanFloat32(alpha)));
        return;
      }
      case 'ReLU': {
        const plain = [config['max_value'] ?? null, config['maxValue'] ?? null].every((v) => v === null);
        const slope = config['negative_slope'] ?? 0;
        const threshold = config['threshold'] ?? 0;
        if (!plain || slope !== 0 || threshold !== 0)
          throw this.fail(name, className, 'has max_value, negative_slope or threshold');
        this.outputs.set(name, unary('relu', single()));
        return;
      }
      case 'Softmax': {
        const axis = config['axis'] ?? -1;
        if (axis !== -1 && axis !== 1)
          throw this.fail(name, className, `normalizes axis ${JSON.stringify(axis)}, not the last`);
        this.outputs.set(name, unary('softmax', single()));
        return;
      }
      case 'Add': {
        if (from.length < 2) throw this.fail(name, className, 'has fewer than 2 inputs');
        const xs = from.map((f) => this.operand(name, className, f));
        const widths = new Set(xs.map((x) => this.draft.widthOf(x)));
        if (widths.size !== 1)
          throw this.fail(name, className, `adds tensors of different widths (${[...widths].join(', ')})`);
        this.outputs.set(name, this.draft.add(name, xs));
        return;
      }
      case 'Dropout':
        this.outputs.set(name, single());
        return;
      case 'Flatten': {
        if (from.length !== 1) throw this.fail(name, className, 'takes several inputs');
        const src = from[0] ?? '';
        const shape = this.pendingInputs.get(src);
        if (shape === undefined) {
          const t = this.outputs.get(src);
          if (t !== undefined && this.draft.inputs[t] !== undefined) {
            this.outputs.set(name, t); // already [N, d]
            return;
          }
          throw this.fail(
            name,
            className,
            'flattens a computed tensor; only a leading Flatten of the input is imported',
          );
        }
        const dims = shape.slice(1);
        if (dims.some((d) => typeof d !== 'number'))
          throw this.fail(name, className, 'flattens an input with unknown dims');
        this.pendingInputs.delete(src);
        this.outputs.set(
          name,
          this.draft.input(
            src,
            dims.reduce<number>((a, d) => a * (d ?? 0), 1),
          ),
        );
        return;
      }
      default:
        throw this.fail(name, className, 'is not supported');
    }
  }

  private activation(
    layer: string,
    className: string,
    value: Json,
  ): 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'log_softmax' | null {
    const name =
      typeof value === 'string'
        ? value
        : isObject(value) && typeof value['class_name'] === 'string'
          ? value['class_name']
          : '';
    const op = ACTIVATIONS[name];
    if (op === undefined) {
      throw this.fail(
        layer,
        className,
        `uses activation ${JSON.stringify(value)}; chainrule imports ${Object.keys(ACTIVATIONS).join(', ')}`,
      );
    }
    return op;
  }

  /** The spec tensor of layer `name`'s output. */
  result(name: string): string {
    const t = this.outputs.get(name);
    if (t === undefined) throw new RuntimeError(`${this.source}: output layer '${name}' is not in the model`);
    return t;
  }
}

function parseJson(text: string, source: string): JsonObject {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (err) {
    throw new RuntimeError(`${source} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(value)) throw new RuntimeError(`${source} is not a tfjs model.json (not a JSON object)`);
  return value;
}

function shapeOf(config: JsonObject): (number | null)[] | undefined {
  const shape = config['batch_input_shape'] ?? config['batchInputShape'] ?? config['batch_shape'];
  if (!Array.isArray(shape)) return undefined;
  return shape.map((d) => (typeof d === 'number' ? d : null));
}

/** The weights named in the manifest, read from the shard files beside model.json. */
function readWeights(
  manifest: Json | undefined,
  modelPath: string,
): Map<string, { data: Float32Array; shape: number[] }> {
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  if (manifest === undefined) return out;
  if (!Array.isArray(manifest)) throw new RuntimeError(`${modelPath}: weightsManifest is not a list`);
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) {
      throw new RuntimeError(`${modelPath}: a weightsManifest entry has no paths/weights lists`);
    }
    const shards = group['paths'].map((p) => {
      if (typeof p !== 'string' || p.includes('..') || p.startsWith('/')) {
        throw new RuntimeError(`${modelPath}: weight path ${JSON.stringify(p)} is not a file beside model.json`);
      }
      try {
        return readFileSync(join(dirname(modelPath), p));
      } catch (err) {
        throw new RuntimeError(`${modelPath}: cannot read weight file '${p}': ${fileProblem(err)}`);
      }
    });
    const bytes = Buffer.concat(shards);
    let at = 0;
    for (const w of group['weights']) {
      if (!isObject(w) || typeof w['name'] !== 'string' || !Array.isArray(w['shape'])) {
        throw new RuntimeError(`${modelPath}: a weight entry has no name or shape`);
      }
      if (w['dtype'] !== undefined && w['dtype'] !== 'float32') {
        throw new RuntimeError(
          `${modelPath}: weight '${w['name']}' is ${JSON.stringify(w['dtype'])}; chainrule reads float32`,
        );
      }
      if (w['quantization'] !== undefined) throw new RuntimeError(`${modelPath}: weight '${w['name']}' is quantized`);
      const shape = w['shape'].map(Number);
      if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
        throw new RuntimeError(`${modelPath}: weight '${w['name']}' has an invalid shape`);
      const count = shape.reduce((a, d) => a * d, 1);
      if (at + count * 4 > bytes.length) {
        throw new RuntimeError(
          `${modelPath}: the weight files end before weight '${w['name']}' (${bytes.length} bytes)`,
        );
      }
      const data = new Float32Array(count);
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * 4);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
      out.set(w['name'], { data, shape });
      at += count * 4;
    }
    if (at !== bytes.length)
      throw new RuntimeError(
        `${modelPath}: the weight files hold ${bytes.length} bytes but the manifest declares ${at}`,
      );
  }
  return out;
}

/** The inbound layer names of a functional model's layer (one call per layer). */
function inbound(layer: JsonObject, source: string, name: string): string[] {
  const nodes = layer['inbound_nodes'];
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1)
    throw new RuntimeError(
      `${source}: layer '${name}' is called ${nodes.length} times; shared layers are not imported`,
    );
  const first = nodes[0];
  if (!Array.isArray(first))
    throw new RuntimeError(`${source}: layer '${name}' has inbound nodes in a format chainrule does not read`);
  return first.map((ref) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string')
      throw new RuntimeError(`${source}: layer '${name}' has a malformed inbound node`);
    return ref[0];
  });
}

/** A tfjs Layers model.json (with its weight files beside it) as a spec and weights. */
export function importTfjs(modelPath: string, bytes: Uint8Array, options: TfjsImportOptions): ImportedModel {
  const json = parseJson(Buffer.from(bytes).toString('utf8'), modelPath);
  let topology = json['modelTopology'] ?? json;
  if (isObject(topology) && isObject(topology['model_config'])) topology = topology['model_config'];
  if (!isObject(topology) || typeof topology['class_name'] !== 'string') {
    throw new RuntimeError(
      `${modelPath} has no modelTopology with a class_name`,
      'pass the model.json written by tf.LayersModel.save',
    );
  }
  const className = topology['class_name'];
  const config = topology['config'];
  const layersValue = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
  if (!Array.isArray(layersValue)) throw new RuntimeError(`${modelPath}: the model has no layer list`);
  const importer = new TfjsImporter(modelPath, readWeights(json['weightsManifest'], modelPath));
  const layers = layersValue.filter(isObject);
  let outputNames: string[];
  if (className === 'Sequential') {
    let previous = 'input';
    layers.forEach((layer, i) => {
      const cfg = isObject(layer['config']) ? layer['config'] : {};
      const kind = String(layer['class_name']);
      if (i === 0) {
        const shape = shapeOf(cfg);
        if (shape === undefined) throw new RuntimeError(`${modelPath}: the first layer declares no batch_input_shape`);
        const inputName = kind === 'InputLayer' && typeof cfg['name'] === 'string' ? cfg['name'] : 'x';
        importer.input(inputName, shape);
        previous = inputName;
        if (kind === 'InputLayer') return;
      }
      importer.layer(kind, cfg, [previous]);
      previous = String(cfg['name']);
    });
    outputNames = [previous];
  } else if (className === 'Model' || className === 'Functional') {
    for (const layer of layers) {
      const cfg = isObject(layer['config']) ? layer['config'] : {};
      const name = typeof layer['name'] === 'string' ? layer['name'] : String(cfg['name']);
      if (layer['class_name'] === 'InputLayer') {
        const shape = shapeOf(cfg);
        if (shape === undefined)
          throw new RuntimeError(`${modelPath}: input layer '${name}' declares no batch_input_shape`);
        importer.input(name, shape);
        continue;
      }
      importer.layer(String(layer['class_name']), { ...cfg, name }, inbound(layer, modelPath, name));
    }
    const outs = isObject(config) ? config['output_layers'] : undefined;
    if (!Array.isArray(outs)) throw new RuntimeError(`${modelPath}: the model declares no output_layers`);
    outputNames = outs.map((o) => (Array.isArray(o) && typeof o[0] === 'string' ? o[0] : ''));
  } else {
    throw new RuntimeError(
      `${modelPath}: model class '${className}' is not imported`,
      'chainrule imports Sequential and functional (Model) tfjs models',
    );
  }
  // Functional models carry their name (chainrule's export writes the spec's); Sequential ones get `sequential_1`.
  const ownName = isObject(config) && className !== 'Sequential' ? config['name'] : undefined;
  const name = options.name ?? (typeof ownName === 'string' ? ownName : options.fallbackName);
  const meta = json['userDefinedMetadata'];
  const stored = isObject(meta) ? meta[RECIPE_KEY] : undefined;
  const recipe = parseRecipe(typeof stored === 'string' ? stored : undefined);
  const outputs = outputNames.map((o) => importer.result(o));
  return importer.draft.finish(name, outputs, options.loss, recipe);
}
