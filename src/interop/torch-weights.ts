// PyTorch weights in without ONNX: a state_dict saved as safetensors (`nn.Linear.weight` stored
// [out, in], `.bias` [out]) becomes chainrule weights ([in, out]) for a spec with the same layers.
//
// Which module feeds which linear node, first rule that applies:
//   1. a --map file: JSON { "<linear node>": "<module prefix>" }, e.g. { "fc1": "encoder.0" }
//      reads `encoder.0.weight` and `encoder.0.bias`;
//   2. same names: every linear node `n` has `n.weight` in the state_dict (modules named like the
//      spec's nodes, e.g. `self.fc1 = nn.Linear(...)`);
//   3. order: the spec's linear nodes, in spec order, take the state_dict's 2-D `<prefix>.weight`
//      tensors in natural prefix order (`0`, `2`, `10`, `head`: numbers compared as numbers), the
//      order nn.Sequential registers its layers in.
// Every tensor of the state_dict must be used (a leftover means the architectures differ).
import type { GraphSpec } from '../../compiler/frontend/graph-spec.js';
import { RuntimeError } from '../../runtime/errors.js';
import type { NamedTensor, SafetensorsFile } from '../../runtime/safetensors.js';
import { forwardGraph } from './onnx/export.js';

export type ModuleMap = Readonly<Record<string, string>>;

/** `a.10.weight` after `a.2.weight`: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

interface LinearNode {
  readonly name: string;
  readonly inDim: number;
  readonly units: number;
  readonly bias: boolean;
}

function linearNodes(spec: GraphSpec): LinearNode[] {
  const graph = forwardGraph(spec);
  return graph.nodes
    .filter((n) => n.op === 'linear')
    .map((n) => {
      const x = graph.nodes.find((m) => m.id === n.inputs[0]);
      return {
        name: n.name,
        inDim: Number(x?.type.shape[1]),
        units: Number(n.type.shape[1]),
        bias: n.inputs.length === 3,
      };
    });
}

/** Module prefix per linear node, by the rules in the file comment. */
function assign(
  nodes: readonly LinearNode[],
  tensors: Readonly<Record<string, NamedTensor>>,
  map: ModuleMap | undefined,
  source: string,
): Map<string, string> {
  if (map !== undefined) {
    const unknown = Object.keys(map).filter((k) => !nodes.some((n) => n.name === k));
    if (unknown.length > 0)
      throw new RuntimeError(
        `the --map file names ${unknown.map((u) => `'${u}'`).join(', ')}, not linear nodes of the spec`,
      );
    const missing = nodes.filter((n) => map[n.name] === undefined).map((n) => n.name);
    if (missing.length > 0)
      throw new RuntimeError(
        `the --map file gives no module for linear node${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`,
      );
    return new Map(nodes.map((n) => [n.name, map[n.name] ?? '']));
  }
  if (nodes.every((n) => tensors[`${n.name}.weight`] !== undefined)) return new Map(nodes.map((n) => [n.name, n.name]));
  const prefixes = Object.keys(tensors)
    .filter((k) => k.endsWith('.weight') && tensors[k]?.shape.length === 2)
    .map((k) => k.slice(0, -'.weight'.length))
    .sort(naturalCompare);
  if (prefixes.length !== nodes.length) {
    throw new RuntimeError(
      `${source} has ${prefixes.length} Linear weight${prefixes.length === 1 ? '' : 's'} (${prefixes.join(', ')}) but the spec has ${nodes.length} linear node${nodes.length === 1 ? '' : 's'}`,
      'name the pairs in a --map file: { "<linear node>": "<module prefix>" }',
    );
  }
  return new Map(nodes.map((n, i) => [n.name, prefixes[i] ?? '']));
}

/** The state_dict as chainrule weights (`<node>.weight` [in, out], `<node>.bias` [out], float32). */
export function torchWeights(
  spec: GraphSpec,
  file: SafetensorsFile,
  source: string,
  map?: ModuleMap,
): Record<string, NamedTensor> {
  const nodes = linearNodes(spec);
  const prefixes = assign(nodes, file.tensors, map, source);
  const used = new Set<string>();
  const out: Record<string, NamedTensor> = {};
  for (const node of nodes) {
    const prefix = prefixes.get(node.name) ?? '';
    const w = file.tensors[`${prefix}.weight`];
    const hint = `spec node '${node.name}' is nn.Linear(${node.inDim}, ${node.units}${node.bias ? '' : ', bias=False'}), stored [${node.units}, ${node.inDim}]`;
    if (w === undefined)
      throw new RuntimeError(`${source} has no '${prefix}.weight' for linear node '${node.name}'`, hint);
    if (
      w.data instanceof Int32Array ||
      w.shape.length !== 2 ||
      w.shape[0] !== node.units ||
      w.shape[1] !== node.inDim
    ) {
      throw new RuntimeError(
        `${source}: '${prefix}.weight' is [${w.shape.join(', ')}] but linear node '${node.name}' needs [${node.units}, ${node.inDim}] (PyTorch's [out, in])`,
        hint,
      );
    }
    const t = new Float32Array(node.inDim * node.units);
    for (let o = 0; o < node.units; o++) {
      for (let i = 0; i < node.inDim; i++) t[i * node.units + o] = w.data[o * node.inDim + i] ?? 0;
    }
    out[`${node.name}.weight`] = { data: t, shape: [node.inDim, node.units] };
    used.add(`${prefix}.weight`);
    const b = file.tensors[`${prefix}.bias`];
    if (node.bias) {
      if (b === undefined || b.data instanceof Int32Array || b.data.length !== node.units) {
        throw new RuntimeError(`${source}: linear node '${node.name}' needs '${prefix}.bias' of [${node.units}]`, hint);
      }
      out[`${node.name}.bias`] = { data: Float32Array.from(b.data), shape: [node.units] };
      used.add(`${prefix}.bias`);
    } else if (b !== undefined) {
      throw new RuntimeError(`${source} has '${prefix}.bias' but linear node '${node.name}' has "bias": false`, hint);
    }
  }
  const leftover = Object.keys(file.tensors)
    .filter((k) => !used.has(k))
    .sort(naturalCompare);
  if (leftover.length > 0) {
    throw new RuntimeError(
      `${source} has tensor${leftover.length === 1 ? '' : 's'} no linear node of the spec uses: ${leftover.join(', ')}`,
      'chainrule specs hold Linear layers only; export a state_dict of the Linear modules, or map them with --map',
    );
  }
  return out;
}

/** A --map file's contents, checked. */
export function parseModuleMap(text: string, source: string): ModuleMap {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RuntimeError(`${source} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string')
  ) {
    throw new RuntimeError(
      `${source} must be a JSON object { "<linear node>": "<module prefix>" }`,
      'e.g. { "fc1": "encoder.0", "fc2": "head" }',
    );
  }
  return value as ModuleMap;
}
