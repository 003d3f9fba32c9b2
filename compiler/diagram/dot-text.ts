// DOT syntax: quoting, labels and a small document model written out in a fixed order, so the
// same diagram always produces byte-identical text (the .dot files are baselines).
//
// A label carries its text twice: as plain lines, which every Graphviz draws (system `dot`,
// graphviz-cli/viz.js, editors' previews), and as HTML-like markup (bold titles, small grey
// shapes, colour swatches), which only a full Graphviz draws — viz.js drops it and prints the
// edge id instead. Files are written with the plain text; chainrule's own SVG uses the markup.

/** A label in both spellings. `text` is what any Graphviz shows; `html` is already escaped markup. */
export interface Html {
  readonly html: string;
  readonly text: string;
  /** How the plain lines line up (`left`: each line ends in `\l`). Default centred. */
  readonly justify?: 'left';
}

/** Which spelling of labels to write: `plain` for portable files, `html` for our own renderer. */
export type LabelMarkup = 'plain' | 'html';

export type DotValue = string | number | Html;
/** Attributes in the order they are written. */
export type DotAttrs = Readonly<Record<string, DotValue>>;

export interface DotNode {
  readonly id: string;
  readonly attrs: DotAttrs;
}

export interface DotEdge {
  readonly from: string;
  readonly to: string;
  readonly attrs: DotAttrs;
}

/** A Graphviz cluster (a box drawn around its nodes), e.g. one fused kernel. */
export interface DotCluster {
  readonly id: string;
  readonly attrs: DotAttrs;
  readonly nodes: readonly string[];
}

export interface DotDocument {
  readonly name: string;
  /** `//` comment lines at the top of the file. */
  readonly comments: readonly string[];
  readonly graph: DotAttrs;
  readonly nodeDefaults: DotAttrs;
  readonly edgeDefaults: DotAttrs;
  readonly nodes: readonly DotNode[];
  readonly edges: readonly DotEdge[];
  readonly clusters: readonly DotCluster[];
  /** Groups of node ids laid out on the same rank (column in LR, row in TB). */
  readonly sameRank: readonly (readonly string[])[];
}

/** A label: `markup` for full Graphviz, `text` (lines separated by `\n`) for every Graphviz. */
export function html(markup: string, text: string, justify?: 'left'): Html {
  return justify === undefined ? { html: markup, text } : { html: markup, text, justify };
}

/**
 * A DOT double-quoted string. DOT itself only unescapes `\"`, but label text is then read as an
 * escString where `\\` is a backslash and `\n` a line break, so both are escaped here.
 */
export function quoteDot(text: string): string {
  const body = text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replace(/\r?\n/g, '\\n');
  return `"${body}"`;
}

/** Text placed inside an HTML-like label. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** Left-justified lines: each line ends in DOT's `\l` escape (so a final `\l` too). */
function quoteLeft(text: string): string {
  const lines = text.split('\n').map((l) => l.replaceAll('\\', '\\\\').replaceAll('"', '\\"'));
  return `"${lines.join('\\l')}\\l"`;
}

function writeValue(value: DotValue, markup: LabelMarkup): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return quoteDot(value);
  if (markup === 'html') return `<${value.html}>`;
  return value.justify === 'left' ? quoteLeft(value.text) : quoteDot(value.text);
}

export function writeAttrs(attrs: DotAttrs, markup: LabelMarkup = 'plain'): string {
  const parts = Object.entries(attrs).map(([k, v]) => `${k}=${writeValue(v, markup)}`);
  return parts.length === 0 ? '' : ` [${parts.join(', ')}]`;
}

function writeNode(node: DotNode, indent: string, markup: LabelMarkup): string {
  return `${indent}${quoteDot(node.id)}${writeAttrs(node.attrs, markup)};`;
}

/**
 * The document as DOT text: header, defaults, clusters, free nodes, rank groups, edges. Labels
 * are plain text unless `markup` is `html`.
 */
export function writeDot(doc: DotDocument, markup: LabelMarkup = 'plain'): string {
  const lines = doc.comments.map((c) => `// ${c}`);
  lines.push(`digraph ${quoteDot(doc.name)} {`);
  for (const [k, v] of Object.entries(doc.graph)) lines.push(`  ${k}=${writeValue(v, markup)};`);
  // DOT needs an attribute list after `node`/`edge`: an empty default is left out.
  if (Object.keys(doc.nodeDefaults).length > 0) lines.push(`  node${writeAttrs(doc.nodeDefaults, markup)};`);
  if (Object.keys(doc.edgeDefaults).length > 0) lines.push(`  edge${writeAttrs(doc.edgeDefaults, markup)};`);
  const inCluster = new Set(doc.clusters.flatMap((c) => c.nodes));
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  for (const cluster of doc.clusters) {
    lines.push('', `  subgraph ${quoteDot(`cluster_${cluster.id}`)} {`);
    for (const [k, v] of Object.entries(cluster.attrs)) lines.push(`    ${k}=${writeValue(v, markup)};`);
    for (const id of cluster.nodes) {
      const node = byId.get(id);
      if (node !== undefined) lines.push(writeNode(node, '    ', markup));
    }
    lines.push('  }');
  }
  lines.push('');
  for (const node of doc.nodes) if (!inCluster.has(node.id)) lines.push(writeNode(node, '  ', markup));
  if (doc.sameRank.length > 0) lines.push('');
  for (const group of doc.sameRank) lines.push(`  { rank=same; ${group.map((id) => `${quoteDot(id)};`).join(' ')} }`);
  lines.push('');
  for (const e of doc.edges) lines.push(`  ${quoteDot(e.from)} -> ${quoteDot(e.to)}${writeAttrs(e.attrs, markup)};`);
  lines.push('}', '');
  return lines.join('\n');
}
