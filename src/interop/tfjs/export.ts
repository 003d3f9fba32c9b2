// `chainrule export --format tfjs`: a TensorFlow.js Layers model — `model.json` (a functional
// `Model`: one InputLayer per spec input, one layer per spec node from its op's `tfjs` trait,
// layer names = node names) and `weights.bin` (Dense kernels [in, out] as chainrule stores them,
// then biases), loadable with `tf.loadLayersModel('file://DIR/model.json')`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeIndex } from '../../../compiler/ir/graph.js';
import type { Graph, Node } from '../../../compiler/ir/types.js';
import { defOf } from '../../../compiler/ops/index.js';
import type { TfjsConfigValue, TfjsLayer } from '../../../compiler/ops/tfjs.js';
import { writeFileAtomic } from '../../../runtime/atomic-write.js';
import { RuntimeError } from '../../../runtime/errors.js';
import { checkedF32, type ExportSpec } from '../onnx/export.js';
import { RECIPE_KEY, recipeOf } from '../spec-draft.js';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

type Json = TfjsConfigValue | null | readonly Json[] | { readonly [key: string]: Json };

/** A weightsManifest entry: `{ name: 'fc1/kernel', shape: [in, out], dtype: 'float32' }`. */
type WeightSpec = { readonly [key: string]: Json };

/** What `tf.io` calls ModelArtifacts, as files: the model.json object and the weight bytes. */
export interface TfjsArtifacts {
  readonly modelJson: { readonly [key: string]: Json };
  readonly weights: Uint8Array;
}

function layerOf(node: Node, graph: Graph): TfjsLayer {
  const def = defOf(node);
  const layer = (def.tfjs as ((n: Node) => TfjsLayer) | undefined)?.(node);
  if (layer === undefined) {
    throw new RuntimeError(
      `node '${node.name}' (${node.op}) has no TensorFlow.js Layers equivalent, so '${graph.name}' cannot be exported to tfjs`,
      'export it to ONNX instead (--format onnx), which covers every op',
    );
  }
  return layer;
}

/** model.json and weights.bin contents for a spec with these parameters. */
export function tfjsArtifacts(input: ExportSpec, params: Readonly<Record<string, Float32Array>>): TfjsArtifacts {
  const { spec, graph } = checkedF32(input);
  const index = nodeIndex(graph);
  const nameOf = (id: number): string => index.get(id)?.name ?? `%${id}`;
  const layers: Json[] = [];
  const weightSpecs: WeightSpec[] = [];
  const chunks: Float32Array[] = [];
  for (const node of graph.nodes) {
    if (node.role === 'input') {
      const shape = node.type.shape.map((d) => (d === 'B' ? null : d));
      layers.push({
        name: node.name,
        class_name: 'InputLayer',
        config: { batch_input_shape: shape, dtype: 'float32', sparse: false, name: node.name },
        inbound_nodes: [],
      });
    }
    if (node.role !== 'forward') continue;
    const layer = layerOf(node, graph);
    // Operands that are parameters are the layer's own weights, not inbound tensors.
    const operands = node.inputs.filter((id) => index.get(id)?.role !== 'param');
    layers.push({
      name: node.name,
      class_name: layer.className,
      config: { ...layer.config, name: node.name, trainable: true },
      inbound_nodes: [operands.map((id) => [nameOf(id), 0, 0, {}])],
    });
    for (const [id, suffix] of [
      [node.inputs[1], 'kernel'],
      [node.inputs[2], 'bias'],
    ] as const) {
      const param = id === undefined ? undefined : index.get(id);
      if (param?.role !== 'param') continue;
      const data = params[param.name];
      if (data === undefined) throw new RuntimeError(`no value for parameter '${param.name}'`);
      weightSpecs.push({
        name: `${node.name}/${suffix}`,
        shape: param.type.shape.map(Number),
        dtype: 'float32',
      });
      chunks.push(data);
    }
  }
  const modelTopology: Json = {
    class_name: 'Model',
    config: {
      name: spec.name,
      layers,
      input_layers: graph.nodes.filter((n) => n.role === 'input').map((n) => [n.name, 0, 0]),
      output_layers: graph.outputs.map((id) => [nameOf(id), 0, 0]),
    },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const weights = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    // NOTE: tfjs reads weights.bin in the host byte order, little-endian on every platform Node runs on.
    weights.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += c.byteLength;
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'chainrule 0.1.0',
      convertedBy: null,
      modelTopology,
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: weightSpecs }],
      // tfjs keeps this object as the model's user metadata; `chainrule import` restores the loss and train block from it.
      userDefinedMetadata: { [RECIPE_KEY]: JSON.stringify(recipeOf(spec)) },
    },
    weights,
  };
}

/** Writes DIR/model.json and DIR/weights.bin; returns what it wrote. */
export function exportTfjs(spec: ExportSpec, params: Readonly<Record<string, Float32Array>>, dir: string): string {
  const artifacts = tfjsArtifacts(spec, params);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, TFJS_WEIGHTS_FILE), artifacts.weights);
  writeFileAtomic(join(dir, TFJS_MODEL_FILE), `${JSON.stringify(artifacts.modelJson, null, 2)}\n`);
  return `${join(dir, TFJS_MODEL_FILE)} and ${TFJS_WEIGHTS_FILE}`;
}
