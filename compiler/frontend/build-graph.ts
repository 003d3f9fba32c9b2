// Spec → forward IR. Creates the leaves (inputs, targets, parameters), one node per spec node in
// dependency order, and the loss; infers every type with the ops' shape rules. Its one caller is
// the spec checker (src/frontend/check.ts), after the structural checks passed: names are unique
// identifiers, references resolve, the graph is acyclic, ops, units and declared shapes are valid
// and the loss reads the node its pairing needs. Those rules live there; here a breach of them is
// an internal error. What only building can find, the shape and type rules of the ops, becomes
// located diagnostics (node name + JSON pointer into the spec + hint), all of them collected; the
// checked spec carries the graph, so nothing builds it again.
import type { Diagnostic } from '../diagnostics.js';
import { inferNodeType, ops, specNodeAttrs } from '../ops/index.js';
import { formatShape } from '../ops/shape.js';
import type { GraphSpec, LossSpec, NodeSpec, SpecLocations, SpecOp, SpecShape } from './graph-spec.js';
import { createNode, type OpWithAttrs } from '../ir/node.js';
import {
  assertNever,
  type Dim,
  type FloatDType,
  type Graph,
  type InitName,
  type Node,
  type Role,
  type TensorType,
} from '../ir/types.js';

export interface BuildOptions {
  readonly dtype: FloatDType;
  /** A fixed batch size; without it the batch dimension stays symbolic (`'B'`). */
  readonly batch?: number;
  /** Source positions of the spec, to attach `loc` to nodes and diagnostics. */
  readonly locations?: SpecLocations;
}

/** The forward graph, or every shape/type error (the structure was checked before). */
export type BuildResult = { ok: true; graph: Graph } | { ok: false; errors: Diagnostic[] };

/** Whether a spec op asks for He initialization of the linear layer feeding it (its `feedInit` trait). */
const wantsHe = (op: SpecOp): boolean => Object.hasOwn(ops, op) && ops[op].feedInit === 'he_uniform';

/** Names read by a node whose op wants He initialization upstream (once per spec, not per linear). */
function heFed(spec: GraphSpec): ReadonlySet<string> {
  let names = heFedCache.get(spec);
  if (names === undefined) {
    names = new Set(spec.nodes.flatMap((n) => (wantsHe(n.op) ? operandNames(n).names : [])));
    heFedCache.set(spec, names);
  }
  return names;
}

const heFedCache = new WeakMap<GraphSpec, ReadonlySet<string>>();

/** One JSON-pointer segment (RFC 6901 escaping). */
export function pointerSegment(key: string | number): string {
  return String(key).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Mutable state of one build: the nodes so far, tensor names in scope, collected errors. */
class Builder {
  readonly nodes: Node[] = [];
  readonly scope = new Map<string, number>();
  /** Names whose definition failed: their dependents are skipped without cascading errors. */
  readonly poisoned = new Set<string>();
  readonly errors: Diagnostic[] = [];

  constructor(readonly options: BuildOptions) {}

  error(d: Diagnostic): void {
    const loc = d.pointer !== undefined ? this.options.locations?.at(d.pointer) : undefined;
    this.errors.push(loc === undefined ? d : { ...d, loc });
  }

  add(
    op: OpWithAttrs,
    name: string,
    inputs: readonly number[],
    type: TensorType,
    role: Role,
    pointer?: string,
  ): number {
    const id = this.nodes.length;
    const loc = pointer !== undefined ? this.options.locations?.at(pointer) : undefined;
    const base = { id, name, inputs, type, role, ...(loc === undefined ? {} : { loc }) };
    this.nodes.push(createNode(op, base));
    return id;
  }

  typeOf(id: number): TensorType {
    const n = this.nodes[id];
    if (n === undefined) throw new Error(`internal: no node %${id}`);
    return n.type;
  }

  dim(d: number | null): Dim {
    return d === null ? (this.options.batch ?? 'B') : d;
  }
}

/** A declared shape (checked by the front end: non-empty, null only first, sizes ≥ 1) in IR dims. */
function declaredShape(b: Builder, shape: SpecShape, name: string): Dim[] {
  if (shape.length === 0 || shape.some((d, i) => (d === null ? i !== 0 : !(Number.isInteger(d) && d > 0))))
    throw new Error(`internal: unchecked shape ${JSON.stringify(shape)} of '${name}' reached buildGraph`);
  return shape.map((d) => b.dim(d));
}

function addLeaves(b: Builder, spec: GraphSpec): void {
  const dtype = b.options.dtype;
  for (const [name, shape] of Object.entries(spec.inputs ?? {})) {
    const pointer = `/inputs/${pointerSegment(name)}`;
    const dims = declaredShape(b, shape, name);
    b.scope.set(name, b.add({ op: 'input', attrs: {} }, name, [], { shape: dims, dtype }, 'input', pointer));
  }
  for (const [name, shape] of Object.entries(spec.targets ?? {})) {
    const pointer = `/targets/${pointerSegment(name)}`;
    const dims = declaredShape(b, shape, name);
    // A target of shape [null] holds class indices.
    const classes = shape.length === 1 && shape[0] === null;
    b.scope.set(
      name,
      b.add({ op: 'target', attrs: {} }, name, [], { shape: dims, dtype: classes ? 'i32' : dtype }, 'target', pointer),
    );
  }
}

function operandNames(node: NodeSpec): { names: string[]; pointers: string[] } {
  if (Array.isArray(node.inputs))
    return { names: [...node.inputs], pointers: node.inputs.map((_, k) => `inputs/${k}`) };
  return node.input !== undefined ? { names: [node.input], pointers: ['input'] } : { names: [], pointers: [] };
}

/** Spec nodes in dependency order (stable: spec order among ready nodes); the rest are on a cycle. */
function specOrder(spec: GraphSpec): { order: number[]; cyclic: number[] } {
  const defined = new Map(spec.nodes.map((n, i) => [n.name, i]));
  const deps = spec.nodes.map((n) =>
    operandNames(n)
      .names.map((s) => defined.get(s))
      .filter((i): i is number => i !== undefined),
  );
  const done = new Set<number>();
  const order: number[] = [];
  for (let progress = true; progress; ) {
    progress = false;
    for (let i = 0; i < spec.nodes.length; i++) {
      if (done.has(i) || !(deps[i] ?? []).every((d) => done.has(d))) continue;
      done.add(i);
      order.push(i);
      progress = true;
    }
  }
  return { order, cyclic: spec.nodes.map((_, i) => i).filter((i) => !done.has(i)) };
}

/** The value `name` names; undefined when its own build failed (it is poisoned, already reported). */
function lookup(b: Builder, name: string, reader: string): number | undefined {
  const id = b.scope.get(name);
  if (id === undefined && !b.poisoned.has(name))
    throw new Error(`internal: '${reader}' reads '${name}', which the checked spec does not define`);
  return id;
}

/** Resolves a node's operand names to ids; undefined if an operand failed to build. */
function resolveOperands(b: Builder, node: NodeSpec): number[] | undefined {
  const ids = operandNames(node).names.map((name) => lookup(b, name, node.name));
  return ids.every((id) => id !== undefined) ? ids : undefined;
}

/** Which operand a shape error is about, for the pointer: the first add operand unlike operand 0. */
function blamedOperand(b: Builder, node: NodeSpec, ids: readonly number[]): string {
  const { pointers } = operandNames(node);
  if (node.op === 'add') {
    const first = formatShape(b.typeOf(ids[0] ?? 0).shape);
    const k = ids.findIndex((id) => formatShape(b.typeOf(id).shape) !== first);
    if (k > 0) return pointers[k] ?? 'inputs';
  }
  return pointers[0] ?? 'input';
}

function shapeHint(b: Builder, node: NodeSpec, ids: readonly number[]): string {
  switch (node.op) {
    case 'add': {
      const first = b.typeOf(ids[0] ?? 0).shape;
      return `every operand of add must have the shape ${formatShape(first)}; project the other branch with a linear node of units=${String(first[first.length - 1])}`;
    }
    case 'linear':
      return 'linear reads a [batch, features] tensor';
    default:
      return `check the shapes of the operands of '${node.name}'`;
  }
}

function addParams(b: Builder, spec: GraphSpec, node: NodeSpec, x: number, at: string): number[] | undefined {
  const units = node.units;
  if (units === undefined || !Number.isInteger(units) || units <= 0)
    throw new Error(`internal: linear '${node.name}' reached buildGraph with units=${JSON.stringify(units)}`);
  const xt = b.typeOf(x);
  const fanIn = xt.shape[1];
  if (xt.shape.length !== 2 || typeof fanIn !== 'number') {
    b.error({
      message: `linear '${node.name}': its input '${node.input ?? '?'}' is ${formatShape(xt.shape)} but linear needs a matrix [batch, features]`,
      node: node.name,
      pointer: `${at}/input`,
      hint: 'linear reads a [batch, features] tensor',
    });
    return undefined;
  }
  const feedsHe = heFed(spec).has(node.name);
  const init: InitName = feedsHe ? 'he_uniform' : 'glorot_uniform';
  const dtype = b.options.dtype;
  const w = b.add(
    { op: 'param', attrs: { init, fanIn, fanOut: units } },
    `${node.name}.weight`,
    [],
    { shape: [fanIn, units], dtype },
    'param',
    at,
  );
  if (node.bias === false) return [x, w];
  const bias = b.add(
    { op: 'param', attrs: { init: 'zeros', fanIn, fanOut: units } },
    `${node.name}.bias`,
    [],
    { shape: [units], dtype },
    'param',
    at,
  );
  return [x, w, bias];
}

/** Adds one spec node (and a linear's parameters); reports and poisons it on failure. */
function addSpecNode(b: Builder, spec: GraphSpec, node: NodeSpec, index: number): void {
  const at = `/nodes/${index}`;
  const fail = (): void => void b.poisoned.add(node.name);
  if (!(node.op in ops) || ops[node.op].leaf)
    throw new Error(`internal: node '${node.name}' reached buildGraph with op ${JSON.stringify(node.op)}`);
  const operands = resolveOperands(b, node);
  if (operands === undefined) return fail();
  const ids = node.op === 'linear' && operands.length === 1 ? addParams(b, spec, node, operands[0] ?? 0, at) : operands;
  if (ids === undefined) return fail();
  const attrs = specNodeAttrs(node.op, node);
  const labels = ids.map((id) => b.nodes[id]?.name ?? `%${id}`);
  const type = inferNodeType(
    ops[attrs.op],
    ids.map((id) => b.typeOf(id)),
    attrs.attrs,
    labels,
  );
  if (typeof type === 'string') {
    b.error({
      message: `${node.op} '${node.name}': ${type}`,
      node: node.name,
      pointer: `${at}/${blamedOperand(b, node, ids)}`,
      hint: shapeHint(b, node, ids),
    });
    return fail();
  }
  b.scope.set(node.name, b.add(attrs, node.name, ids, type, 'forward', at));
}

/** The loss op for the node the loss reads (the front end checked the pairing). */
function lossAttrs(b: Builder, loss: LossSpec, input: number): OpWithAttrs {
  const producer = b.nodes[input]?.op;
  switch (loss.op) {
    case 'cross_entropy':
      if (producer === 'softmax') return { op: 'cross_entropy', attrs: { input: 'probs' } };
      if (producer === 'log_softmax') return { op: 'cross_entropy', attrs: { input: 'log_probs' } };
      break;
    case 'binary_cross_entropy':
      if (producer === 'sigmoid') return { op: 'binary_cross_entropy', attrs: {} };
      break;
    case 'mse':
      return { op: 'mse', attrs: {} };
    default:
      return assertNever(loss.op, 'loss op');
  }
  throw new Error(`internal: loss ${loss.op} reached buildGraph reading the output of ${producer ?? '?'}`);
}

function uniqueName(b: Builder, base: string): string {
  const taken = new Set(b.nodes.map((n) => n.name));
  if (!taken.has(base)) return base;
  let k = 1;
  while (taken.has(`${base}_${k}`)) k++;
  return `${base}_${k}`;
}

function addLoss(b: Builder, spec: GraphSpec, loss: LossSpec): number | undefined {
  if (!Object.hasOwn(spec.targets ?? {}, loss.target))
    throw new Error(`internal: loss target '${loss.target}' reached buildGraph undeclared`);
  const input = lookup(b, loss.input, 'loss');
  const target = lookup(b, loss.target, 'loss');
  if (input === undefined || target === undefined) return undefined;
  const attrs = lossAttrs(b, loss, input);
  const type = inferNodeType(ops[attrs.op], [b.typeOf(input), b.typeOf(target)], attrs.attrs, [
    loss.input,
    loss.target,
  ]);
  if (typeof type === 'string') {
    b.error({ message: `loss ${loss.op}: ${type}`, node: loss.input, pointer: '/loss/target', hint: lossHint(loss) });
    return undefined;
  }
  return b.add(attrs, uniqueName(b, 'loss'), [input, target], type, 'loss', '/loss');
}

function lossHint(loss: LossSpec): string {
  return loss.op === 'cross_entropy'
    ? `declare target '${loss.target}' as [null] (class indices) or [null, k] with k = the number of classes`
    : `declare target '${loss.target}' with the same shape as '${loss.input}'`;
}

/**
 * Builds the forward IR of a spec that passed the front end's structural checks, or returns every
 * shape/type problem found. Only the checker calls it: everything downstream takes its graph from
 * the `CheckedSpec`. The IR verifier runs on the result in the pipeline (unique names, order).
 */
export function buildGraph(spec: GraphSpec, options: BuildOptions): BuildResult {
  if (options.batch !== undefined && !(Number.isInteger(options.batch) && options.batch > 0))
    throw new Error(`internal: batch ${options.batch} reached buildGraph unchecked`);
  const b = new Builder(options);
  addLeaves(b, spec);
  const { order, cyclic } = specOrder(spec);
  for (const i of order) {
    const node = spec.nodes[i];
    if (node !== undefined) addSpecNode(b, spec, node, i);
  }
  if (cyclic.length > 0)
    throw new Error(`internal: a cycle through '${spec.nodes[cyclic[0] ?? 0]?.name}' reached buildGraph`);
  const outputs = spec.outputs.flatMap((name) => lookup(b, name, 'outputs') ?? []);
  const loss = spec.loss === undefined ? undefined : addLoss(b, spec, spec.loss);
  if (b.errors.length > 0) return { ok: false, errors: b.errors };
  const graph: Graph = { name: spec.name, nodes: b.nodes, outputs, ...(loss === undefined ? {} : { loss }) };
  return { ok: true, graph };
}
