// Spec text → everything the studio page shows about it: the diagnostics of `chainrule check`,
// the forward/backward/joint diagrams as SVG (edges carrying ids the page hovers), the equations
// of `chainrule explain`, and for each tensor the chain-rule path a click highlights. The same
// front end, pipeline and diagram code as the CLI, so the page and the terminal never disagree.
import { formatDiagnostic, type Diagnostic } from '../../compiler/diagnostics.js';
import { buildDiagram, type DiagramView } from '../../compiler/diagram/dot.js';
import { type DotDocument, writeDot } from '../../compiler/diagram/dot-text.js';
import { shapeText } from '../../compiler/diagram/labels.js';
import { explainGraph } from '../../compiler/explain/equations.js';
import type { Graph, Node } from '../../compiler/ir/types.js';
import { trainingGraph } from '../../compiler/passes/pipeline.js';
import { summarize } from '../cli/commands/check.js';
import { sortByLocation, tokenLength } from '../cli/format.js';
import { locate } from '../frontend/check.js';
import { loadSpecText } from '../frontend/load.js';
import { renderSvg } from '../render/svg.js';
import type { Analysis, ChainStep, StudioDiagnostic, StudioDiagram, StudioEdge, TensorPath } from './protocol.js';

/** Checks `text` as `chainrule check FILE` would, and draws and explains it when it is valid. */
export async function analyzeSpec(text: string, file: string): Promise<Analysis> {
  const loaded = loadSpecText(text, file, { dtype: 'f32' });
  if (!loaded.ok) return { ok: false, diagnostics: studioDiagnostics([...loaded.errors, ...loaded.warnings], text) };
  const warnings = studioDiagnostics(loaded.warnings, text);
  const base = {
    name: loaded.spec.name,
    summary: summarize(loaded.graph, loaded.spec.nodes.length),
    params: loaded.graph.nodes
      .filter((n) => n.role === 'param')
      .map((n) => ({ name: n.name, shape: n.type.shape.map((d) => (typeof d === 'number' ? d : 1)) })),
  };
  const forward = await drawView(loaded.graph, 'forward');
  if (loaded.spec.loss === undefined) {
    return { ok: true, diagnostics: warnings, ...base, forward, note: 'the spec has no loss, so no backward graph' };
  }
  const joint = trainingGraph(loaded);
  if (!joint.ok) {
    const errors = studioDiagnostics(locate(joint.errors, loaded.locations), text);
    return { ok: false, diagnostics: [...errors, ...warnings] };
  }
  const equations = explainGraph(joint.graph);
  return {
    ok: true,
    diagnostics: warnings,
    ...base,
    forward,
    backward: await drawView(joint.graph, 'backward'),
    joint: await drawView(joint.graph, 'joint'),
    equations,
    paths: tensorPaths(joint.graph, equationLines(equations), gradientFactors(joint.graph)),
  };
}

/** Diagnostics in file order, each with the text `chainrule check` prints and its editor range. */
export function studioDiagnostics(diagnostics: readonly Diagnostic[], text: string): StudioDiagnostic[] {
  const lines = text.split('\n');
  return sortByLocation(diagnostics).map((d) => {
    const line = d.loc === undefined ? undefined : lines[d.loc.line - 1];
    return {
      severity: d.severity ?? 'error',
      text: formatDiagnostic(d),
      message: d.message,
      ...(d.hint === undefined ? {} : { hint: d.hint }),
      ...(d.node === undefined ? {} : { node: d.node }),
      ...(d.loc === undefined
        ? {}
        : {
            line: d.loc.line,
            col: d.loc.col,
            length: line === undefined ? 1 : tokenLength(line.replace(/\r$/, ''), d.loc.col - 1),
          }),
    };
  });
}

/** One view as SVG; every edge gets a DOT `id` (`backward_e3`) and a tooltip with its shape and factor. */
async function drawView(graph: Graph, view: DiagramView): Promise<StudioDiagram> {
  // Optimizer state folded into one update per parameter: the page is about the chain rule.
  const diagram = buildDiagram(graph, view, { legend: false, optimizer: 'folded' });
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const edges: StudioEdge[] = diagram.edges.map((e, i) => {
    const from = byName.get(e.from);
    const shape = from === undefined ? '' : shapeText(from.type.shape);
    const factor = e.factor ?? '';
    return { id: `${view}_e${i}`, from: e.from, to: e.to, kind: e.kind, shape, factor };
  });
  const document: DotDocument = {
    ...diagram.document,
    edges: diagram.edges.map((e, i) => {
      const info = edges[i]!;
      const tooltip = info.factor === '' ? `${e.from} → ${e.to}  ${info.shape}` : `${info.factor}  ${info.shape}`;
      return { ...e, attrs: { ...e.attrs, id: info.id, tooltip } };
    }),
  };
  // The HTML spelling of the labels (bold titles, small shapes): our Graphviz draws it.
  const svg = await renderSvg(writeDot(document, 'html'));
  return { svg, edges, kinds: Object.fromEntries(diagram.kinds) };
}

/**
 * The chain-rule factor of each drawn gradient node, by node name, as the backward diagram labels
 * its incoming gradient edge: with the simplified head, ∂L/∂o is `(p − onehot(y))/n` and the
 * skipped ∂L/∂p node has none. The chain panel lists exactly these, so it matches the diagram.
 */
export function gradientFactors(graph: Graph): Map<string, string> {
  const diagram = buildDiagram(graph, 'backward', { legend: false, optimizer: 'folded' });
  const out = new Map<string, string>();
  for (const e of diagram.edges) if (e.factor !== undefined) out.set(e.to, e.factor);
  return out;
}

/** `∂L/∂NAME = …` lines of the explain text, by NAME. */
export function equationLines(explain: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of explain.split('\n')) {
    const line = raw.trim();
    const m = /^∂L\/∂(\S+) = /.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], line);
  }
  return out;
}

const GRADIENT_ROLES = new Set(['backward', 'const']);
const FORWARD_ROLES = new Set(['forward', 'loss']);

/**
 * For each forward tensor and parameter: the forward nodes from it to the loss and the backward
 * nodes from the seed to its gradient (the chain rule's path), keyed by the tensor's name and by
 * the name of each of its gradient nodes, so a click on either shows the same path.
 */
export function tensorPaths(
  graph: Graph,
  equations: ReadonlyMap<string, string>,
  factors: ReadonlyMap<string, string>,
): Record<string, TensorPath> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const readers = new Map<number, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const out: Record<string, TensorPath> = {};
  for (const tensor of graph.nodes) {
    if (tensor.role !== 'param' && tensor.role !== 'forward' && tensor.role !== 'input') continue;
    const grads = graph.nodes.filter((n) => GRADIENT_ROLES.has(n.role) && n.grad?.of === tensor.id);
    if (grads.length === 0) continue;
    const forward = new Set<number>([tensor.id]);
    for (const n of graph.nodes) {
      if (FORWARD_ROLES.has(n.role) && n.inputs.some((i) => forward.has(i))) forward.add(n.id);
    }
    const backward = new Set<number>();
    const visit = (id: number): void => {
      const n = byId.get(id);
      if (n === undefined || backward.has(id) || !GRADIENT_ROLES.has(n.role)) return;
      backward.add(id);
      for (const i of n.inputs) visit(i);
    };
    for (const g of grads) visit(g.id);
    const chain: ChainStep[] = graph.nodes
      .filter((n) => backward.has(n.id) && n.role === 'backward' && factors.has(n.name))
      .map((n) => ({ node: n.name, factor: factors.get(n.name)! }));
    const ordered = graph.nodes.filter((n) => forward.has(n.id) || backward.has(n.id)).map((n) => n.name);
    const path: TensorPath = { tensor: tensor.name, equation: equations.get(tensor.name) ?? '', nodes: ordered, chain };
    out[tensor.name] = path;
    for (const g of grads) out[g.name] = path;
  }
  return out;
}
