// The diagram files `chainrule compile` writes next to the generated module: DOT text (a
// deterministic baseline, plain labels any Graphviz renders) and its SVG rendering, for the forward and the backward graph.
import { buildDiagram, type DiagramOptions, type DiagramView, hasBackward } from '../../compiler/diagram/dot.js';
import { writeDot } from '../../compiler/diagram/dot-text.js';
import type { Graph } from '../../compiler/ir/types.js';
import { renderSvg } from './svg.js';

export type DiagramFileName =
  | 'forward.dot'
  | 'forward.svg'
  | 'backward.dot'
  | 'backward.svg'
  | 'joint.dot'
  | 'joint.svg'
  | 'backprop.dot'
  | 'backprop.svg';

export interface DiagramFilesOptions extends DiagramOptions {
  /** Also write the joint view (forward and backward side by side). Default false. */
  readonly joint?: boolean;
  /** Told about each view whose SVG was not drawn because it has more than `MAX_SVG_NODES` nodes. */
  readonly onSkip?: (skipped: SkippedDiagram) => void;
}

/**
 * Views with more nodes than this get a placeholder SVG instead of a layout (their `.dot` is
 * still written). Graphviz's `dot` layout grows faster than linearly: a 1,609-node backward view
 * took 5.4 s where 809 nodes took 0.7 s, and a few thousand nodes can overflow its stack.
 */
export const MAX_SVG_NODES = 1000;

/** A view drawn as a placeholder: too many nodes to lay out in-process. */
export interface SkippedDiagram {
  readonly view: DiagramView;
  readonly nodes: number;
  /** One line for the user: what was skipped and how to draw it anyway. */
  readonly message: string;
}

/**
 * File name → contents: `forward.dot`/`.svg` always; `backward.dot`/`.svg` when `graph` was
 * differentiated (the joint training graph); `joint.dot`/`.svg` on request. Same graph, same bytes.
 * @example
 *   const files = await diagramFiles(trainingGraphResult.graph);
 *   for (const [name, text] of Object.entries(files)) writeFileSync(join(outDir, name), text);
 */
export async function diagramFiles(
  graph: Graph,
  options: DiagramFilesOptions = {},
): Promise<Partial<Record<DiagramFileName, string>>> {
  const backward = hasBackward(graph);
  const views: DiagramView[] = ['forward'];
  if (backward) views.push('backward');
  if (backward && options.joint === true) views.push('joint');
  const files: Partial<Record<DiagramFileName, string>> = {};
  for (const view of views) {
    // The .dot file renders with any Graphviz; the SVG is drawn from the HTML-labelled spelling.
    const { document } = buildDiagram(graph, view, options);
    files[`${view}.dot`] = writeDot(document, 'plain');
    const nodes = document.nodes.length;
    if (nodes > MAX_SVG_NODES) {
      const skipped = skippedDiagram(view, nodes);
      options.onSkip?.(skipped);
      files[`${view}.svg`] = placeholderSvg(skipped.message);
    } else {
      files[`${view}.svg`] = await renderSvg(writeDot(document, 'html'));
    }
  }
  return files;
}

function skippedDiagram(view: DiagramView, nodes: number): SkippedDiagram {
  return {
    view,
    nodes,
    message: `${view}.svg not drawn: the ${view} view has ${nodes.toLocaleString('en-US')} nodes, more than the ${MAX_SVG_NODES.toLocaleString('en-US')} laid out in-process; render ${view}.dot with Graphviz (dot -Tsvg ${view}.dot -o ${view}.svg) or draw a smaller spec`,
  };
}

/** A small SVG that says why the diagram is missing (one line per clause of the message). */
function placeholderSvg(message: string): string {
  const lines = message.split('; ').map((line) => line.replaceAll('&', '&amp;').replaceAll('<', '&lt;'));
  const height = 20 + 18 * lines.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${height}" viewBox="0 0 760 ${height}">`,
    `  <rect width="760" height="${height}" fill="white"/>`,
    ...lines.map(
      (line, i) =>
        `  <text x="10" y="${24 + 18 * i}" font-family="DejaVu Sans,Arial,Helvetica,sans-serif" font-size="12">${line}</text>`,
    ),
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Node id → kernel name, so the diagrams draw each fused kernel as a cluster. Optimizer updates
 * fused into a gradient kernel (`trainStep`'s variant) are drawn inside it too.
 */
export function kernelClusters(graph: Graph): ReadonlyMap<number, string> {
  return new Map(
    (graph.kernels ?? []).flatMap((k) => [...k.nodes, ...(k.updates ?? [])].map((id) => [id, k.name] as const)),
  );
}
