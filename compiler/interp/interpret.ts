// The reference interpreter: runs any graph (forward only, or the joint forward + backward +
// update graph) node by node with each op's naive `reference`. It is the living definition every
// generated kernel is checked against. Values are stored in each node's dtype, so an f32 graph
// rounds after every op exactly like f32 kernels that keep intermediates in memory.
import { ChainruleError, type Diagnostic } from '../diagnostics.js';
import { paramGrads } from '../ir/graph.js';
import { defOf } from '../ops/index.js';
import type { Tensor } from '../ops/op-def.js';
import { formatShape, sizeOf } from '../ops/shape.js';
import type { DType, FloatDType, Graph, Node, NodeOf, OpName, Shape } from '../ir/types.js';

export type FloatArray = Float32Array | Float64Array;

export interface InterpretFeeds {
  /** Inputs and targets by spec name, flat row-major; class-index targets hold integers. */
  readonly feeds: Readonly<Record<string, ArrayLike<number>>>;
  /** Parameters by name (`fc1.weight` is [in,out] row-major). */
  readonly params: Readonly<Record<string, ArrayLike<number>>>;
  /** Optimizer state by name (`fc1.weight.m`, `adam.step`); missing entries start at zero. */
  readonly state?: Readonly<Record<string, ArrayLike<number>>>;
}

export interface InterpretResult {
  /** The batch size the run used (from the feeds' lengths, or the graph's literal batch). */
  readonly batch: number;
  /** Every node's value, by node id. */
  readonly values: ReadonlyMap<number, Tensor>;
  /** The graph's outputs by node name. */
  readonly outputs: Readonly<Record<string, Tensor>>;
  /** The loss value, when the graph has a loss. */
  readonly loss?: number;
  /** ∂L/∂param by parameter name, when the graph has been differentiated. */
  readonly grads: Readonly<Record<string, FloatArray>>;
  /** Parameters after the step (unchanged when the graph has no update nodes). */
  readonly params: Readonly<Record<string, FloatArray>>;
  /** Optimizer state after the step. */
  readonly state: Readonly<Record<string, FloatArray>>;
}

/** The float type of a graph (its parameters', inputs' and activations' dtype). */
export function graphDType(graph: Graph): FloatDType {
  for (const n of graph.nodes) if (n.type.dtype !== 'i32') return n.type.dtype;
  return 'f32';
}

function allocate(dtype: DType, size: number): Float32Array | Float64Array | Int32Array {
  switch (dtype) {
    case 'f32':
      return new Float32Array(size);
    case 'f64':
      return new Float64Array(size);
    case 'i32':
      return new Int32Array(size);
  }
}

function resolve(shape: Shape, batch: number): number[] {
  return shape.map((d) => (d === 'B' ? batch : d));
}

/** Batch size implied by the fed leaves' lengths; diagnostics when they disagree. */
function inferBatch(graph: Graph, feeds: InterpretFeeds['feeds'], errors: Diagnostic[]): number {
  let batch: number | undefined;
  for (const n of graph.nodes) {
    if ((n.op !== 'input' && n.op !== 'target') || !n.type.shape.includes('B')) continue;
    const data = feeds[n.name];
    if (data === undefined) continue; // reported by loadLeaf
    const row = sizeOf(resolve(n.type.shape, 1));
    const rows = data.length / row;
    if (!Number.isInteger(rows) || rows < 1) {
      errors.push({
        message: `${n.op} '${n.name}' has ${data.length} values, not a positive multiple of ${row} (one row of ${formatShape(n.type.shape)})`,
        node: n.name,
        hint: 'feed whole rows, flat and row-major',
      });
    } else if (batch !== undefined && rows !== batch) {
      errors.push({
        message: `${n.op} '${n.name}' has ${rows} rows but an earlier feed has ${batch}`,
        node: n.name,
        hint: 'every input and target must have the same batch size',
      });
    } else batch = rows;
  }
  return batch ?? 1;
}

/** The value of a leaf from the caller's records, checked for length and finiteness. */
function loadLeaf(node: Node, shape: readonly number[], args: InterpretFeeds, errors: Diagnostic[]): Tensor {
  const out: Tensor = { shape, data: allocate(node.type.dtype, sizeOf(shape)) };
  const source = node.op === 'param' ? args.params : node.op === 'state' ? args.state : args.feeds;
  const data = source?.[node.name];
  if (data === undefined) {
    if (node.op !== 'state')
      errors.push({
        message: `no value for ${node.op} '${node.name}' ${formatShape(shape)}`,
        node: node.name,
        hint: `pass it in ${node.op === 'param' ? 'params' : 'feeds'}`,
      });
    return out; // optimizer state starts at zero
  }
  if (data.length !== out.data.length) {
    errors.push({
      message: `${node.op} '${node.name}' has ${data.length} values but ${formatShape(shape)} needs ${out.data.length}`,
      node: node.name,
      hint: 'arrays are flat and row-major',
    });
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i] ?? Number.NaN;
    if (!Number.isFinite(v) || (node.type.dtype === 'i32' && !Number.isInteger(v))) {
      errors.push({
        message: `${node.op} '${node.name}' has the value ${v} at index ${i}`,
        node: node.name,
        hint: node.type.dtype === 'i32' ? 'class-index targets are integers' : 'values must be finite numbers',
      });
      return out;
    }
    out.data[i] = v;
  }
  return out;
}

function evaluate<K extends OpName>(node: NodeOf<K>, inputs: readonly Tensor[], out: Tensor): void {
  defOf(node).reference(inputs, node.attrs, out);
}

/** Runs the graph once. Throws a ChainruleError listing every bad feed (missing, wrong length, NaN). */
export function interpret(graph: Graph, args: InterpretFeeds): InterpretResult {
  const errors: Diagnostic[] = [];
  const batch = inferBatch(graph, args.feeds, errors);
  const values = new Map<number, Tensor>();
  // Load and check every fed leaf first, so all bad feeds are reported together.
  for (const node of graph.nodes) {
    if (node.op === 'input' || node.op === 'target' || node.op === 'param' || node.op === 'state') {
      values.set(node.id, loadLeaf(node, resolve(node.type.shape, batch), args, errors));
    }
  }
  if (errors.length > 0) throw new ChainruleError(errors);
  for (const node of graph.nodes) {
    if (values.has(node.id)) continue;
    const shape = resolve(node.type.shape, batch);
    const inputs = node.inputs.map((i) => {
      const v = values.get(i);
      if (v === undefined) throw new Error(`internal: '${node.name}' reads %${i} before it is computed`);
      return v;
    });
    const out: Tensor = { shape, data: allocate(node.type.dtype, sizeOf(shape)) };
    evaluate(node, inputs, out);
    values.set(node.id, out);
  }
  return collect(graph, batch, values);
}

function floatData(t: Tensor | undefined): FloatArray {
  const d = t?.data;
  if (d === undefined || d instanceof Int32Array) throw new Error('internal: expected a float tensor');
  return d;
}

function collect(graph: Graph, batch: number, values: ReadonlyMap<number, Tensor>): InterpretResult {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const outputs: Record<string, Tensor> = {};
  for (const o of graph.outputs) {
    const v = values.get(o);
    if (v !== undefined) outputs[byId.get(o)?.name ?? `%${o}`] = v;
  }
  const assigned = new Map<number, number>();
  for (const n of graph.nodes) if (n.assigns !== undefined) assigned.set(n.assigns, n.id);
  const params: Record<string, FloatArray> = {};
  const state: Record<string, FloatArray> = {};
  for (const n of graph.nodes) {
    if (n.op !== 'param' && n.op !== 'state') continue;
    const after = floatData(values.get(assigned.get(n.id) ?? n.id));
    (n.op === 'param' ? params : state)[n.name] = after.slice();
  }
  const grads: Record<string, FloatArray> = {};
  for (const [p, g] of paramGrads(graph)) grads[byId.get(p)?.name ?? `%${p}`] = floatData(values.get(g));
  const lossValue = graph.loss === undefined ? undefined : values.get(graph.loss)?.data[0];
  return { batch, values, outputs, grads, params, state, ...(lossValue === undefined ? {} : { loss: lossValue }) };
}
