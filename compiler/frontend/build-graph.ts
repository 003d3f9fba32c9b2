// Spec → forward IR. Creates the leaves (inputs, targets, parameters), one node per spec node in
// dependency order, and the loss; infers every type with the ops' shape rules. Problems become
// located diagnostics (node name + JSON pointer into the spec + hint), all of them collected.
// Structural checks are the loader's job (src/frontend); this file only refuses to crash on them.
import type { Diagnostic } from '../diagnostics.js';
import { inferNodeType, ops, specNodeAttrs } from '../ops/index.js';
import { formatShape } from '../ops/shape.js';
import type { GraphSpec, LossSpec, NodeSpec, SpecLocations, SpecOp, SpecShape } from './graph-spec.js';
import { createNode, type OpWithAttrs } from '../ir/node.js';
import type { Dim, FloatDType, Graph, InitName, Node, Role, TensorType } from '../ir/types.js';

export interface BuildOptions {
  readonly dtype: FloatDType;
  /** A fixed batch size; without it the batch dimension stays symbolic (`'B'`). */
  readonly batch?: number;
  /** Source positions of the spec, to attach `loc` to nodes and diagnostics. */
  readonly locations?: SpecLocations;
}

export type BuildResult = { ok: true; graph: Graph } | { ok: false; errors: Diagnostic[] };

/** Whether a spec op asks for He initialization of the linear layer feeding it (its `feedInit` trait). */
const wantsHe = (op: SpecOp): boolean => Object.hasOwn(ops, op) && ops[op].feedInit === 'he_uniform';

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

/** Checks a declared shape; returns the IR shape or undefined after reporting why not. */
function declaredShape(b: Builder, shape: SpecShape, what: string, name: string, pointer: string): Dim[] | undefined {
  if (!Array.isArray(shape) || shape.length === 0) {
    b.error({
      message: `${what} '${name}' has shape ${JSON.stringify(shape)}: expected a non-empty array`,
      node: name,
      pointer,
      hint: 'write e.g. [null, 784]: null is the batch dimension',
    });
    return undefined;
  }
  for (const [i, d] of shape.entries()) {
    const ok = d === null ? i === 0 : Number.isInteger(d) && d > 0;
    if (!ok) {
      b.error({
        message: `${what} '${name}' has shape ${JSON.stringify(shape)}: dimension ${i} is ${JSON.stringify(d)}`,
        node: name,
        pointer: `${pointer}/${i}`,
        hint: d === null ? 'only the first (batch) dimension may be null' : 'dimensions are positive integers',
      });
      return undefined;
    }
  }
  return shape.map((d) => b.dim(d));
}

function addLeaves(b: Builder, spec: GraphSpec): void {
  const dtype = b.options.dtype;
  for (const [name, shape] of Object.entries(spec.inputs ?? {})) {
    const pointer = `/inputs/${pointerSegment(name)}`;
    const dims = declaredShape(b, shape, 'input', name, pointer);
    if (dims === undefined) b.poisoned.add(name);
    else b.scope.set(name, b.add({ op: 'input', attrs: {} }, name, [], { shape: dims, dtype }, 'input', pointer));
  }
  for (const [name, shape] of Object.entries(spec.targets ?? {})) {
    const pointer = `/targets/${pointerSegment(name)}`;
    const dims = declaredShape(b, shape, 'target', name, pointer);
    // A target of shape [null] holds class indices.
    const classes = shape.length === 1 && shape[0] === null;
    if (dims === undefined) b.poisoned.add(name);
    else
      b.scope.set(
        name,
        b.add(
          { op: 'target', attrs: {} },
          name,
          [],
          { shape: dims, dtype: classes ? 'i32' : dtype },
          'target',
          pointer,
        ),
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

/** Resolves a node's operand names to ids, reporting undefined ones; undefined if any failed. */
function resolveOperands(b: Builder, node: NodeSpec, at: string): number[] | undefined {
  const { names, pointers } = operandNames(node);
  const ids: number[] = [];
  let ok = true;
  names.forEach((name, k) => {
    const id = b.scope.get(name);
    if (id !== undefined) ids.push(id);
    else {
      ok = false;
      if (!b.poisoned.has(name)) {
        b.error({
          message: `${node.op} '${node.name}' reads '${name}', which is not defined`,
          node: node.name,
          pointer: `${at}/${pointers[k] ?? 'input'}`,
          hint: 'operands must name an input or another node',
        });
      }
    }
  });
  return ok ? ids : undefined;
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
  if (units === undefined || !Number.isInteger(units) || units <= 0) {
    b.error({
      message: `linear '${node.name}' has units=${JSON.stringify(units)}`,
      node: node.name,
      pointer: `${at}/units`,
      hint: 'units is the number of output features, a positive integer',
    });
    return undefined;
  }
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
  const feedsHe = spec.nodes.some((n) => wantsHe(n.op) && operandNames(n).names.includes(node.name));
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
  if (!(node.op in ops) || ops[node.op].leaf) {
    b.error({
      message: `node '${node.name}' has unknown op ${JSON.stringify(node.op)}`,
      node: node.name,
      pointer: `${at}/op`,
      hint: 'see the spec reference for the list of ops',
    });
    return fail();
  }
  const operands = resolveOperands(b, node, at);
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

function lossAttrs(b: Builder, loss: LossSpec, input: number): OpWithAttrs | undefined {
  const producer = b.nodes[input];
  const pairing = (needs: string, got: string, fix: string): undefined => {
    b.error({
      message: `loss ${loss.op} reads '${loss.input}', ${got}, but it needs ${needs}`,
      node: loss.input,
      pointer: '/loss/input',
      hint: fix,
    });
    return undefined;
  };
  const got = `the output of ${producer?.op ?? 'an unknown op'}`;
  switch (loss.op) {
    case 'cross_entropy':
      if (producer?.op === 'softmax') return { op: 'cross_entropy', attrs: { input: 'probs' } };
      if (producer?.op === 'log_softmax') return { op: 'cross_entropy', attrs: { input: 'log_probs' } };
      return pairing(
        'the output of a softmax or log_softmax node',
        got,
        `add a softmax node after '${loss.input}' and point the loss at it`,
      );
    case 'binary_cross_entropy':
      if (producer?.op === 'sigmoid') return { op: 'binary_cross_entropy', attrs: {} };
      return pairing(
        'the output of a sigmoid node',
        got,
        `add a sigmoid node after '${loss.input}' and point the loss at it`,
      );
    case 'mse':
      return { op: 'mse', attrs: {} };
    default:
      b.error({
        message: `unknown loss op ${JSON.stringify(loss.op)}`,
        pointer: '/loss/op',
        hint: 'use cross_entropy, mse or binary_cross_entropy',
      });
      return undefined;
  }
}

function uniqueName(b: Builder, base: string): string {
  const taken = new Set(b.nodes.map((n) => n.name));
  if (!taken.has(base)) return base;
  let k = 1;
  while (taken.has(`${base}_${k}`)) k++;
  return `${base}_${k}`;
}

function addLoss(b: Builder, spec: GraphSpec, loss: LossSpec): number | undefined {
  const input = b.scope.get(loss.input);
  const isTarget = Object.hasOwn(spec.targets ?? {}, loss.target);
  const target = isTarget ? b.scope.get(loss.target) : undefined;
  if (input === undefined && !b.poisoned.has(loss.input)) {
    b.error({
      message: `loss reads '${loss.input}', which is not defined`,
      pointer: '/loss/input',
      hint: 'the loss input must name a node',
    });
  }
  if (!isTarget) {
    b.error({
      message: `loss target '${loss.target}' is not declared in "targets"`,
      pointer: '/loss/target',
      hint: `add "targets": { "${loss.target}": [null] } (class indices) or [null, k]`,
    });
  }
  if (input === undefined || target === undefined) return undefined;
  const attrs = lossAttrs(b, loss, input);
  if (attrs === undefined) return undefined;
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

function checkUniqueNames(b: Builder): void {
  const seen = new Set<string>();
  for (const n of b.nodes) {
    if (seen.has(n.name)) {
      b.error({
        message: `the name '${n.name}' is used twice (parameters are named <node>.weight and <node>.bias)`,
        node: n.name,
        hint: 'rename the spec node or input',
      });
    }
    seen.add(n.name);
  }
}

/** Builds the forward IR of a structurally valid spec, or every shape/type problem found. */
export function buildGraph(spec: GraphSpec, options: BuildOptions): BuildResult {
  const b = new Builder(options);
  if (options.batch !== undefined && !(Number.isInteger(options.batch) && options.batch > 0)) {
    return {
      ok: false,
      errors: [
        {
          message: `batch size ${options.batch} is not a positive integer`,
          hint: 'pass --batch N with N ≥ 1, or omit it for a run-time batch',
        },
      ],
    };
  }
  addLeaves(b, spec);
  const { order, cyclic } = specOrder(spec);
  for (const i of order) {
    const node = spec.nodes[i];
    if (node !== undefined) addSpecNode(b, spec, node, i);
  }
  for (const i of cyclic) {
    const node = spec.nodes[i];
    if (node === undefined) continue;
    b.poisoned.add(node.name);
    b.error({
      message: `node '${node.name}' depends on itself through a cycle`,
      node: node.name,
      pointer: `/nodes/${i}`,
      hint: 'graphs must be acyclic: break the cycle',
    });
  }
  const outputs: number[] = [];
  (spec.outputs ?? []).forEach((name, k) => {
    const id = b.scope.get(name);
    if (id !== undefined) outputs.push(id);
    else if (!b.poisoned.has(name))
      b.error({
        message: `output '${name}' is not defined`,
        node: name,
        pointer: `/outputs/${k}`,
        hint: 'outputs must name nodes',
      });
  });
  const loss = spec.loss === undefined ? undefined : addLoss(b, spec, spec.loss);
  checkUniqueNames(b);
  if (b.errors.length > 0) return { ok: false, errors: b.errors };
  const graph: Graph = { name: spec.name, nodes: b.nodes, outputs, ...(loss === undefined ? {} : { loss }) };
  return { ok: true, graph };
}
