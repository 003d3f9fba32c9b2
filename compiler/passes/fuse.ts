// Fusion: groups the nodes of the joint graph into the kernels codegen emits, so intermediate
// values stay in registers instead of round-tripping through memory. The graph's nodes are not
// changed (the interpreter still runs them one by one); the pass records `graph.kernels`.
//
// Patterns, tried in this order (a node joins at most one kernel):
//   linear_activation       X·W + b, then the activation, in the matmul epilogue
//   linear_softmax          X·W + b into the (log-)softmax output, then normalized in place per row
//   loss_grad               the loss and its gradient (e.g. (p − y)/n) in one function over p and y
//   matmul_activation_grad  (dY·Wᵀ) ⊙ f'(saved): the derivative in the backward matmul's epilogue
//   weight_bias_grad        Xᵀ·dZ and Σrows dZ in one kernel (the bias is a row of ones under Xᵀ)
//   elementwise             chains of pointwise ops in one loop
// and optimizer updates ride along in the kernel that computes their parameter's gradient
// (`updates`; trainStep runs them there, lossAndGrads runs the kernel without them).
import { consumers, nodeIndex, nodePositions, paramGrads } from '../ir/graph.js';
import { MinHeap } from '../ir/min-heap.js';
import { identifier, isLeaf } from '../ir/kernel-list.js';
import type { FusionPattern, Graph, Kernel, Node, OpName } from '../ir/types.js';
import { opNames, ops, opsInGroup } from '../ops/index.js';
import type { Pass } from './context.js';

// The op sets below come from each op's `group` trait (compiler/ops/op-def.ts), never a list here.
/** Activations a matmul epilogue can apply. */
export const ACTIVATIONS: ReadonlySet<OpName> = opsInGroup('activation');
/** Activation derivatives a backward matmul epilogue can apply (operands: dy, saved). */
export const ACTIVATION_GRADS: ReadonlySet<OpName> = opsInGroup('activation-grad');
/** Row-wise normalizations that can run in place on a linear's output. */
const ROW_SOFTMAX: ReadonlySet<OpName> = opsInGroup('row');
/** Gradients of a loss w.r.t. its prediction (or, fused by `simplify`, the logits): operands (dL, pred, target). */
const LOSS_GRADS: ReadonlySet<OpName> = opsInGroup('loss-grad');
/** Ops computed element by element with no cross-element reads: they can share one loop. */
export const POINTWISE: ReadonlySet<OpName> = opsInGroup('activation', 'activation-grad', 'join');
/** Update ops that are elementwise over their parameter (they carry `pointwise`; step_increment is a scalar: not fused). */
export const ELEMENTWISE_UPDATES: ReadonlySet<OpName> = new Set(
  opNames.filter((op) => ops[op].group === 'update' && ops[op].pointwise !== undefined),
);

export const fuse: Pass = {
  name: 'fuse',
  run: (graph) => {
    const rewired = derivativesFromOutputs(graph);
    return { ...rewired, kernels: orderKernels(rewired, groupKernels(rewired)) };
  },
};

/**
 * relu'(z) and leaky_relu'(z) (α ≥ 0) only test z > 0, which equals y > 0 for y = f(z). Reading
 * y instead lets the forward kernel keep z in registers (linear + relu writes only y).
 */
function derivativesFromOutputs(graph: Graph): Graph {
  // The activations reading each value, in graph order (one scan, not one per derivative).
  const activationsOf = new Map<number, Node[]>();
  for (const a of graph.nodes) {
    const x = a.inputs[0];
    if (x === undefined || (a.op !== 'relu' && a.op !== 'leaky_relu')) continue;
    const list = activationsOf.get(x);
    if (list === undefined) activationsOf.set(x, [a]);
    else list.push(a);
  }
  const nodes = graph.nodes.map((n): Node => {
    const [dy, saved] = n.inputs;
    if (dy === undefined || saved === undefined) return n;
    if (n.op !== 'relu_grad' && !(n.op === 'leaky_relu_grad' && n.attrs.alpha >= 0)) return n;
    const act = activationsOf
      .get(saved)
      ?.find(
        (a) =>
          a.inputs[0] === saved &&
          ((n.op === 'relu_grad' && a.op === 'relu') ||
            (n.op === 'leaky_relu_grad' && a.op === 'leaky_relu' && a.attrs.alpha === n.attrs.alpha)),
      );
    return act === undefined ? n : { ...n, inputs: [dy, act.id] };
  });
  return { ...graph, nodes };
}

interface Draft {
  readonly pattern: FusionPattern;
  readonly nodes: number[];
  updates?: number[];
}

function groupKernels(graph: Graph): Kernel[] {
  const index = nodeIndex(graph);
  const readers = consumers(graph);
  const node = (id: number): Node => {
    const n = index.get(id);
    if (n === undefined) throw new Error(`fuse: no node %${id}`);
    return n;
  };
  const grads = new Set(paramGrads(graph).values());
  // Values the caller reads or that persist: always stored, never folded away.
  const pinned = new Set<number>([...graph.outputs, ...(graph.loss === undefined ? [] : [graph.loss]), ...grads]);
  const onlyReader = (id: number, reader: number): boolean => {
    const r = readers.get(id) ?? [];
    return r.length > 0 && r.every((x) => x === reader) && !pinned.has(id);
  };
  const owner = new Map<number, Draft>();
  const drafts: Draft[] = [];
  const claim = (pattern: FusionPattern, ids: number[]): Draft => {
    const d: Draft = { pattern, nodes: ids };
    for (const id of ids) owner.set(id, d);
    drafts.push(d);
    return d;
  };

  for (const n of graph.nodes) {
    if (n.op !== 'linear' || owner.has(n.id)) continue;
    // The linear's only reader, if it is still free: its epilogue or row step.
    const only = readers.get(n.id) ?? [];
    const act = only.length === 1 && only[0] !== undefined && !owner.has(only[0]) ? node(only[0]) : undefined;
    if (act !== undefined && ACTIVATIONS.has(act.op)) claim('linear_activation', [n.id, act.id]);
    else if (act !== undefined && ROW_SOFTMAX.has(act.op)) claim('linear_softmax', [n.id, act.id]);
  }
  const loss = graph.loss === undefined ? undefined : node(graph.loss);
  if (loss !== undefined) {
    const sameOperands = (g: Node): boolean => g.inputs[1] === loss.inputs[0] && g.inputs[2] === loss.inputs[1];
    const grad = graph.nodes.find((g) => LOSS_GRADS.has(g.op) && !owner.has(g.id) && sameOperands(g));
    if (grad !== undefined) claim('loss_grad', [loss.id, grad.id]);
  }
  for (const n of graph.nodes) {
    if (!ACTIVATION_GRADS.has(n.op) || owner.has(n.id)) continue;
    const m = n.inputs[0] === undefined ? undefined : node(n.inputs[0]);
    if (m?.op === 'matmul' && !m.attrs.transA && !owner.has(m.id) && onlyReader(m.id, n.id)) {
      claim('matmul_activation_grad', [m.id, n.id]);
    }
  }
  // Xᵀ·dZ matmuls by their dZ operand, in graph order.
  const weightGrads = new Map<number, Node[]>();
  for (const m of graph.nodes) {
    const dz = m.inputs[1];
    if (m.op !== 'matmul' || !m.attrs.transA || dz === undefined) continue;
    const list = weightGrads.get(dz);
    if (list === undefined) weightGrads.set(dz, [m]);
    else list.push(m);
  }
  for (const s of graph.nodes) {
    if (s.op !== 'sum_rows' || owner.has(s.id)) continue;
    const dz = s.inputs[0];
    const w = dz === undefined ? undefined : weightGrads.get(dz)?.find((m) => !owner.has(m.id));
    if (w !== undefined) claim('weight_bias_grad', [w.id, s.id]);
  }
  // Elementwise chains: merge a pointwise node into the kernel of a pointwise operand that only it reads.
  for (const n of graph.nodes) {
    if (!POINTWISE.has(n.op) || owner.has(n.id)) continue;
    const feeder = n.inputs
      .map((i) => owner.get(i))
      .find((d, k) => {
        const i = n.inputs[k];
        return d?.pattern === 'elementwise' && i !== undefined && onlyReader(i, n.id) && sameShape(node(i), n);
      });
    if (feeder !== undefined) {
      feeder.nodes.push(n.id);
      owner.set(n.id, feeder);
    } else {
      claim('elementwise', [n.id]);
    }
  }
  for (const n of graph.nodes) {
    if (!isLeaf(n) && !owner.has(n.id)) claim('single', [n.id]);
  }
  attachUpdates(graph, drafts, owner, readers, grads);

  const taken = new Set<string>();
  return drafts
    .filter((d) => !d.nodes.every((id) => owner.get(id) !== d))
    .map((d) => {
      const pattern: FusionPattern = d.pattern === 'elementwise' && d.nodes.length === 1 ? 'single' : d.pattern;
      const writes = d.nodes.filter(
        (id) =>
          pinned.has(id) || node(id).assigns !== undefined || (readers.get(id) ?? []).some((r) => owner.get(r) !== d),
      );
      const name = unique(kernelName(pattern, d, node), taken);
      const kernel: Kernel = {
        name,
        pattern,
        nodes: d.nodes,
        writes,
        ...(d.updates?.length ? { updates: d.updates } : {}),
      };
      return kernel;
    });
}

function sameShape(a: Node, b: Node): boolean {
  return a.type.shape.length === b.type.shape.length && a.type.shape.every((d, i) => d === b.type.shape[i]);
}

/**
 * Moves the elementwise optimizer updates of a parameter into the kernel computing its gradient,
 * when that kernel is a gradient matmul and the gradient's only readers are those updates.
 */
function attachUpdates(
  graph: Graph,
  drafts: Draft[],
  owner: Map<number, Draft>,
  readers: ReadonlyMap<number, readonly number[]>,
  grads: ReadonlySet<number>,
): void {
  const index = nodeIndex(graph);
  for (const d of drafts) {
    if (d.pattern !== 'weight_bias_grad' && !(d.pattern === 'single' && index.get(d.nodes[0] ?? -1)?.op === 'matmul'))
      continue;
    const updates: number[] = [];
    for (const g of d.nodes.filter((id) => grads.has(id))) {
      const chain = updateChain(graph, g, readers);
      if (chain !== undefined) for (const id of chain) updates.push(id);
    }
    if (updates.length === 0) continue;
    for (const u of updates) {
      const standalone = owner.get(u);
      if (standalone !== undefined) standalone.nodes.splice(standalone.nodes.indexOf(u), 1);
      owner.set(u, d);
    }
    d.updates = updates.sort((a, b) => position(graph, a) - position(graph, b));
  }
  // Drop kernels emptied by the moves.
  for (let i = drafts.length - 1; i >= 0; i--) if (drafts[i]?.nodes.length === 0) drafts.splice(i, 1);
}

/**
 * The update nodes fed (directly or through each other) by gradient `g`, if they are all
 * elementwise, read only `g`, each other, leaves and the step counter, and nothing else reads `g`.
 */
function updateChain(graph: Graph, g: number, readers: ReadonlyMap<number, readonly number[]>): number[] | undefined {
  const index = nodeIndex(graph);
  const chain = new Set<number>();
  const queue = [...(readers.get(g) ?? [])];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    if (chain.has(id)) continue;
    const u = index.get(id);
    if (u === undefined || !ELEMENTWISE_UPDATES.has(u.op)) return undefined;
    chain.add(id);
    for (const r of readers.get(id) ?? []) queue.push(r);
  }
  for (const id of chain) {
    for (const i of index.get(id)?.inputs ?? []) {
      const src = index.get(i);
      const ok = i === g || chain.has(i) || (src !== undefined && (isLeaf(src) || src.op === 'step_increment'));
      if (!ok) return undefined;
    }
  }
  return chain.size === 0 ? undefined : [...chain];
}

function position(graph: Graph, id: number): number {
  return nodePositions(graph).get(id) ?? -1;
}

/** Kernels in an order that respects every read (including fused updates), ties by node order. */
function orderKernels(graph: Graph, kernels: readonly Kernel[]): Kernel[] {
  const producer = new Map<number, number>();
  kernels.forEach((k, i) => [...k.nodes, ...(k.updates ?? [])].forEach((id) => producer.set(id, i)));
  const index = nodeIndex(graph);
  const deps = kernels.map((k, i) => {
    const ids = [...k.nodes, ...(k.updates ?? [])];
    const set = new Set<number>();
    for (const id of ids)
      for (const input of index.get(id)?.inputs ?? []) {
        const p = producer.get(input);
        if (p !== undefined && p !== i) set.add(p);
      }
    return set;
  });
  // A fused update overwrites its parameter in place, so it runs after every other kernel that
  // reads the old value (dY·Wᵀ reads W while W's own gradient kernel would update it).
  const readersOf = new Map<number, Set<number>>(); // value id → kernels whose nodes read it
  kernels.forEach((k, j) => {
    for (const id of k.nodes)
      for (const input of index.get(id)?.inputs ?? []) {
        const set = readersOf.get(input);
        if (set === undefined) readersOf.set(input, new Set([j]));
        else set.add(j);
      }
  });
  kernels.forEach((k, i) => {
    for (const u of k.updates ?? []) {
      const leaf = index.get(u)?.assigns;
      if (leaf === undefined) continue;
      for (const j of readersOf.get(leaf) ?? []) if (j !== i) deps[i]?.add(j);
    }
  });
  const first = kernels.map((k) =>
    k.nodes.reduce((m, id) => Math.min(m, position(graph, id)), Number.POSITIVE_INFINITY),
  );
  // Kahn's algorithm; among the ready kernels the one whose first node comes first (then the
  // lower index): a heap over rank, the kernels sorted by (first node, index).
  const rank = kernels.map((_, i) => i).sort((a, b) => (first[a] ?? 0) - (first[b] ?? 0) || a - b);
  const byRank = new Array<number>(kernels.length);
  rank.forEach((kernel, r) => {
    byRank[kernel] = r;
  });
  const waiting = deps.map((d) => d.size);
  const dependents = kernels.map((): number[] => []);
  deps.forEach((d, i) => {
    for (const j of d) dependents[j]?.push(i);
  });
  const ready = new MinHeap();
  waiting.forEach((w, i) => {
    if (w === 0) ready.push(byRank[i] ?? 0);
  });
  const order: Kernel[] = [];
  for (let r = ready.pop(); r !== undefined; r = ready.pop()) {
    const best = rank[r] ?? -1;
    const k = kernels[best];
    if (k !== undefined) order.push(k);
    for (const j of dependents[best] ?? []) {
      const left = (waiting[j] ?? 0) - 1;
      waiting[j] = left;
      if (left === 0) ready.push(byRank[j] ?? 0);
    }
  }
  if (order.length < kernels.length) throw new Error('fuse: the kernels have a cycle');
  return order;
}

/** Elementwise kernels of up to this many ops are named by all of them. */
const MAX_NAMED_OPS = 4;

function kernelName(pattern: FusionPattern, d: Draft, node: (id: number) => Node): string {
  const first = node(d.nodes[0] ?? -1);
  const last = node(d.nodes[d.nodes.length - 1] ?? -1);
  switch (pattern) {
    case 'single':
      return identifier(first.name);
    case 'linear_activation':
    case 'linear_softmax':
      return `${identifier(first.name)}_linear_${last.op}`;
    case 'loss_grad':
      return `${identifier(first.name)}_and_grad`;
    case 'matmul_activation_grad':
      return `${identifier(last.name)}_matmul_${last.op}`;
    case 'weight_bias_grad':
      return `${identifier(first.name)}_bias`;
    case 'elementwise':
      // Every name while short; a long chain by its ends (a 5,000-op chain's joined name made
      // every kernel listing and memory-plan row that mentions it quadratic in size).
      return d.nodes.length <= MAX_NAMED_OPS
        ? d.nodes.map((id) => identifier(node(id).name)).join('_')
        : `${identifier(first.name)}_to_${identifier(last.name)}`;
  }
}

function unique(name: string, taken: Set<string>): string {
  let out = name;
  for (let k = 2; taken.has(out); k++) out = `${name}_${k}`;
  taken.add(out);
  return out;
}
