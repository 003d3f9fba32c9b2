// The parameters an export writes: from a safetensors file (checked name by name and shape by
// shape against the spec), or the model's seeded initialization when no file is given.
import type { Graph } from '../../compiler/ir/types.js';
import { RuntimeError } from '../../runtime/errors.js';
import { readSafetensors } from '../../runtime/safetensors.js';
import { load, type SpecInput } from '../api.js';

/** Checkpoints keep optimizer state under this prefix; exports ignore it. */
const OPTIMIZER_PREFIX = 'optimizer/';

/** Every parameter of the graph with its static shape, in graph order. */
export function paramShapes(graph: Graph): { readonly name: string; readonly shape: readonly number[] }[] {
  return graph.nodes
    .filter((n) => n.role === 'param')
    .map((n) => ({ name: n.name, shape: n.type.shape.map((d) => (d === 'B' ? 0 : d)) }));
}

/** The model's parameters after `createModel({ seed })` (the spec's `train.seed` by default). */
export async function seededParams(spec: SpecInput, seed?: number): Promise<Record<string, Float32Array>> {
  const model = await load(spec, seed !== undefined ? { seed } : {});
  return Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Float32Array.from(v)]));
}

/** Reads `path` and checks it holds exactly the graph's parameters, each with its shape. */
export function weightsForGraph(graph: Graph, path: string): Record<string, Float32Array> {
  const file = readSafetensors(path);
  const expected = paramShapes(graph);
  const out: Record<string, Float32Array> = {};
  const hint = `pass the weights.safetensors of a \`chainrule train\` run of this spec (names <node>.weight [in, out] and <node>.bias [out])`;
  for (const { name, shape } of expected) {
    const t = file.tensors[name];
    if (t === undefined)
      throw new RuntimeError(`${path} has no tensor '${name}' (the spec's '${graph.name}' needs it)`, hint);
    if (t.data instanceof Int32Array)
      throw new RuntimeError(`${path}: tensor '${name}' is I32, not a float parameter`, hint);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RuntimeError(
        `${path}: tensor '${name}' is [${t.shape.join(', ')}] but the spec needs [${shape.join(', ')}]`,
        shape.length === 2 && t.shape[0] === shape[1] && t.shape[1] === shape[0]
          ? 'it looks transposed ([out, in], as PyTorch stores Linear weights): use `chainrule import-weights` to convert it'
          : hint,
      );
    }
    out[name] = Float32Array.from(t.data);
  }
  const known = new Set(expected.map((p) => p.name));
  const extra = Object.keys(file.tensors).filter((k) => !known.has(k) && !k.startsWith(OPTIMIZER_PREFIX));
  if (extra.length > 0) {
    throw new RuntimeError(
      `${path} has tensor${extra.length === 1 ? '' : 's'} the spec '${graph.name}' does not use: ${extra.join(', ')}`,
      hint,
    );
  }
  return out;
}
