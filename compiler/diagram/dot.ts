// Graph → Graphviz DOT, in three views: the forward graph, the backward graph (gradient flow from
// the loss to every parameter, then the optimizer updates) and the joint view (both, every
// gradient drawn on the same rank as the value it differentiates, as in the classic backprop
// figures). Pure and deterministic: DOT ids are node names, never object identity.
import { findHead, type Head } from '../explain/equations.js';
import { type Labels, labelled, renameTensors } from '../frontend/labels.js';
import { nodeIndex } from '../ir/graph.js';
import { assertNever, type Graph, type Node, type Role } from '../ir/types.js';
import { defOf } from '../ops/index.js';
import {
  type DotCluster,
  type DotDocument,
  type DotEdge,
  type DotNode,
  type EdgeAttrs,
  escapeHtml,
  type GraphAttrs,
  html,
  type LabelMarkup,
  type NodeAttrs,
  writeDot,
} from './dot-text.js';
import {
  backwardOpText,
  foldedUpdateFormula,
  forwardFormula,
  gradTitle,
  type NameOf,
  type NodeOf,
  shapeText,
  updateFormula,
  updateSymbol,
} from './labels.js';
import { legendLabel } from './legend.js';
import { type EdgeKind, edgeAttrs, FONT, type NodeKind, nodeAttrs } from './style.js';

/**
 * `backprop`: the lecture's figure — forward values (blue) and their gradients (red), with the
 * forward values each gradient reads drawn as thin grey inputs; no optimizer, no update edges.
 */
export type DiagramView = 'forward' | 'backward' | 'joint' | 'backprop';

export const diagramViews: readonly DiagramView[] = ['forward', 'backward', 'joint', 'backprop'];

export interface DiagramOptions {
  /**
   * Node id → name of the generated kernel that computes it (from the fusion pass). The nodes of
   * one kernel are drawn inside a cluster labelled with the kernel's name.
   */
  readonly kernels?: ReadonlyMap<number, string>;
  /**
   * `LR`: data flows left to right; `TB`: top to bottom; `BT`: bottom to top. Default: LR for
   * the forward view (one chain); TB for the backward view (the chain from the loss down to the
   * parameters fits a page that way); BT for the joint and backprop views, the lecture's
   * figure: the input at the bottom, the forward pass going up the left, the backward pass
   * coming down the right toward the layer below, each row one step of both.
   */
  readonly rankdir?: 'LR' | 'TB' | 'BT';
  /** Draw the title and legend under the diagram (default true). */
  readonly legend?: boolean;
  /**
   * `full`: every optimizer state tensor and update node. `folded`: one update node per
   * parameter, its state (momentum, Adam moments, step counter) folded into the label.
   * Default: folded in the joint view, full in the backward view.
   */
  readonly optimizer?: 'full' | 'folded';
  /**
   * How labels are spelled in the DOT text: `plain` (default) renders with every Graphviz
   * (system `dot`, graphviz-cli/viz.js); `html` adds bold titles and small grey shapes, which
   * only a full Graphviz draws (chainrule's own SVG rendering uses it).
   */
  readonly labels?: LabelMarkup;
  /** Lecture names of tensors (spec `"label"`s, rendered): drawn instead of the spec names. */
  readonly names?: Labels;
  /**
   * The loss head: `simplified` (default) draws softmax + cross-entropy as one step, ∂L/∂o =
   * (p − onehot(y))/n, as `explain` writes it; `naive` draws the chain the autodiff pass emits
   * (−y⊘(n·p) into ∂L/∂p, then ·J_softmax(o)).
   */
  readonly head?: 'simplified' | 'naive';
  /**
   * Shape labels: `numbers` (default, `[B,128]`) or `letters`, the lecture's: n for the batch,
   * d for an input's features, p for the model output's, h for a hidden layer's (h₁, h₂, … when
   * there are several), in forward order (see `dimensionLetters`).
   */
  readonly shapes?: 'numbers' | 'letters';
}

/** A DOT edge plus what it means, so tests and the legend need not parse attributes back. */
export interface DiagramEdge extends DotEdge {
  readonly kind: EdgeKind;
  /** A gradient edge's chain-rule factor as its label prints it (`·W⁽²⁾ᵀ`, `(p − onehot(y))/n`), for tooltips. */
  readonly factor?: string;
}

export interface Diagram {
  readonly document: DotDocument;
  readonly kinds: ReadonlyMap<string, NodeKind>;
  readonly edges: readonly DiagramEdge[];
}

/** Everything the view-building functions need to know about the graph, computed once. */
interface Context {
  readonly graph: Graph;
  readonly view: DiagramView;
  readonly byId: ReadonlyMap<number, Node>;
  readonly kind: ReadonlyMap<number, NodeKind>;
  readonly readers: ReadonlyMap<number, readonly Node[]>;
  readonly shown: ReadonlySet<number>;
  readonly folded: boolean;
  /** Joint view: node id → the value whose rank it shares (its own, for forward values). */
  readonly anchor: ReadonlyMap<number, number>;
  /** The DOT id of a node (its unique name). */
  readonly id: NameOf;
  /** The printed name of a node: its label, else its name. */
  readonly name: NameOf;
  readonly nodeOf: NodeOf;
  /** Simplified head: the head's formula and the gradient node it feeds, hidden nodes removed from `shown`. */
  readonly head: Head | undefined;
  /** The backward nodes the simplified head skips (∂L/∂p). */
  readonly hidden: ReadonlySet<number>;
  /** A node's shape as drawn (numbers or the lecture's letters). */
  readonly shape: (id: number) => string;
}

const FORWARD_ROLES: ReadonlySet<Role> = new Set(['input', 'target', 'param', 'forward', 'loss']);
/** Nodes holding a gradient: the seed ∂L/∂L, gradients and fan-in sums. */
const GRADIENT_KINDS: ReadonlySet<NodeKind> = new Set(['seed', 'grad', 'sum']);
const BACKWARD_KINDS: ReadonlySet<NodeKind> = new Set([...GRADIENT_KINDS, 'update']);

export function forwardDot(graph: Graph, options: DiagramOptions = {}): string {
  return viewDot(graph, 'forward', options);
}

export function backwardDot(graph: Graph, options: DiagramOptions = {}): string {
  return viewDot(graph, 'backward', options);
}

export function jointDot(graph: Graph, options: DiagramOptions = {}): string {
  return viewDot(graph, 'joint', options);
}

export function viewDot(graph: Graph, view: DiagramView, options: DiagramOptions = {}): string {
  return writeDot(buildDiagram(graph, view, options).document, options.labels ?? 'plain');
}

/** True when the graph has a backward part (it was differentiated), so a backward view exists. */
export function hasBackward(graph: Graph): boolean {
  return graph.nodes.some((n) => n.role === 'backward');
}

function kindOf(node: Node, outputs: ReadonlySet<number>): NodeKind {
  switch (node.role) {
    case 'input':
    case 'target':
    case 'param':
    case 'state':
    case 'loss':
    case 'update':
      return node.role;
    case 'const':
      return 'seed';
    case 'forward':
      return outputs.has(node.id) ? 'output' : 'forward';
    case 'backward':
      return node.op === 'fill' ? 'seed' : node.op === 'add' ? 'sum' : 'grad';
    default:
      return assertNever(node.role, 'role');
  }
}

/** Optimizer state and the updates of that state: drawn only when the optimizer is not folded. */
function isOptimizerState(node: Node, kind: ReadonlyMap<number, NodeKind>): boolean {
  return (
    node.role === 'state' ||
    (node.role === 'update' && node.assigns !== undefined && kind.get(node.assigns) === 'state')
  );
}

/** Which nodes a view draws. The backward view keeps the loss and the parameters it updates. */
function shownIds(graph: Graph, view: DiagramView, kind: ReadonlyMap<number, NodeKind>, folded: boolean): Set<number> {
  const drawn = graph.nodes.filter((n) => !(folded && isOptimizerState(n, kind)));
  switch (view) {
    case 'joint':
      return new Set(drawn.map((n) => n.id));
    case 'backprop':
      return new Set(
        drawn
          .filter((n) => FORWARD_ROLES.has(n.role) || GRADIENT_KINDS.has(kind.get(n.id) ?? 'forward'))
          .map((n) => n.id),
      );
    case 'forward':
      return new Set(drawn.filter((n) => FORWARD_ROLES.has(n.role)).map((n) => n.id));
    case 'backward': {
      const back = drawn.filter((n) => BACKWARD_KINDS.has(kind.get(n.id) ?? 'forward') || n.role === 'state');
      const linked = back.flatMap((n) => [n.grad?.of, n.assigns]).filter((id): id is number => id !== undefined);
      const loss = back.length > 0 && graph.loss !== undefined ? [graph.loss] : [];
      const ids = new Set([...back.map((n) => n.id), ...loss]);
      for (const id of linked) if (kind.get(id) === 'param' || kind.get(id) === 'loss') ids.add(id);
      return ids;
    }
    default:
      return assertNever(view, 'view');
  }
}

function context(graph: Graph, view: DiagramView, options: DiagramOptions): Context {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const outputs = new Set(graph.outputs);
  const kind = new Map(graph.nodes.map((n) => [n.id, kindOf(n, outputs)]));
  const readers = new Map<number, Node[]>();
  for (const n of graph.nodes) for (const i of new Set(n.inputs)) readers.set(i, [...(readers.get(i) ?? []), n]);
  const folded = (options.optimizer ?? (view === 'joint' ? 'folded' : 'full')) === 'folded';
  const shown = shownIds(graph, view, kind, folded);
  const id: NameOf = (i) => byId.get(i)?.name ?? `%${i}`;
  const label = labelled(options.names);
  const name: NameOf = (i) => label(id(i));
  const { head, hidden } =
    options.head === 'naive' ? { head: undefined, hidden: new Set<number>() } : simplifiedHead(graph, label, shown);
  const anchor = view === 'joint' || view === 'backprop' ? anchors(graph, kind, shown) : new Map<number, number>();
  const letters = options.shapes === 'letters' ? dimensionLetters(graph) : undefined;
  const shape = (i: number): string => {
    const n = byId.get(i);
    if (n === undefined) return '[]';
    const lettered = letters?.get(n.grad?.of ?? n.id);
    return lettered !== undefined && lettered.length === n.type.shape.length
      ? `[${lettered.join(',')}]`
      : shapeText(n.type.shape);
  };
  return {
    graph,
    view,
    byId,
    kind,
    readers,
    shown,
    folded,
    anchor,
    id,
    name,
    nodeOf: (i) => byId.get(i),
    head,
    hidden,
    shape,
  };
}

/**
 * The closed-form loss head (softmax + cross-entropy → (p − y)/n), when it skips backward
 * nodes: those (∂L/∂p) are removed from `shown`, and the head's gradient is drawn straight
 * from the seed with the formula on its edge.
 */
function simplifiedHead(
  graph: Graph,
  label: (name: string) => string,
  shown: Set<number>,
): { head: Head | undefined; hidden: Set<number> } {
  const hidden = new Set<number>();
  const head = findHead(graph, nodeIndex(graph), label);
  if (head === undefined || head.tensor === head.pred.id) return { head: undefined, hidden };
  for (const n of graph.nodes)
    if (n.role === 'backward' && n.op !== 'fill' && n.grad?.of === head.pred.id && shown.has(n.id)) hidden.add(n.id);
  for (const id of hidden) shown.delete(id);
  return { head: hidden.size > 0 ? head : undefined, hidden };
}

const SUBSCRIPT_DIGITS = '₀₁₂₃₄₅₆₇₈₉';

/**
 * The lecture's letters for every forward tensor's dimensions (gradients use their tensor's):
 * the batch is n; the feature axis of an input is d (d₁, d₂, … for several inputs); the axis of
 * the model's (first) output, and of the loss input, is p; every other axis that a layer makes
 * is a hidden width h (h₁, h₂, … in forward order when there are several). Elementwise and row
 * ops keep their operand's letter; a weight is [its layer's input, its layer's output], a bias
 * [its layer's output].
 */
export function dimensionLetters(graph: Graph): Map<number, readonly string[]> {
  const axis = new Map<number, number>();
  let classes = 0;
  const inputs: number[] = [];
  const hidden: number[] = [];
  for (const n of graph.nodes) {
    if (n.role === 'input') {
      axis.set(n.id, classes);
      inputs.push(classes++);
    } else if (n.role === 'forward') {
      const inherited = axis.get(n.inputs[0] ?? -1);
      if (n.inputs.length > 0 && inherited !== undefined && n.type.shape.length === 2 && !isLayer(n))
        axis.set(n.id, inherited);
      else {
        axis.set(n.id, classes);
        hidden.push(classes++);
      }
    }
  }
  const lossInput = graph.loss === undefined ? undefined : graph.nodes.find((n) => n.id === graph.loss)?.inputs[0];
  const outputClass = axis.get(graph.outputs[0] ?? lossInput ?? -1);
  const numbered = (letter: string, list: readonly number[], c: number): string =>
    list.length === 1
      ? letter
      : `${letter}${[...String(list.indexOf(c) + 1)].map((d) => SUBSCRIPT_DIGITS[Number(d)]).join('')}`;
  const hiddenOnly = hidden.filter((c) => c !== outputClass);
  const letterOf = (c: number): string =>
    inputs.includes(c) ? numbered('d', inputs, c) : c === outputClass ? 'p' : numbered('h', hiddenOnly, c);
  const out = new Map<number, readonly string[]>();
  for (const n of graph.nodes) {
    const c = axis.get(n.id);
    if (c !== undefined && n.type.shape.length === 2) out.set(n.id, ['n', letterOf(c)]);
    else if (c !== undefined && n.type.shape.length === 1 && n.role !== 'forward') out.set(n.id, ['n']);
    if (n.role === 'target') out.set(n.id, n.type.shape.length === 1 ? ['n'] : ['n', letterOf(outputClass ?? -1)]);
    if (n.role === 'loss') out.set(n.id, []);
    if (isLayer(n)) {
      const [x = -1, w = -1, b = -1] = n.inputs;
      const [from, to] = [axis.get(x), axis.get(n.id)];
      if (from !== undefined && to !== undefined) {
        out.set(w, [letterOf(from), letterOf(to)]);
        out.set(b, [letterOf(to)]);
      }
    }
  }
  return out;
}

function isLayer(n: Node): boolean {
  return defOf(n).group === 'layer';
}

/**
 * Joint view: a gradient shares the rank of the value it differentiates, so the backward pass
 * mirrors the forward pass column by column. Updates stay free: ranked after their gradient,
 * each parameter's gradient → update → parameter loop is a small local triangle.
 */
function anchors(graph: Graph, kind: ReadonlyMap<number, NodeKind>, shown: ReadonlySet<number>): Map<number, number> {
  const anchor = new Map<number, number>();
  for (const n of graph.nodes) {
    if (!shown.has(n.id)) continue;
    const of = GRADIENT_KINDS.has(kind.get(n.id) ?? 'forward') ? n.grad?.of : undefined;
    anchor.set(n.id, of !== undefined && shown.has(of) ? of : n.id);
  }
  return anchor;
}

/** A value carrying a gradient: a backward node or the seed. */
function carriesGradient(ctx: Context, id: number): boolean {
  return GRADIENT_KINDS.has(ctx.kind.get(id) ?? 'forward');
}

/** The input of a backward node that carries the incoming gradient (the others are saved forward values). */
function gradientInput(ctx: Context, node: Node): Node | undefined {
  const id = node.inputs.find((i) => carriesGradient(ctx, i));
  return id === undefined ? undefined : ctx.byId.get(id);
}

/**
 * `∂L/∂h`, or `∂L/∂h via fc2` for one of several contributions that a Σ node adds up into ∂L/∂h.
 */
function gradientName(ctx: Context, node: Node): string {
  const of = node.grad?.of;
  if (of === undefined) return node.name;
  const title = gradTitle(ctx.name(of));
  const summed = (ctx.readers.get(node.id) ?? []).some(
    (r) => r.op === 'add' && r.role === 'backward' && r.grad?.of === of,
  );
  if (!summed) return title;
  const via = gradientInput(ctx, node)?.grad?.of;
  return via === undefined || via === of ? title : `${title} via ${ctx.name(via)}`;
}

/** A bold title over smaller subtitle lines (`\n` separates them). */
function twoLine(title: string, subtitle: string): NodeAttrs {
  const lines = subtitle.split('\n').map(escapeHtml).join('<BR/>');
  return {
    label: html(`<B>${escapeHtml(title)}</B><BR/><FONT POINT-SIZE="9">${lines}</FONT>`, `${title}\n${subtitle}`),
  };
}

function nodeLabel(ctx: Context, node: Node, kind: NodeKind): NodeAttrs {
  const shape = ctx.shape(node.id);
  const title = ctx.name(node.id);
  switch (kind) {
    case 'input':
    case 'target':
    case 'param':
    case 'state':
      return twoLine(title, `${forwardFormula(node, ctx.name)} ${shape}`);
    case 'forward':
    case 'loss':
      return twoLine(title, forwardFormula(node, ctx.name));
    case 'output':
      return twoLine(title, `${forwardFormula(node, ctx.name)} → output`);
    case 'seed':
      return twoLine(`${gradTitle('L')} = 1`, 'seed of the backward pass');
    case 'grad':
      return twoLine(
        gradientName(ctx, node),
        isHeadGradient(ctx, node) ? (ctx.head?.note ?? '') : backwardOpText(node),
      );
    case 'sum': {
      const of = node.grad?.of;
      const title = of === undefined ? node.name : gradTitle(ctx.name(of));
      const markup = `<FONT POINT-SIZE="16">Σ</FONT><BR/><FONT POINT-SIZE="9">${escapeHtml(title)}</FONT>`;
      return { label: html(markup, `Σ\n${title}`) };
    }
    case 'update': {
      const target = node.assigns === undefined ? node.name : ctx.name(node.assigns);
      const formula = ctx.folded
        ? foldedUpdateFormula(node, ctx.name, ctx.nodeOf)
        : updateFormula(node, ctx.name, ctx.nodeOf);
      return twoLine(`${target} ←`, formula ?? node.op);
    }
    default:
      return assertNever(kind, 'node kind');
  }
}

function dotNode(ctx: Context, node: Node): DotNode {
  const kind = ctx.kind.get(node.id) ?? 'forward';
  const tooltip = `%${node.id} ${node.name}: ${node.type.dtype}${shapeText(node.type.shape)} = ${node.op}`;
  return { id: node.name, attrs: { ...nodeAttrs(kind), ...nodeLabel(ctx, node, kind), tooltip } };
}

/** An edge label with the factor on top and the tensor's shape below, smaller and grey. */
function factorLabel(factor: string, shape: string): EdgeAttrs {
  const markup = `${escapeHtml(factor)}<BR/><FONT POINT-SIZE="8" COLOR="#757575">${escapeHtml(shape)}</FONT>`;
  return { label: html(markup, `${factor}\n${shape}`) };
}

function edge(ctx: Context, from: number, to: number, kind: EdgeKind, extra: EdgeAttrs): DiagramEdge {
  return { from: ctx.id(from), to: ctx.id(to), kind, attrs: { ...edgeAttrs(kind), ...extra } };
}

/** The gradient node of the simplified head (∂L/∂o = (p − y)/n), drawn straight from the seed. */
function isHeadGradient(ctx: Context, node: Node): boolean {
  return ctx.head !== undefined && node.inputs.some((i) => ctx.hidden.has(i));
}

/**
 * The local chain-rule factor of a backward node, as the label of its incoming gradient edge;
 * tensor names in it (`·o.weightᵀ`) are written with their labels (`·W⁽²⁾ᵀ`).
 */
function localFactor(ctx: Context, node: Node): string {
  // Each contribution into a fan-in sum is added as is.
  if (node.op === 'add') return '+';
  const factor = node.grad?.factor ?? '';
  if (factor === '') return '·1';
  const byName = idsByName(ctx.graph);
  return renameTensors(factor, (word) => {
    const id = byName.get(word);
    return id === undefined ? undefined : ctx.name(id);
  });
}

/** Node name → id, built once per graph (not once per backward node: that was quadratic). */
function idsByName(graph: Graph): ReadonlyMap<string, number> {
  let map = idsByNameCache.get(graph.nodes);
  if (map === undefined) {
    map = new Map(graph.nodes.map((n) => [n.name, n.id]));
    idsByNameCache.set(graph.nodes, map);
  }
  return map;
}

const idsByNameCache = new WeakMap<readonly Node[], ReadonlyMap<string, number>>();

function forwardEdges(ctx: Context, node: Node): DiagramEdge[] {
  return node.inputs
    .filter((i) => ctx.shown.has(i))
    .map((i) => edge(ctx, i, node.id, 'forward', { label: ctx.shape(i) }));
}

/**
 * The forward values a gradient node reads (`x` in `xᵀ·δ`, `z` in `σ'(z)`, `W` in `δ·Wᵀ`): what
 * backprop must remember from the forward pass. The seed starts from the loss instead.
 */
function savedEdges(ctx: Context, node: Node): DiagramEdge[] {
  const of = node.grad?.of;
  if (ctx.kind.get(node.id) === 'seed')
    return of !== undefined && ctx.shown.has(of) ? [edge(ctx, of, node.id, 'backward', { label: 'seed' })] : [];
  const head = ctx.head;
  // (p − y)/n reads the prediction and the target (the hidden ∂L/∂p read them).
  const reads = isHeadGradient(ctx, node) && head !== undefined ? [head.pred.id, head.target.id] : node.inputs;
  return [...new Set(reads)]
    .filter((i) => !carriesGradient(ctx, i) && ctx.shown.has(i))
    .map((i) => edge(ctx, i, node.id, 'saved', {}));
}

/** The simplified head's one edge: from the seed, labelled with the closed form. */
function headEdges(ctx: Context, node: Node): DiagramEdge[] {
  const seed = ctx.graph.nodes.find((n) => ctx.kind.get(n.id) === 'seed' && ctx.shown.has(n.id));
  if (seed === undefined || ctx.head === undefined) return [];
  const formula = ctx.head.formula;
  return [{ ...edge(ctx, seed.id, node.id, 'backward', factorLabel(formula, ctx.shape(node.id))), factor: formula }];
}

function backwardEdges(ctx: Context, node: Node): DiagramEdge[] {
  const edges = isHeadGradient(ctx, node)
    ? headEdges(ctx, node)
    : node.inputs
        .filter((i) => carriesGradient(ctx, i) && ctx.shown.has(i))
        .map((i) => {
          const factor = localFactor(ctx, node);
          return { ...edge(ctx, i, node.id, 'backward', factorLabel(factor, ctx.shape(i))), factor };
        });
  const of = node.grad?.of;
  if (ctx.view === 'backprop') return [...edges, ...savedEdges(ctx, node)];
  if (of === undefined || !ctx.shown.has(of)) return edges;
  // The seed starts at the loss itself; every other gradient is tied to the value it differentiates.
  if (ctx.kind.get(node.id) === 'seed') return [edge(ctx, of, node.id, 'backward', { label: 'seed' }), ...edges];
  return [...edges, edge(ctx, node.id, of, 'tie', { constraint: false })];
}

/**
 * The drawn nodes an update reads through `id`: `id` itself when drawn, else (folded optimizer
 * state) the gradients that reach it through hidden update nodes.
 */
function drawnSources(ctx: Context, id: number): number[] {
  if (ctx.shown.has(id)) return [id];
  const node = ctx.byId.get(id);
  if (node?.role !== 'update') return [];
  return node.inputs.filter((i) => i !== node.assigns).flatMap((i) => drawnSources(ctx, i));
}

function updateEdges(ctx: Context, node: Node): DiagramEdge[] {
  const edges: DiagramEdge[] = [];
  const seen = new Set<number>();
  node.inputs.forEach((input, slot) => {
    // The assign edge already closes the loop to the updated leaf, and the Adam step counter is
    // shared by every update: its edges would only cross the whole diagram.
    if (input === node.assigns || ctx.byId.get(input)?.op === 'step_increment') return;
    for (const from of drawnSources(ctx, input)) {
      if (seen.has(from)) continue;
      seen.add(from);
      const symbol = from === input ? updateSymbol(node, slot, ctx.nodeOf) : 'g';
      edges.push(edge(ctx, from, node.id, 'update', { label: symbol }));
    }
  });
  if (node.assigns !== undefined && ctx.shown.has(node.assigns)) {
    edges.push(edge(ctx, node.id, node.assigns, 'assign', {}));
  }
  return edges;
}

function nodeEdges(ctx: Context, node: Node): DiagramEdge[] {
  switch (ctx.kind.get(node.id)) {
    case 'forward':
    case 'output':
    case 'loss':
      return forwardEdges(ctx, node);
    case 'seed':
    case 'grad':
    case 'sum':
      return backwardEdges(ctx, node);
    case 'update':
      return updateEdges(ctx, node);
    default:
      return [];
  }
}

/** Joint view: the rank groups of `anchors` that hold more than the value itself. */
function rankGroups(ctx: Context): string[][] {
  const groups = new Map<number, number[]>();
  for (const [id, anchor] of ctx.anchor) groups.set(anchor, [...(groups.get(anchor) ?? []), id]);
  return [...groups.values()].filter((ids) => ids.length > 1).map((ids) => ids.map(ctx.id));
}

function clusters(ctx: Context, kernels: ReadonlyMap<number, string> | undefined): DotCluster[] {
  if (kernels === undefined) return [];
  const members = new Map<string, string[]>();
  for (const n of ctx.graph.nodes) {
    const kernel = kernels.get(n.id);
    if (kernel !== undefined && ctx.shown.has(n.id)) members.set(kernel, [...(members.get(kernel) ?? []), n.name]);
  }
  return [...members].map(([kernel, nodes]) => ({
    id: `kernel ${kernel}`,
    attrs: { label: `kernel ${kernel}`, style: 'rounded,dashed', color: '#607d8b', fontcolor: '#455a64', fontsize: 10 },
    nodes,
  }));
}

const VIEW_TITLE: Readonly<Record<DiagramView, string>> = {
  forward: 'forward graph',
  backward: 'backward graph (chain rule)',
  joint: 'forward (blue) and backward (red)',
  backprop: 'backpropagation: forward (blue), backward (red), remembered values (grey)',
};

/** Explanations the legend adds for what the node labels abbreviate. */
function legendNotes(ctx: Context, options: DiagramOptions): string[] {
  const kernels = options.kernels;
  const ops = new Set(ctx.graph.nodes.filter((n) => ctx.shown.has(n.id)).map((n) => n.op));
  const notes: string[] = [];
  if (options.shapes === 'letters') {
    const used = new Set([...dimensionLetters(ctx.graph).values()].flat());
    const words: [string, string][] = [
      ['n', 'the batch rows'],
      ['d', 'input features'],
      ['h', 'hidden units'],
      ['p', 'outputs'],
    ];
    const present = words.filter(([l]) => [...used].some((u) => u.startsWith(l)));
    notes.push(`Shapes: ${present.map(([l, w]) => `${l} = ${w}`).join(', ')}; a weight is [in, out].`);
  }
  if (ops.has('adam_update')) {
    notes.push('Adam: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), where m, v are running means of g and g² and t counts the steps.');
  }
  if (ctx.folded && ctx.graph.nodes.some((n) => n.role === 'state')) {
    notes.push(
      'Optimizer state (moments, velocities, step counter) is folded into the update nodes; the backward view draws it.',
    );
  }
  if (clusters(ctx, kernels).length > 0) {
    notes.push(
      'A dashed box is one fused kernel: the function k_<name> of the generated code computes everything inside it.',
    );
  }
  return notes;
}

/** Forward: one chain left to right; backward: top to bottom; joint views: the lecture's bottom-up figure. */
function defaultRankdir(view: DiagramView): 'LR' | 'TB' | 'BT' {
  switch (view) {
    case 'forward':
      return 'LR';
    case 'backward':
      return 'TB';
    case 'joint':
    case 'backprop':
      return 'BT';
    default:
      return assertNever(view, 'view');
  }
}

/** The diagram of one view of a graph: the DOT document plus each node's and edge's kind. */
export function buildDiagram(graph: Graph, view: DiagramView, options: DiagramOptions = {}): Diagram {
  const ctx = context(graph, view, options);
  const shownNodes = graph.nodes.filter((n) => ctx.shown.has(n.id));
  const edges = shownNodes.flatMap((n) => nodeEdges(ctx, n));
  const kinds = new Map(shownNodes.map((n) => [n.name, ctx.kind.get(n.id) ?? 'forward']));
  const title = `${graph.name} — ${VIEW_TITLE[view]}`;
  const legend: GraphAttrs =
    options.legend === false
      ? {}
      : {
          label: legendLabel(
            title,
            new Set(kinds.values()),
            new Set(edges.map((e) => e.kind)),
            legendNotes(ctx, options),
            options.shapes === 'letters',
          ),
          labelloc: 'b',
          labeljust: 'l',
        };
  const document: DotDocument = {
    name: `${graph.name}.${view}`,
    comments: [`chainrule: ${view} diagram of '${graph.name}' (generated, deterministic)`],
    graph: {
      rankdir: options.rankdir ?? defaultRankdir(view),
      newrank: true,
      nodesep: 0.3,
      ranksep: 0.5,
      bgcolor: 'white',
      pad: 0.2,
      fontname: FONT,
      fontsize: 11,
      ...legend,
    },
    nodeDefaults: { fontname: FONT, fontsize: 11, margin: '0.1,0.04', penwidth: 1.2 },
    edgeDefaults: { fontname: FONT, fontsize: 9, arrowsize: 0.7 },
    nodes: shownNodes.map((n) => dotNode(ctx, n)),
    edges,
    clusters: clusters(ctx, options.kernels),
    sameRank: rankGroups(ctx),
  };
  return { document, kinds, edges };
}
