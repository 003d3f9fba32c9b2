// Random parameters and feeds for a graph, valid for its ops (class indices in range,
// probability rows that sum to 1, BCE targets in [0, 1]).
import type { Graph, Node } from '../../compiler/ir/types.js';
import type { Rng } from './rng.js';

export interface Arrays {
  readonly feeds: Record<string, Float64Array | Int32Array>;
  readonly params: Record<string, Float64Array>;
}

function size(node: Node, batch: number): number {
  return node.type.shape.reduce<number>((n, d) => n * (d === 'B' ? batch : d), 1);
}

/** Uniform(−s, s) weights with s = √(6/(fanIn + fanOut)) (glorot), small nonzero biases. */
export function randomParams(graph: Graph, r: Rng): Record<string, Float64Array> {
  const params: Record<string, Float64Array> = {};
  for (const n of graph.nodes) {
    if (n.op !== 'param') continue;
    const s = n.attrs.init === 'zeros' ? 0.1 : Math.sqrt(6 / (n.attrs.fanIn + n.attrs.fanOut));
    params[n.name] = Float64Array.from({ length: size(n, 1) }, () => r.uniform(-s, s));
  }
  return params;
}

/** What the loss expects of a target: class indices, probability rows, [0,1] values or reals. */
function targetKind(graph: Graph, target: Node): 'index' | 'rows' | 'unit' | 'real' {
  if (target.type.dtype === 'i32') return 'index';
  const loss = graph.nodes.find((n) => n.role === 'loss' && n.inputs[1] === target.id);
  if (loss?.op === 'cross_entropy') return 'rows';
  if (loss?.op === 'binary_cross_entropy') return 'unit';
  return 'real';
}

export function randomFeeds(graph: Graph, batch: number, r: Rng): Record<string, Float64Array | Int32Array> {
  const feeds: Record<string, Float64Array | Int32Array> = {};
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const n of graph.nodes) {
    if (n.op === 'input') feeds[n.name] = Float64Array.from({ length: size(n, batch) }, () => r.normal());
    if (n.op !== 'target') continue;
    const kind = targetKind(graph, n);
    const loss = graph.nodes.find((l) => l.role === 'loss' && l.inputs[1] === n.id);
    const classes = Number(byId.get(loss?.inputs[0] ?? -1)?.type.shape[1] ?? 2);
    switch (kind) {
      case 'index':
        feeds[n.name] = Int32Array.from({ length: size(n, batch) }, () => r.int(0, classes));
        break;
      case 'rows': {
        const k = Number(n.type.shape[1]);
        const data = Float64Array.from({ length: size(n, batch) }, () => r.uniform(0.05, 1));
        for (let i = 0; i < batch; i++) {
          const row = data.subarray(i * k, (i + 1) * k);
          const sum = row.reduce((a, b) => a + b, 0);
          row.forEach((v, j) => (row[j] = v / sum));
        }
        feeds[n.name] = data;
        break;
      }
      case 'unit':
        feeds[n.name] = Float64Array.from({ length: size(n, batch) }, () => r.next());
        break;
      case 'real':
        feeds[n.name] = Float64Array.from({ length: size(n, batch) }, () => r.normal());
        break;
    }
  }
  return feeds;
}
