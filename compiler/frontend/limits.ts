// Rules a spec must meet to compile that only its built graph can tell: a loss needs a parameter
// to train, and every tensor must fit in memory a generated module can allocate. The checker
// (src/frontend/check.ts) runs them, so `chainrule check` fails exactly where `compile` and
// `train` would; the pipeline asks the same question before it differentiates.
import type { Diagnostic } from '../diagnostics.js';
import { ancestors } from '../ir/graph.js';
import type { Graph, Node } from '../ir/types.js';
import { pointerSegment } from './build-graph.js';
import type { GraphSpec } from './graph-spec.js';

/**
 * The most bytes one tensor may take (per batch row, for tensors with a batch dimension): 2 GiB,
 * what a typed array in every engine and a wasm32 matmul can address.
 */
export const MAX_TENSOR_BYTES = 2 ** 31;

/**
 * The most bytes the parameters, their gradients and the optimizer state may take together: the
 * 4 GiB of a wasm32 memory, which holds them (and the batch's activations) with wasm kernels.
 */
export const MAX_MODEL_BYTES = 2 ** 32;

/** The error when the loss depends on no parameter: compiling would have nothing to differentiate. */
export function untrainable(spec: GraphSpec, graph: Graph): Diagnostic | undefined {
  if (graph.loss === undefined) return undefined;
  const trainable = ancestors(graph, [graph.loss]);
  if (graph.nodes.some((n) => n.op === 'param' && trainable.has(n.id))) return undefined;
  return {
    message: `spec '${spec.name}' has no parameter the loss depends on, so there is nothing to train`,
    pointer: '/nodes',
    hint: 'add a linear node between the inputs and the loss',
  };
}

/** Every tensor over `MAX_TENSOR_BYTES`, and the model over `MAX_MODEL_BYTES`, located at its spec node. */
export function sizeProblems(spec: GraphSpec, graph: Graph): Diagnostic[] {
  const where = specPlaces(spec);
  // One error per spec place (a huge `units` makes a huge weight, bias and output): the largest.
  const worst = new Map<string, Node>();
  // Parameters and the caller's tensors: an activation row too large implies one of them is.
  for (const n of graph.nodes) {
    if (n.op !== 'param' && n.op !== 'input' && n.op !== 'target') continue;
    if (tensorBytes(n) <= MAX_TENSOR_BYTES) continue;
    const key = where(n).at.pointer ?? '';
    const seen = worst.get(key);
    if (seen === undefined || tensorBytes(n) > tensorBytes(seen)) worst.set(key, n);
  }
  const problems: Diagnostic[] = [...worst.values()].map((n) => {
    const place = where(n);
    const perRow = n.type.shape.includes('B') ? ' per batch row' : '';
    return {
      message: `${place.what} ${shapeText(n)} needs ${bytesText(tensorBytes(n))}${perRow}; one tensor can hold at most ${bytesText(MAX_TENSOR_BYTES)}`,
      ...place.at,
      hint: place.hint,
    };
  });
  if (problems.length > 0) return problems;
  const params = graph.nodes.filter((n) => n.op === 'param');
  const paramBytes = params.reduce((sum, n) => sum + tensorBytes(n), 0);
  const copies = spec.loss === undefined ? 1 : 2 + stateCopies(spec);
  const total = paramBytes * copies;
  const largest = params.reduce<Node | undefined>(
    (m, n) => (m === undefined || tensorBytes(n) > tensorBytes(m) ? n : m),
    undefined,
  );
  if (total <= MAX_MODEL_BYTES || largest === undefined) return problems;
  const place = where(largest);
  const what =
    copies === 1 ? 'the parameters' : `the parameters, their gradients${copies > 2 ? ' and the optimizer state' : ''}`;
  problems.push({
    message: `${what} need ${bytesText(total)} together (${bytesText(paramBytes)} of parameters × ${copies}); a model can hold at most ${bytesText(MAX_MODEL_BYTES)}; the largest is ${largest.name} ${shapeText(largest)}`,
    ...place.at,
    hint: place.hint,
  });
  return problems;
}

/** Elements of a tensor (per batch row when it has a batch dimension) times the element size. */
function tensorBytes(n: Node): number {
  const elements = n.type.shape.reduce<number>((a, d) => a * (d === 'B' ? 1 : d), 1);
  return elements * (n.type.dtype === 'f64' ? 8 : 4);
}

/** Optimizer state tensors per parameter: sgd with momentum keeps a velocity, adam two moments. */
function stateCopies(spec: GraphSpec): number {
  const train = spec.train;
  if (train === undefined) return 0;
  switch (train.optimizer) {
    case 'sgd':
      return train.momentum !== undefined && train.momentum !== 0 ? 1 : 0;
    case 'adam':
      return 2;
  }
}

function shapeText(n: Node): string {
  return `[${n.type.shape.join(', ')}] (${n.type.dtype})`;
}

function bytesText(bytes: number): string {
  const gib = bytes / 2 ** 30;
  const size = gib >= 1 ? `${Number(gib.toPrecision(3))} GiB` : `${Number((bytes / 2 ** 20).toPrecision(3))} MiB`;
  return `${bytes.toLocaleString('en-US')} bytes (${size})`;
}

interface Place {
  /** The tensor, as the user knows it: `linear 'fc1': its weight fc1.weight`. */
  readonly what: string;
  readonly at: Pick<Diagnostic, 'pointer' | 'node'>;
  readonly hint: string;
}

/** Where in the spec a graph node comes from: the node (its `units`) or the input that sets its size. */
function specPlaces(spec: GraphSpec): (n: Node) => Place {
  const index = new Map(spec.nodes.map((s, i) => [s.name, i]));
  const smaller = 'use fewer units here, or a narrower input';
  return (n) => {
    const owner = n.op === 'param' ? n.name.slice(0, n.name.lastIndexOf('.')) : n.name;
    const i = index.get(owner);
    if (i !== undefined) {
      const node = spec.nodes[i];
      const linear = node?.op === 'linear';
      const what =
        n.op === 'param'
          ? `linear '${owner}': its ${n.name.slice(owner.length + 1)} ${n.name}`
          : `${node?.op ?? 'node'} '${owner}': its output`;
      return { what, at: { pointer: `/nodes/${i}${linear ? '/units' : ''}`, node: owner }, hint: smaller };
    }
    const group = Object.hasOwn(spec.inputs, n.name) ? 'inputs' : 'targets';
    return {
      what: `${group === 'inputs' ? 'input' : 'target'} '${n.name}'`,
      at: { pointer: `/${group}/${pointerSegment(n.name)}` },
      hint: 'give it fewer features per row',
    };
  };
}
