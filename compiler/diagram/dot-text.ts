// DOT syntax: typed attributes, quoting, HTML-like labels and a small document model written out
// in a fixed order, so the same diagram always produces byte-identical text (the .dot files are
// baselines). Graphviz draws an unknown shape as a box, ignores an unknown style and only warns
// (silently, in the in-process builds) about an edge to an undeclared node: the attribute types
// rule out the first kind of mistake, and `writeDot` checks the rest before writing a byte.

/**
 * A label in two spellings of the same text: `text` (lines separated by `\n`), which every
 * Graphviz draws (system `dot`, graphviz-cli/viz.js, editors' previews), and `html`, already
 * escaped HTML-like markup (bold titles, small grey shapes, colour swatches), which only a full
 * Graphviz draws — viz.js drops it and prints the edge id instead. Files are written with the
 * plain text; chainrule's own SVG uses the markup.
 */
export interface Html {
  readonly html: string;
  readonly text: string;
  /** How the plain lines line up (`left`: each line ends in `\l`). Default centred. */
  readonly justify?: 'left';
}

/** Which spelling of labels to write: `plain` for portable files, `html` for our own renderer. */
export type LabelMarkup = 'plain' | 'html';

export type Shape =
  | 'box'
  | 'ellipse'
  | 'circle'
  | 'point'
  | 'plaintext'
  | 'plain'
  | 'none'
  | 'diamond'
  | 'parallelogram'
  | 'cylinder'
  | 'octagon'
  | 'hexagon'
  | 'note'
  | 'rect';

type StyleWord = 'filled' | 'rounded' | 'dashed' | 'dotted' | 'solid' | 'bold' | 'invis';
/** One to three style words, comma-separated as DOT writes them (`rounded,filled`). */
export type Style = StyleWord | `${StyleWord},${StyleWord}` | `${StyleWord},${StyleWord},${StyleWord}`;

export type ArrowType = 'normal' | 'empty' | 'none' | 'vee' | 'dot' | 'odot' | 'inv' | 'tee' | 'diamond' | 'box';

/** `#rrggbb` or `#rrggbbaa` (checked when written), or one of the few names used. */
export type Color = `#${string}` | 'white' | 'black' | 'none' | 'transparent';

export type Label = string | Html;

/**
 * Attributes every element may carry. Keys are written in the order the object lists them. (Type
 * aliases, not interfaces, so that each set is also a plain key → value record for the writer.)
 */
type CommonAttrs = {
  readonly label?: Label;
  readonly fontname?: string;
  readonly fontsize?: number;
  readonly fontcolor?: Color;
  readonly color?: Color;
  readonly penwidth?: number;
  readonly style?: Style;
  readonly tooltip?: string;
  /** Written into the SVG as CSS classes. */
  readonly class?: string;
  /** Written into the SVG as the element's id (the studio page finds edges by it). */
  readonly id?: string;
};

export type NodeAttrs = CommonAttrs & {
  readonly shape?: Shape;
  readonly fillcolor?: Color;
  readonly peripheries?: number;
  /** Inches, or `x,y` inches. */
  readonly margin?: number | `${number},${number}`;
  readonly width?: number;
  readonly height?: number;
  readonly fixedsize?: boolean;
  readonly xlabel?: Label;
  readonly group?: string;
};

export type EdgeAttrs = CommonAttrs & {
  readonly arrowhead?: ArrowType;
  readonly arrowtail?: ArrowType;
  readonly arrowsize?: number;
  readonly dir?: 'forward' | 'back' | 'both' | 'none';
  /** `false`: the edge does not push its head to a later rank. */
  readonly constraint?: boolean;
  readonly weight?: number;
  readonly minlen?: number;
  readonly headlabel?: Label;
  readonly taillabel?: Label;
  readonly xlabel?: Label;
  readonly labelfontcolor?: Color;
  readonly labelfontsize?: number;
};

export type ClusterAttrs = CommonAttrs & {
  readonly fillcolor?: Color;
  readonly bgcolor?: Color;
  readonly labelloc?: 't' | 'b' | 'c';
  readonly labeljust?: 'l' | 'r' | 'c';
};

export type GraphAttrs = CommonAttrs & {
  readonly rankdir?: 'TB' | 'LR' | 'BT' | 'RL';
  readonly newrank?: boolean;
  readonly compound?: boolean;
  readonly nodesep?: number;
  readonly ranksep?: number;
  readonly bgcolor?: Color;
  readonly pad?: number;
  readonly labelloc?: 't' | 'b' | 'c';
  readonly labeljust?: 'l' | 'r' | 'c';
  readonly splines?: 'true' | 'false' | 'line' | 'polyline' | 'ortho' | 'curved' | 'spline';
  readonly ordering?: 'in' | 'out';
};

export interface DotNode {
  readonly id: string;
  readonly attrs: NodeAttrs;
}

export interface DotEdge {
  readonly from: string;
  readonly to: string;
  readonly attrs: EdgeAttrs;
}

/** A Graphviz cluster (a box drawn around its nodes), e.g. one fused kernel. */
export interface DotCluster {
  readonly id: string;
  readonly attrs: ClusterAttrs;
  readonly nodes: readonly string[];
}

export interface DotDocument {
  readonly name: string;
  /** `//` comment lines at the top of the file. */
  readonly comments: readonly string[];
  readonly graph: GraphAttrs;
  readonly nodeDefaults: NodeAttrs;
  readonly edgeDefaults: EdgeAttrs;
  readonly nodes: readonly DotNode[];
  readonly edges: readonly DotEdge[];
  readonly clusters: readonly DotCluster[];
  /** Groups of node ids laid out on the same rank (column in LR, row in TB). */
  readonly sameRank: readonly (readonly string[])[];
}

type DotValue = string | number | boolean | Html;
/** Any of the attribute sets above, seen as the key → value list it is written as. */
type AnyAttrs = Readonly<Record<string, DotValue | undefined>>;

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

const HTML_TAGS: ReadonlySet<string> = new Set('TABLE TR TD FONT B I U O S BR SUB SUP HR VR IMG'.split(' '));
const VOID_TAGS: ReadonlySet<string> = new Set(['BR', 'HR', 'VR', 'IMG']);
const HEX_COLOR = /^#[0-9a-f]{6}([0-9a-f]{2})?$/i;
const NAMED_COLORS: ReadonlySet<string> = new Set(['white', 'black', 'none', 'transparent']);
const COLOR_KEYS: ReadonlySet<string> = new Set(['color', 'fillcolor', 'fontcolor', 'bgcolor', 'labelfontcolor']);

function colorProblem(value: string): string | undefined {
  return HEX_COLOR.test(value) || NAMED_COLORS.has(value) ? undefined : `'${value}' is not a colour (#rrggbb)`;
}

/**
 * Why Graphviz would not draw an HTML-like label as written (unknown or unbalanced tags, a bare
 * `<`, `>` or `&` in the text, a bad colour), or undefined when it is well formed.
 */
export function htmlProblem(markup: string): string | undefined {
  const stack: string[] = [];
  for (const m of markup.matchAll(/<(\/?)([A-Za-z]+)([^>]*?)(\/?)>/g)) {
    const [, closing, rawTag, attrs, selfClosing] = m;
    const tag = (rawTag ?? '').toUpperCase();
    if (!HTML_TAGS.has(tag)) return `unknown HTML tag <${rawTag}>`;
    for (const c of (attrs ?? '').matchAll(/\b(?:BG)?COLOR="([^"]*)"/gi)) {
      const problem = colorProblem(c[1] ?? '');
      if (problem !== undefined) return `<${rawTag}>: ${problem}`;
    }
    if (selfClosing === '/' || (VOID_TAGS.has(tag) && closing !== '/')) continue;
    if (closing !== '/') stack.push(tag);
    else if (stack.pop() !== tag) return `</${rawTag}> does not close the open tag`;
  }
  if (stack.length > 0) return `<${stack.join('>, <')}> is never closed`;
  const text = markup.replace(/<[^>]*>/g, '');
  if (/[<>]/.test(text)) return 'a bare < or > in label text (write &lt; or &gt;)';
  if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);)/.test(text))
    return 'a bare & in label text (write &amp;)';
  return undefined;
}

function valueProblem(key: string, value: DotValue): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${key}=${value} is not a finite number`;
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'string') return COLOR_KEYS.has(key) ? colorProblem(value) : undefined;
  return htmlProblem(value.html);
}

function attrProblems(where: string, attrs: AnyAttrs): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(attrs)) {
    const problem = value === undefined ? undefined : valueProblem(key, value);
    if (problem !== undefined) problems.push(`${where} ${key}: ${problem}`);
  }
  return problems;
}

/** Ids listed more than once across `groups` (a node belongs to one cluster and one rank group). */
function memberProblems(what: string, groups: readonly (readonly string[])[], declared: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const id of groups.flat()) {
    if (!declared.has(id)) problems.push(`${what} member '${id}' is not a declared node`);
    if (seen.has(id)) problems.push(`'${id}' is in two ${what}s`);
    seen.add(id);
  }
  return problems;
}

/**
 * What Graphviz would draw differently from what the document says: bad colours, malformed
 * HTML-like labels, duplicate node ids, edges or groups naming undeclared nodes (drawn as bare
 * ellipses), a node in two clusters or rank groups. Empty when the document is drawn as written.
 */
export function documentProblems(doc: DotDocument): string[] {
  const problems = [
    ...attrProblems('graph', doc.graph),
    ...attrProblems('node defaults', doc.nodeDefaults),
    ...attrProblems('edge defaults', doc.edgeDefaults),
  ];
  const declared = new Set<string>();
  for (const node of doc.nodes) {
    if (declared.has(node.id)) problems.push(`node '${node.id}' is declared twice`);
    declared.add(node.id);
    problems.push(...attrProblems(`node '${node.id}'`, node.attrs));
  }
  for (const e of doc.edges) {
    for (const id of [e.from, e.to]) {
      if (!declared.has(id)) problems.push(`edge '${e.from}' -> '${e.to}': '${id}' is not a declared node`);
    }
    problems.push(...attrProblems(`edge '${e.from}' -> '${e.to}'`, e.attrs));
  }
  for (const c of doc.clusters) problems.push(...attrProblems(`cluster '${c.id}'`, c.attrs));
  problems.push(
    ...memberProblems(
      'cluster',
      doc.clusters.map((c) => c.nodes),
      declared,
    ),
  );
  problems.push(...memberProblems('rank group', doc.sameRank, declared));
  return problems;
}

/** Left-justified lines: each line ends in DOT's `\l` escape (so a final `\l` too). */
function quoteLeft(text: string): string {
  const lines = text.split('\n').map((l) => l.replaceAll('\\', '\\\\').replaceAll('"', '\\"'));
  return `"${lines.join('\\l')}\\l"`;
}

function writeValue(value: DotValue, markup: LabelMarkup): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return quoteDot(String(value));
  if (typeof value === 'string') return quoteDot(value);
  if (markup === 'html') return `<${value.html}>`;
  return value.justify === 'left' ? quoteLeft(value.text) : quoteDot(value.text);
}

function definedEntries(attrs: AnyAttrs): [string, DotValue][] {
  return Object.entries(attrs).filter((e): e is [string, DotValue] => e[1] !== undefined);
}

export function writeAttrs(attrs: AnyAttrs, markup: LabelMarkup = 'plain'): string {
  const parts = definedEntries(attrs).map(([k, v]) => `${k}=${writeValue(v, markup)}`);
  return parts.length === 0 ? '' : ` [${parts.join(', ')}]`;
}

function writeNode(node: DotNode, indent: string, markup: LabelMarkup): string {
  return `${indent}${quoteDot(node.id)}${writeAttrs(node.attrs, markup)};`;
}

/**
 * The document as DOT text: header, defaults, clusters, free nodes, rank groups, edges. Labels
 * are plain text unless `markup` is `html`. Throws an internal error, and writes nothing, when
 * Graphviz would not draw it as written.
 */
export function writeDot(doc: DotDocument, markup: LabelMarkup = 'plain'): string {
  const problems = documentProblems(doc);
  if (problems.length > 0)
    throw new Error(`internal: diagram '${doc.name}' would not be drawn as written:\n  ${problems.join('\n  ')}`);
  const lines = doc.comments.map((c) => `// ${c}`);
  lines.push(`digraph ${quoteDot(doc.name)} {`);
  for (const [k, v] of definedEntries(doc.graph)) lines.push(`  ${k}=${writeValue(v, markup)};`);
  // DOT needs an attribute list after `node`/`edge`: an empty default is left out.
  const nodeDefaults = writeAttrs(doc.nodeDefaults, markup);
  if (nodeDefaults !== '') lines.push(`  node${nodeDefaults};`);
  const edgeDefaults = writeAttrs(doc.edgeDefaults, markup);
  if (edgeDefaults !== '') lines.push(`  edge${edgeDefaults};`);
  const inCluster = new Set(doc.clusters.flatMap((c) => c.nodes));
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  for (const cluster of doc.clusters) {
    lines.push('', `  subgraph ${quoteDot(`cluster_${cluster.id}`)} {`);
    for (const [k, v] of definedEntries(cluster.attrs)) lines.push(`    ${k}=${writeValue(v, markup)};`);
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
