// DOT → SVG in-process with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz): no system
// Graphviz, no network, after `npm ci`.
//
// NOTE: engine choice (timings in docs/diagrams.md): speed is a wash with graphviz-cli (viz.js);
// hpcc wins on output: viz.js's build (Graphviz 5.0) has no HTML-like labels and lacks the
// DejaVu Sans metrics of Graphviz 16.1 that make boxes fit the text resvg draws. Neither engine
// reports Graphviz *warnings* (both only throw on errors), so chainrule's DOT writer
// (compiler/diagram/dot-text.ts) checks what Graphviz would warn about before it writes.
import type { Graphviz } from '@hpcc-js/wasm-graphviz';

let engine: Promise<Graphviz> | undefined;

/** The Graphviz engine, loaded once per process (the WebAssembly module is ~1 MB). */
function graphviz(): Promise<Graphviz> {
  // Imported on first use, so commands and programs that draw nothing never load it.
  engine ??= import('@hpcc-js/wasm-graphviz').then(({ Graphviz }) => Graphviz.load());
  return engine;
}

/** Graphviz rejected the DOT. */
export class GraphvizError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphvizError';
  }
}

/** `line N` of Graphviz's syntax errors, with the offending DOT line quoted for context. */
function explainSyntaxError(message: string, dot: string): string {
  const match = /line (\d+)/.exec(message);
  const line = match?.[1] === undefined ? undefined : dot.split('\n')[Number(match[1]) - 1];
  const context = line === undefined ? '' : `\n  ${match?.[1]} | ${line.trim()}`;
  return `Graphviz could not read the DOT: ${message.trim()}${context}`;
}

/** Lets viewers without DejaVu Sans (the font Graphviz measured the text with) fall back to a narrower sans. */
function widenFontFamily(svg: string): string {
  return svg.replaceAll('font-family="DejaVu Sans"', 'font-family="DejaVu Sans,Arial,Helvetica,sans-serif"');
}

/**
 * Lays out `dot` with Graphviz's `dot` engine and returns the SVG text.
 * @example
 *   const svg = await renderSvg('digraph { a -> b }');
 */
export async function renderSvg(dot: string): Promise<string> {
  const gv = await graphviz();
  let svg: string;
  try {
    svg = gv.layout(dot, 'svg', 'dot');
  } catch (err) {
    throw new GraphvizError(explainSyntaxError(err instanceof Error ? err.message : String(err), dot));
  }
  if (!svg.includes('<svg')) throw new GraphvizError('Graphviz produced no SVG for this DOT (empty graph?)');
  return widenFontFamily(svg);
}

/** Graphviz's layout as JSON (node and label positions), for checks such as label overlaps. */
export async function layoutJson(dot: string): Promise<string> {
  const gv = await graphviz();
  try {
    return gv.layout(dot, 'json', 'dot');
  } catch (err) {
    throw new GraphvizError(explainSyntaxError(err instanceof Error ? err.message : String(err), dot));
  }
}
