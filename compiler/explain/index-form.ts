// `chainrule explain --notation index` and `--steps`: the same backward graph as equations.ts,
// written entry by entry as in the lecture, with the sum over the batch rows s made explicit:
//
//   ∂L/∂W⁽¹⁾ᵢⱼ = (1/n) Σₛ Σₗ (∂Lₛ/∂oₛₗ) W⁽²⁾ⱼₗ σ'(zₛⱼ) xₛᵢ
//
// and, with --steps, as the chain of Jacobian factors each backward node applies, showing where
// a diagonal Jacobian (an elementwise op) turns into ⊙. Read off the graph, never re-derived.
//
// Index letters: s is the batch row; each feature axis gets a letter in forward order (i for the
// first input, then one per linear layer: j, l, k, m, …); elementwise and row ops keep their
// operand's letter, so zₛⱼ and hₛⱼ share j as in the lecture.
import { subscript } from '../frontend/labels.js';
import type { Graph, Node } from '../ir/types.js';
import { defOf } from '../ops/index.js';
import { Explainer, type Head, sym, tensorGradients } from './equations.js';

const BATCH = 's';
const LETTERS = ['i', 'j', 'l', 'k', 'm', 'r', 't', 'u', 'v', 'a', 'e'];

/** One product: an optional batch-mean scale, sums, then factors (head first, down to the inputs). */
interface Term {
  readonly scaled: boolean;
  readonly sums: readonly string[];
  readonly factors: readonly string[];
}

/** Feature-axis letters of the forward tensors, in forward order. */
function featureLetters(graph: Graph): Map<number, string> {
  const letters = new Map<number, string>();
  let next = 0;
  const fresh = (): string => LETTERS[next++] ?? `q${next}`;
  for (const n of graph.nodes) {
    if (n.role === 'input' || n.role === 'target') letters.set(n.id, n.role === 'input' ? fresh() : '');
    else if (n.role === 'forward')
      letters.set(n.id, defOf(n).group === 'layer' ? fresh() : (letters.get(n.inputs[0] ?? -1) ?? fresh()));
  }
  return letters;
}

/** The first letter of `LETTERS` (or `preferred`) not in `used`. */
function freshLetter(used: ReadonlySet<string>, preferred?: string): string {
  if (preferred !== undefined && preferred !== '' && !used.has(preferred)) return preferred;
  return LETTERS.find((l) => !used.has(l)) ?? `q${used.size}`;
}

/** The index-form words of a loss head: its batch mean, row loss and per-row gradient. */
interface IndexHead {
  readonly scale: string;
  /** `L = (1/n) Σₛ Lₛ, Lₛ = −Σₗ yₛₗ log pₛₗ` */
  readonly mean: string;
  /** `∂Lₛ/∂oₛₗ` at indices (row, col). */
  symbol(row: string, col: string): string;
  /** `pₛₗ − yₛₗ` at indices (row, col). */
  value(row: string, col: string): string;
  readonly note: string;
}

class IndexForm {
  readonly letters: Map<number, string>;
  readonly head: IndexHead | undefined;

  constructor(readonly ex: Explainer) {
    this.letters = featureLetters(ex.graph);
    this.head = ex.head === undefined ? undefined : this.indexHead(ex.head);
  }

  /** `xₛᵢ`: a tensor's entry at these indices. */
  entry(id: number, idx: readonly string[]): string {
    return `${this.ex.name(id)}${idx.length === 0 ? '' : subscript(idx.join(''))}`;
  }

  letter(id: number): string | undefined {
    return this.letters.get(id);
  }

  /** The forward tensor whose feature letter an operand of a backward node carries. */
  tensorOf(id: number): number {
    return this.ex.node(id).grad?.of ?? id;
  }

  indexHead(h: Head): IndexHead {
    const p = (r: string, c: string): string => this.entry(h.pred.id, [r, c]);
    const y = (r: string, c: string): string => `${this.ex.name(h.target.id)}${subscript(r + c)}`;
    const at = (r: string, c: string): string => `${this.ex.name(h.tensor)}${subscript(r + c)}`;
    const l = this.letter(h.tensor) ?? 'l';
    const onehot =
      h.target.type.dtype === 'i32'
        ? `; ${y(BATCH, l)} = 1 if ${l} = ${this.ex.name(h.target.id)}${subscript(BATCH)}, else 0`
        : '';
    const rowMean = (lossOf: string): string =>
      `L = (1/n) Σ${subscript(BATCH)} L${subscript(BATCH)}, L${subscript(BATCH)} = ${lossOf}`;
    const elementMean = (lossOf: string): string =>
      `L = (1/N) Σ${subscript(BATCH)} Σ${subscript(l)} L${subscript(BATCH + l)}, L${subscript(BATCH + l)} = ${lossOf}, N = n·${h.pred.type.shape.at(-1) ?? 1}`;
    switch (h.loss.op) {
      case 'cross_entropy': {
        const probs = h.loss.attrs.input === 'probs';
        return {
          scale: '(1/n)',
          mean: rowMean(`−Σ${subscript(l)} ${y(BATCH, l)} ${probs ? 'log ' : ''}${p(BATCH, l)}`),
          symbol: (r, c) => `∂L${subscript(r)}/∂${at(r, c)}`,
          value: (r, c) => `${probs ? p(r, c) : `exp(${p(r, c)})`} − ${y(r, c)}`,
          note: `${h.note}${onehot}`,
        };
      }
      case 'binary_cross_entropy':
        return {
          scale: '(1/N)',
          mean: elementMean(`−(${y(BATCH, l)} log ${p(BATCH, l)} + (1 − ${y(BATCH, l)}) log(1 − ${p(BATCH, l)}))`),
          symbol: (r, c) => `∂L${subscript(r + c)}/∂${at(r, c)}`,
          value: (r, c) => `${p(r, c)} − ${y(r, c)}`,
          note: h.note,
        };
      default:
        return {
          scale: '(1/N)',
          mean: elementMean(`(${p(BATCH, l)} − ${y(BATCH, l)})²`),
          symbol: (r, c) => `∂L${subscript(r + c)}/∂${at(r, c)}`,
          value: (r, c) => `2(${p(r, c)} − ${y(r, c)})`,
          note: h.note,
        };
    }
  }

  isHead(g: Node): boolean {
    return this.ex.head !== undefined && g.grad?.of === this.ex.head.tensor && this.ex.totalOf(g) !== undefined;
  }

  /** The terms of backward node `g`'s entry at `idx`; `notes` collects the σ' expansions. */
  terms(g: Node, idx: readonly string[], used: ReadonlySet<string>, notes: Set<string>): Term[] {
    if (this.isHead(g) && this.head !== undefined) {
      const [r = BATCH, c = ''] = idx;
      return [{ scaled: true, sums: [], factors: [`(${this.head.symbol(r, c)})`] }];
    }
    if (g.op === 'fill') return [{ scaled: false, sums: [], factors: [] }];
    const operand = (id: number, at: readonly string[], u: ReadonlySet<string>): Term[] => {
      const n = this.ex.node(id);
      return n.role === 'backward' || n.role === 'const'
        ? this.terms(n, at, u, notes)
        : [{ scaled: false, sums: [], factors: [this.entry(id, at)] }];
    };
    switch (g.op) {
      case 'add':
        return g.inputs.flatMap((i) => operand(i, idx, used));
      case 'matmul': {
        const [a = -1, b = -1] = g.inputs;
        const [r = '', c = ''] = idx;
        // dW = Xᵀ·dY sums over the batch rows; dX = dY·Wᵀ over the layer's output features.
        const q = g.attrs.transA ? freshLetter(used, BATCH) : freshLetter(used, this.letter(this.tensorOf(a)));
        const inner = new Set([...used, q]);
        const left = operand(a, g.attrs.transA ? [q, r] : [r, q], inner);
        const right = operand(b, g.attrs.transB ? [c, q] : [q, c], inner);
        return product(left, right, this.ex, [a, b]).map((t) => ({ ...t, sums: [q, ...t.sums] }));
      }
      case 'sum_rows': {
        const q = freshLetter(used, BATCH);
        return operand(g.inputs[0] ?? -1, [q, ...idx], new Set([...used, q])).map((t) => ({
          ...t,
          sums: [q, ...t.sums],
        }));
      }
      default:
        return this.local(g, idx, used, notes, operand);
    }
  }

  /** Activation and row-op derivatives, from their op's explain words. */
  local(
    g: Node,
    idx: readonly string[],
    used: ReadonlySet<string>,
    notes: Set<string>,
    operand: (id: number, at: readonly string[], u: ReadonlySet<string>) => Term[],
  ): Term[] {
    const words = defOf(g).explain;
    const [dy = -1, saved = -1] = g.inputs;
    const of = g.grad?.of ?? -1;
    if (words?.prime !== undefined) {
      const z = this.entry(of, idx);
      const factor = `${words.prime}(${z})`;
      const expanded = (words.expanded as ((z: string, attrs: unknown) => string) | undefined)?.(z, g.attrs);
      if (expanded !== undefined) notes.add(`${factor} = ${expanded}`);
      return operand(dy, idx, used).map((t) => ({ ...t, factors: [...t.factors, factor] }));
    }
    if (words?.entry !== undefined) {
      const [r = BATCH, c = ''] = idx;
      const k = freshLetter(used);
      const y = (col: string): string => this.entry(saved, [r, col]);
      const factor = `[${words.entry(y, `δ${subscript(k + c)}`, k, c)}]`;
      return operand(dy, [r, k], new Set([...used, k])).map((t) => ({
        ...t,
        sums: [k, ...t.sums],
        factors: [...t.factors, factor],
      }));
    }
    return [{ scaled: false, sums: [], factors: [`${sym(this.ex.name(of))}${subscript(idx.join(''))}`] }];
  }

  /** A parameter's own indices: Wᵢⱼ from its layer's input and output letters, bⱼ from the output. */
  paramIndices(p: Node): string[] {
    const layer = this.ex.graph.nodes.find((n) => n.role === 'forward' && n.inputs.slice(1).includes(p.id));
    const rank = p.type.shape.length;
    if (layer !== undefined) {
      const out = this.letter(layer.id) ?? 'j';
      if (rank === 1) return [out];
      if (rank === 2) return [this.letter(layer.inputs[0] ?? -1) ?? 'i', out];
    }
    return LETTERS.slice(0, rank);
  }

  text(terms: readonly Term[]): string {
    const scale = this.head?.scale ?? '';
    return terms
      .map((t) => {
        const parts = [
          ...(t.scaled ? [scale] : []),
          ...t.sums.map((q) => `Σ${subscript(q)}`),
          ...(t.factors.length === 0 ? ['1'] : t.factors),
        ];
        return parts.join(' ');
      })
      .join(' + ');
  }
}

/** All products of one term from each side; factors of the gradient side come first. */
function product(left: Term[], right: Term[], ex: Explainer, [a, b]: readonly number[]): Term[] {
  const gradientFirst = ex.node(a ?? -1).role !== 'backward' && ex.node(b ?? -1).role === 'backward';
  const out: Term[] = [];
  for (const l of left)
    for (const r of right) {
      const [first, second] = gradientFirst ? [r, l] : [l, r];
      out.push({
        scaled: l.scaled || r.scaled,
        sums: [...first.sums, ...second.sums],
        factors: [...first.factors, ...second.factors],
      });
    }
  return out;
}

/** Every parameter's gradient in index notation, the batch mean written out. */
export function explainIndexGraph(graph: Graph, labels?: ReadonlyMap<string, string>): string {
  const ex = new Explainer(graph, labels);
  const form = new IndexForm(ex);
  const lines: string[] = [];
  const lossNode = graph.loss === undefined ? undefined : ex.node(graph.loss);
  lines.push(
    `gradients of ${graph.name} in index notation: L = ${lossNode === undefined ? '?' : `${lossNode.op}(${lossNode.inputs.map((i) => ex.name(i)).join(', ')})`}`,
  );
  lines.push('');
  lines.push(`s runs over the n batch rows; each other index over the features of one layer`);
  const head = form.head;
  if (head !== undefined && ex.head !== undefined) {
    const l = form.letter(ex.head.tensor) ?? 'l';
    lines.push(`  ${head.mean}`);
    lines.push(`  ${head.symbol(BATCH, l)} = ${head.value(BATCH, l)}    [${head.note}]`);
  }
  lines.push('');
  lines.push('parameters:');
  for (const { tensor, grad } of tensorGradients(ex)) {
    if (tensor.op !== 'param') continue;
    const idx = form.paramIndices(tensor);
    const notes = new Set<string>();
    const terms = form.terms(grad, idx, new Set(idx), notes);
    lines.push(`  ${sym(ex.name(tensor.id))}${subscript(idx.join(''))} = ${form.text(terms)}`);
    for (const note of notes) lines.push(`      ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- --steps: the chain of Jacobian factors --------------------------------------------------

/** One edge of the backward pass: node `g` applies the Jacobian ∂Y/∂X to the gradient of Y. */
interface Edge {
  readonly g: Node;
  /** The forward tensor of the incoming gradient (Y), or undefined for the head. */
  readonly from: number | undefined;
  /** The forward tensor differentiated (X). */
  readonly to: number;
  /** An identity Jacobian the graph has no node for: an `add` passing its gradient to an operand. */
  readonly identity?: boolean;
}

/** Inserts ∂Y/∂X = I where a path jumps from Y to an operand X of an `add` (no backward node). */
function withIdentities(path: readonly Edge[]): Edge[] {
  const out: Edge[] = [];
  for (const e of path) {
    const prev = out.at(-1);
    if (prev !== undefined && e.from !== undefined && prev.to !== e.from)
      out.push({ g: e.g, from: prev.to, to: e.from, identity: true });
    out.push(e);
  }
  return out;
}

/** Every path of edges from the head down to backward node `g` (one per fan-in branch). */
function paths(form: IndexForm, g: Node): Edge[][] {
  const ex = form.ex;
  if (form.isHead(g)) return [[{ g, from: undefined, to: g.grad?.of ?? -1 }]];
  if (g.op === 'fill') return [[]];
  if (g.op === 'add')
    return g.inputs.flatMap((i) => {
      const n = ex.node(i);
      return n.role === 'backward' || n.role === 'const' ? paths(form, n) : [];
    });
  const dy = g.inputs.find((i) => ex.node(i).role === 'backward' || ex.node(i).role === 'const');
  if (dy === undefined) return [];
  const from = ex.node(dy).grad?.of;
  return paths(form, ex.node(dy)).map((p) => [...p, { g, from, to: g.grad?.of ?? -1 }]);
}

/** `∂o/∂h`: the Jacobian symbol of an edge. */
function jacobianName(ex: Explainer, e: Edge): string {
  return e.from === undefined ? sym(ex.name(e.to)) : `∂${ex.name(e.from)}/∂${ex.name(e.to)}`;
}

/** The line of one edge: the Jacobian's entries and what multiplying by it becomes. */
function edgeLine(form: IndexForm, e: Edge): string {
  const ex = form.ex;
  const g = e.g;
  if (e.from === undefined) return `${sym(ex.name(e.to))} = ${ex.head?.formula ?? '?'}    [${ex.head?.note ?? ''}]`;
  const a = form.letter(e.from) ?? 'l';
  const y = (r: string, c: string): string => form.entry(e.from ?? -1, [r, c]);
  const name = jacobianName(ex, e);
  const own = form.letter(e.to);
  const b = own !== undefined && own !== a ? own : freshLetter(new Set([a, BATCH, 't', 'i', 'j', 'l']), 'k');
  const x = (r: string, c: string): string => form.entry(e.to, [r, c]);
  const d = (p: string, q: string): string => `δ${subscript(p + q)}`;
  if (e.identity === true)
    return `${name}: ∂${y(BATCH, a)}/∂${x('t', b)} = ${d(BATCH, 't')} ${d(a, b)}, the identity (an add passes ${ex.name(e.to)} through)    → unchanged`;
  switch (g.op) {
    case 'matmul': {
      const [l = -1, r = -1] = g.inputs;
      if (g.attrs.transA) {
        const [i = 'i'] = form.paramIndices(ex.node(e.to));
        const bb = freshLetter(new Set([a, BATCH, 't', i, 'i', 'j', 'l']), 'k');
        return `${name}: ∂${y(BATCH, a)}/∂${form.entry(e.to, [i, bb])} = ${d(a, bb)} ${form.entry(l, [BATCH, i])} for every row ${BATCH}    → ${ex.name(l)}ᵀ · (sums the rows ${BATCH})`;
      }
      if (g.attrs.transB)
        return `${name}: ∂${y(BATCH, a)}/∂${x('t', b)} = ${d(BATCH, 't')} ${form.entry(r, [b, a])}    → · ${ex.name(r)}ᵀ`;
      return `${name}: ∂${y(BATCH, a)}/∂${x('t', b)} = ${d(BATCH, 't')} ${form.entry(r, [a, b])}    → · ${ex.name(r)}`;
    }
    case 'sum_rows':
      return `${name}: ∂${y(BATCH, a)}/∂${form.entry(e.to, [b])} = ${d(a, b)} for every row ${BATCH}    → Σ_rows (sums the rows ${BATCH})`;
    default: {
      const words = defOf(g).explain;
      if (words?.prime !== undefined)
        return `${name}: ∂${y(BATCH, a)}/∂${x('t', b)} = ${d(BATCH, 't')} ${d(a, b)} ${words.prime}(${x(BATCH, a)}): diagonal    → ⊙ ${words.prime}(${ex.name(e.to)}) (a diagonal Jacobian is an elementwise product)`;
      if (words?.entry !== undefined) {
        const saved = g.inputs[1] ?? -1;
        const entry = words.entry((col) => form.entry(saved, [BATCH, col]), d(a, b), a, b);
        return `${name}: ∂${y(BATCH, a)}/∂${x('t', b)} = ${d(BATCH, 't')} ${entry}, one full block per row    → · ${words.jacobian ?? 'J'}(${ex.name(e.to)})`;
      }
      return `${name}: ${g.grad?.factor ?? g.op}`;
    }
  }
}

/** Per parameter, ∂L/∂W as a product of Jacobians, each factor's entries, and the matrix result. */
export function explainStepsGraph(graph: Graph, labels?: ReadonlyMap<string, string>): string {
  const ex = new Explainer(graph, labels);
  const form = new IndexForm(ex);
  const lines: string[] = ['the chain rule, step by step (one Jacobian per backward edge, from L down):'];
  for (const { tensor, grad } of tensorGradients(ex)) {
    if (tensor.op !== 'param') continue;
    const all = paths(form, grad).map(withIdentities);
    const chains = all.map((p) => p.map((e) => jacobianName(ex, e)).join(' · '));
    lines.push('');
    lines.push(`  ${sym(ex.name(tensor.id))} = ${chains.join('\n      + ')}`);
    const seen = new Set<string>();
    for (const e of all.flat()) {
      const line = edgeLine(form, e);
      if (seen.has(line)) continue;
      seen.add(line);
      lines.push(`    ${line}`);
    }
    const own = ex.label(tensor.name);
    const full = ex.expr(grad.id, (t, n) => n.id === grad.id || ex.head === undefined || t !== ex.name(ex.head.tensor));
    const short = ex.expr(grad.id, (t, n) => n.id === grad.id && t === own);
    lines.push(`    = ${full.text.length <= 240 ? full.text : short.text}`);
  }
  return `${lines.join('\n')}\n`;
}
