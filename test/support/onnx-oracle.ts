// onnxruntime-node as a test oracle: feeds from chainrule's flat arrays, runs, and the largest
// difference between two sets of arrays.
import * as ort from 'onnxruntime-node';
import type { Graph, Node } from '../../compiler/ir/types.js';

export type Flat = Float32Array | Float64Array | Int32Array;

function dims(node: Node, batch: number): number[] {
  return node.type.shape.map((d) => (d === 'B' ? batch : d));
}

/** An ORT tensor for a leaf of `graph` (class-index targets as int32, everything else float32). */
export function ortTensor(node: Node, data: ArrayLike<number>, batch: number): ort.Tensor {
  return node.type.dtype === 'i32'
    ? new ort.Tensor('int32', Int32Array.from(data), dims(node, batch))
    : new ort.Tensor('float32', Float32Array.from(data), dims(node, batch));
}

/** ORT feeds for the named leaves of `graph`. */
export function ortFeeds(
  graph: Graph,
  values: Readonly<Record<string, ArrayLike<number>>>,
  batch: number,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(values)) {
    const node = graph.nodes.find(
      (n) => n.name === name && (n.role === 'input' || n.role === 'target' || n.role === 'param' || n.role === 'state'),
    );
    if (node === undefined) throw new Error(`no leaf '${name}'`);
    feeds[name] = ortTensor(node, data, batch);
  }
  return feeds;
}

export async function ortSession(model: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
}

export function floatData(t: ort.Tensor | undefined, what: string): Float32Array {
  if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`ORT gave no float32 '${what}'`);
  return t.data;
}

/** max |a − b| / max(1, |a|): absolute below 1, relative above (f32 sums of large values round by ulps). */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0)) / Math.max(1, Math.abs(a[i] ?? 0));
    if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return max;
}
