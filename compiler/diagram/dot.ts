// Graph → Graphviz DOT, in three views: the forward graph, the backward graph (gradient flow from
// the loss to every parameter, then the optimizer updates) and the joint view (both, every
// gradient drawn on the same rank as the value it differentiates, as in the classic backprop
// figures). Pure and deterministic: DOT ids are node names, never object identity.
import { assertNever, type Graph, type Node, type Role } from '../ir/types.js';
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
   * `LR`: data flows left to right; `TB`: top to bottom. Default: LR for the forward view (one
   * chain); TB for the others: the backward chain fits a page that way, and in the joint and
   * backprop views the forward pass runs down the left, the backward pass up the right, each
   * row one step of both.
   */
  readonly rankdir?: 'LR' | 'TB';
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
}

/** A DOT edge plus what it means, so tests and the legend need not parse attributes back. */
export interface DiagramEdge extends DotEdge {
  readonly kind: EdgeKind;
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
  readonly name: NameOf;
  readonly nodeOf: NodeOf;
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
  const anchor = view === 'joint' || view === 'backprop' ? anchors(graph, kind, shown) : new Map<number, number>();
  const name: NameOf = (id) => byId.get(id)?.name ?? `%${id}`;
  return { graph, view, byId, kind, readers, shown, folded, anchor, name, nodeOf: (id) => byId.get(id) };
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
  const shape = shapeText(node.type.shape);
  switch (kind) {
    case 'input':
    case 'target':
    case 'param':
    case 'state':
      return twoLine(node.name, `${forwardFormula(node, ctx.name)} ${shape}`);
    case 'forward':
    case 'loss':
      return twoLine(node.name, forwardFormula(node, ctx.name));
    case 'output':
      return twoLine(node.name, `${forwardFormula(node, ctx.name)} → output`);
    case 'seed':
      return twoLine(`${gradTitle('L')} = 1`, 'seed of the backward pass');
    case 'grad':
      return twoLine(gradientName(ctx, node), backwardOpText(node));
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
  return { from: ctx.name(from), to: ctx.name(to), kind, attrs: { ...edgeAttrs(kind), ...extra } };
}

/** The local chain-rule factor of a backward node, as the label of its incoming gradient edge. */
function localFactor(node: Node): string {
  // Each contribution into a fan-in sum is added as is.
  if (node.op === 'add') return '+';
  const factor = node.grad?.factor ?? '';
  return factor === '' ? '·1' : factor;
}

function forwardEdges(ctx: Context, node: Node): DiagramEdge[] {
  return node.inputs
    .filter((i) => ctx.shown.has(i))
    .map((i) => edge(ctx, i, node.id, 'forward', { label: shapeText(ctx.byId.get(i)?.type.shape ?? []) }));
}

/**
 * The forward values a gradient node reads (`x` in `xᵀ·δ`, `z` in `σ'(z)`, `W` in `δ·Wᵀ`): what
 * backprop must remember from the forward pass. The seed starts from the loss instead.
 */
function savedEdges(ctx: Context, node: Node): DiagramEdge[] {
  const of = node.grad?.of;
  if (ctx.kind.get(node.id) === 'seed')
    return of !== undefined && ctx.shown.has(of) ? [edge(ctx, of, node.id, 'backward', { label: 'seed' })] : [];
  return [...new Set(node.inputs)]
    .filter((i) => !carriesGradient(ctx, i) && ctx.shown.has(i))
    .map((i) => edge(ctx, i, node.id, 'saved', {}));
}

function backwardEdges(ctx: Context, node: Node): DiagramEdge[] {
  const edges = node.inputs
    .filter((i) => carriesGradient(ctx, i) && ctx.shown.has(i))
    .map((i) =>
      edge(ctx, i, node.id, 'backward', factorLabel(localFactor(node), shapeText(ctx.byId.get(i)?.type.shape ?? []))),
    );
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
  return [...groups.values()].filter((ids) => ids.length > 1).map((ids) => ids.map(ctx.name));
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
function legendNotes(ctx: Context, kernels: ReadonlyMap<number, string> | undefined): string[] {
  const ops = new Set(ctx.graph.nodes.filter((n) => ctx.shown.has(n.id)).map((n) => n.op));
  const notes: string[] = [];
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
            legendNotes(ctx, options.kernels),
          ),
          labelloc: 'b',
          labeljust: 'l',
        };
  const document: DotDocument = {
    name: `${graph.name}.${view}`,
    comments: [`chainrule: ${view} diagram of '${graph.name}' (generated, deterministic)`],
    graph: {
      // The backward chain drawn top to bottom fits a page; only the forward view runs left to right.
      rankdir: options.rankdir ?? (view === 'forward' ? 'LR' : 'TB'),
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
