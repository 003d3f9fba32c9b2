// The diagram files `chainrule compile` writes next to the generated module: DOT text (a
// deterministic baseline, plain labels any Graphviz renders) and its SVG rendering, for the forward and the backward graph.
import { type DiagramOptions, type DiagramView, hasBackward, viewDot } from '../../compiler/diagram/dot.js';
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
    files[`${view}.dot`] = viewDot(graph, view, { ...options, labels: 'plain' });
    files[`${view}.svg`] = await renderSvg(viewDot(graph, view, { ...options, labels: 'html' }));
  }
  return files;
}
