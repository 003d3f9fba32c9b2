// Gradient equations as text, in the notation of the classic backprop derivation, read off the
// backward graph the autodiff pass produced (never re-derived here):
//
//   ∂L/∂fc2 = (probs − y)/n                      the fused softmax + cross-entropy head
//   ∂L/∂fc1.weight = xᵀ · ((∂L/∂fc2 · fc2.weightᵀ) ⊙ relu'(fc1))
//
// One line per tensor on the gradient path (each in terms of the next), then every parameter's
// gradient expanded down to the loss head. Fan-in sums print as `( … + … )`.
import { type Labels, labelled } from '../frontend/labels.js';
import { gradName, nodeIndex } from '../ir/graph.js';
import type { Graph, Node } from '../ir/types.js';
import { defOf } from '../ops/index.js';

/** Longest expanded parameter equation; longer ones refer to the per-tensor lines instead. */
const MAX_EXPANDED = 240;

export const sym = (tensor: string): string => `∂L/∂${tensor}`;

/** An expression and whether it needs parentheses when used as an operand. */
export interface Expr {
  readonly text: string;
  readonly atom: boolean;
}

const atom = (text: string): Expr => ({ text, atom: true });
const compound = (text: string): Expr => ({ text, atom: false });
const wrap = (e: Expr): string => (e.atom ? e.text : `(${e.text})`);
/** An expansion cut short: it would be longer than its budget (see `Explainer.expr`). */
const OVER: Expr = atom('…');

/** The tensor whose gradient has a closed form (the loss head), and that form. */
export interface Head {
  readonly tensor: number;
  readonly formula: string;
  readonly note: string;
  /** The loss op and its prediction and target nodes, for the index form. */
  readonly loss: Node;
  readonly pred: Node;
  readonly target: Node;
}

export function findHead(
  graph: Graph,
  byId: ReadonlyMap<number, Node>,
  label: (name: string) => string,
): Head | undefined {
  const loss = graph.loss === undefined ? undefined : byId.get(graph.loss);
  if (loss === undefined) return undefined;
  const pred = byId.get(loss.inputs[0] ?? -1);
  const target = byId.get(loss.inputs[1] ?? -1);
  if (pred === undefined || target === undefined) return undefined;
  const y = target.type.dtype === 'i32' ? `onehot(${label(target.name)})` : label(target.name);
  const p = label(pred.name);
  const logits = byId.get(pred.inputs[0] ?? -1);
  const nodes = { loss, pred, target };
  switch (loss.op) {
    case 'cross_entropy':
      if (logits === undefined) return undefined;
      return loss.attrs.input === 'probs'
        ? { tensor: logits.id, formula: `(${p} − ${y})/n`, note: 'softmax + cross_entropy, n rows', ...nodes }
        : {
            tensor: logits.id,
            formula: `(exp(${p}) − ${y})/n`,
            note: 'log_softmax + cross_entropy, n rows',
            ...nodes,
          };
    case 'binary_cross_entropy':
      if (logits === undefined) return undefined;
      return {
        tensor: logits.id,
        formula: `(${p} − ${y})/N`,
        note: 'sigmoid + binary_cross_entropy, N elements',
        ...nodes,
      };
    case 'mse':
      return { tensor: pred.id, formula: `2(${p} − ${y})/N`, note: 'mse, N elements', ...nodes };
    default:
      return undefined;
  }
}

export class Explainer {
  readonly byId: ReadonlyMap<number, Node>;
  readonly head: Head | undefined;
  /** A tensor's printed name: its spec label (rendered) or its own name. */
  readonly label: (name: string) => string;

  constructor(
    readonly graph: Graph,
    labels?: Labels,
  ) {
    this.byId = nodeIndex(graph);
    this.label = labelled(labels);
    this.head = findHead(graph, this.byId, this.label);
  }

  node(id: number): Node {
    const n = this.byId.get(id);
    if (n === undefined) throw new Error(`internal: no node %${id}`);
    return n;
  }

  /** The printed name of a node: its label, or its name. */
  name(id: number): string {
    return this.label(this.node(id).name);
  }

  /** The tensor a backward node differentiates, when it holds that tensor's total gradient. */
  totalOf(g: Node): string | undefined {
    if (g.grad === undefined) return undefined;
    const of = this.node(g.grad.of).name;
    return g.name === gradName(of) ? this.label(of) : undefined;
  }

  /**
   * The expression of gradient node `id`. `expand` decides, for a total gradient ∂L/∂t met as an
   * operand, whether to write its symbol or expand it further. `budget` bounds the text's
   * length: past it the result is `OVER` (the caller prints the short form instead), found
   * top-down so a deep chain is not expanded only to be thrown away.
   */
  expr(id: number, expand: (tensor: string, node: Node) => boolean, budget = Number.POSITIVE_INFINITY): Expr {
    if (budget < 0) return OVER;
    const g = this.node(id);
    const total = this.totalOf(g);
    if (total !== undefined && !expand(total, g)) return atom(sym(total));
    // An operand within what is left once this node's own text (`own` characters) is counted.
    const sub = (k: number, own: string): Expr => this.expr(g.inputs[k] ?? -1, expand, budget - own.length);
    const of = g.grad === undefined ? '?' : this.name(g.grad.of);
    switch (g.op) {
      case 'add': {
        const terms: string[] = [];
        let left = budget;
        for (const i of g.inputs) {
          const term = this.expr(i, expand, left);
          if (term === OVER) return OVER;
          terms.push(wrap(term));
          left -= wrap(term).length + 3;
        }
        return compound(terms.join(' + '));
      }
      case 'matmul': {
        // dX = dY·Wᵀ (transB) or dW = Xᵀ·dY (transA), as linear's VJP emits them.
        const own = g.attrs.transA
          ? `${this.name(g.inputs[0] ?? -1)}ᵀ · `
          : ` · ${this.name(g.inputs[1] ?? -1)}${g.attrs.transB ? 'ᵀ' : ''}`;
        const operand = sub(g.attrs.transA ? 1 : 0, own);
        if (operand === OVER) return OVER;
        return compound(g.attrs.transA ? `${own}${wrap(operand)}` : `${wrap(operand)}${own}`);
      }
      case 'sum_rows': {
        const operand = sub(0, 'Σ_rows ');
        return operand === OVER ? OVER : compound(`Σ_rows ${wrap(operand)}`);
      }
      default: {
        // Activation and row-op derivatives say their factor in their op file (`explain`).
        const words = defOf(g).explain;
        const own =
          words?.prime !== undefined
            ? ` ⊙ ${words.prime}(${of})`
            : words?.jacobian !== undefined
              ? ` · ${words.jacobian}(${of})`
              : undefined;
        // Loss-level gradients sit above the head; everything else is not a gradient equation.
        if (own === undefined) return atom(sym(of));
        const operand = sub(0, own);
        return operand === OVER ? OVER : compound(`${wrap(operand)}${own}`);
      }
    }
  }
}

/** Total-gradient nodes of forward tensors, in backward (reverse topological) order. */
export function tensorGradients(ex: Explainer): { tensor: Node; grad: Node }[] {
  const out: { tensor: Node; grad: Node }[] = [];
  for (const g of ex.graph.nodes) {
    if (g.role !== 'backward' || g.grad === undefined) continue;
    if (ex.totalOf(g) === undefined) continue;
    out.push({ tensor: ex.node(g.grad.of), grad: g });
  }
  return out;
}

/** The gradient equations of a differentiated (or joint) graph, as text. */
export function explainGraph(graph: Graph, labels?: Labels): string {
  const ex = new Explainer(graph, labels);
  const all = tensorGradients(ex);
  const head = ex.head;
  const headAt = head === undefined ? -1 : all.findIndex((e) => e.tensor.id === head.tensor);
  // Tensors above the head (loss input, softmax output) are covered by the closed form.
  const below = headAt < 0 ? all : all.slice(headAt + 1);
  const stopAtHead = (tensor: string): boolean => head === undefined || tensor !== ex.name(head.tensor);
  const lines: string[] = [];
  const lossNode = graph.loss === undefined ? undefined : ex.node(graph.loss);
  lines.push(
    `gradients of ${graph.name}: L = ${lossNode === undefined ? '?' : `${lossNode.op}(${lossNode.inputs.map((i) => ex.name(i)).join(', ')})`}`,
  );
  lines.push('');
  lines.push('backward, one tensor at a time:');
  if (head !== undefined && headAt >= 0)
    lines.push(`  ${sym(ex.name(head.tensor))} = ${head.formula}    [${head.note}]`);
  for (const { tensor, grad } of below) {
    if (tensor.op === 'param') continue;
    const own = ex.label(tensor.name);
    lines.push(`  ${sym(own)} = ${ex.expr(grad.id, (t, n) => n.id === grad.id && t === own).text}`);
  }
  lines.push('');
  lines.push('parameters:');
  for (const { tensor, grad } of below) {
    if (tensor.op !== 'param') continue;
    const full = ex.expr(grad.id, (t, n) => n.id === grad.id || stopAtHead(t), MAX_EXPANDED);
    const own = ex.label(tensor.name);
    const short = ex.expr(grad.id, (t, n) => n.id === grad.id && t === own).text;
    lines.push(`  ${sym(own)} = ${full !== OVER && full.text.length <= MAX_EXPANDED ? full.text : short}`);
  }
  return `${lines.join('\n')}\n`;
}
