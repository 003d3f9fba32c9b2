// Checks DOT text for what Graphviz would warn about and then silently draw differently: unknown
// shapes, styles, colours and arrowheads, malformed HTML-like labels, edges or rank groups naming
// nodes that were never declared (drawn as bare ellipses), a node in two rank groups. Needed
// because the in-process Graphviz builds only report errors, never warnings.
import { DotReadError, readDot } from './read-dot.js';

const SHAPES = new Set(
  (
    'box polygon ellipse oval circle point egg triangle plaintext plain diamond trapezium parallelogram house ' +
    'pentagon hexagon septagon octagon doublecircle doubleoctagon tripleoctagon invtriangle invtrapezium ' +
    'invhouse Mdiamond Msquare Mcircle rect rectangle square star none underline cylinder note tab folder box3d ' +
    'component promoter cds terminator utr record Mrecord rarrow larrow'
  ).split(' '),
);
const STYLES = new Set(
  'filled invisible invis diagonals rounded dashed dotted solid bold striped wedged radial tapered'.split(' '),
);
const ARROWS = new Set(
  'normal inv dot invdot odot invodot none tee empty invempty diamond odiamond ediamond crow box obox open halfopen vee'.split(
    ' ',
  ),
);
const CHOICES: Readonly<Record<string, ReadonlySet<string>>> = {
  rankdir: new Set(['TB', 'LR', 'BT', 'RL']),
  labelloc: new Set(['t', 'b', 'c']),
  labeljust: new Set(['l', 'r', 'c']),
  dir: new Set(['forward', 'back', 'both', 'none']),
  constraint: new Set(['true', 'false']),
  newrank: new Set(['true', 'false']),
  rank: new Set(['same', 'min', 'max', 'source', 'sink']),
};
const COLOR_KEYS = new Set(['color', 'fillcolor', 'fontcolor', 'bgcolor', 'pencolor', 'labelfontcolor']);
const NAMED_COLOR = /^(white|black|none|transparent|gr[ae]y\d{0,3}|red|blue|green|orange|purple)$/i;
const HEX_COLOR = /^#[0-9a-f]{6}([0-9a-f]{2})?$/i;
const HTML_TAGS = new Set([
  'TABLE',
  'TR',
  'TD',
  'FONT',
  'B',
  'I',
  'U',
  'O',
  'S',
  'BR',
  'SUB',
  'SUP',
  'HR',
  'VR',
  'IMG',
]);
const VOID_TAGS = new Set(['BR', 'HR', 'VR', 'IMG']);

function validColor(value: string): boolean {
  return value.split(':').every((part) => {
    const c = part.split(';')[0] ?? '';
    return HEX_COLOR.test(c) || NAMED_COLOR.test(c);
  });
}

/** A problem with one plain `key=value`, or undefined. */
function attrProblem(key: string, value: string): string | undefined {
  if (key === 'shape' && !SHAPES.has(value)) return `unknown shape '${value}' (Graphviz would draw a box)`;
  if (key === 'style') {
    const bad = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => !STYLES.has(s));
    if (bad.length > 0) return `unknown style '${bad.join(',')}' (Graphviz ignores it)`;
  }
  if ((key === 'arrowhead' || key === 'arrowtail') && !ARROWS.has(value)) return `unknown arrow '${value}'`;
  if (COLOR_KEYS.has(key) && !validColor(value)) return `'${value}' is not a known colour for ${key}`;
  const choices = CHOICES[key];
  if (choices !== undefined && !choices.has(value)) return `${key}=${value} is not one of ${[...choices].join(', ')}`;
  return undefined;
}

/** Well-formedness of an HTML-like label: known tags, balanced, `&` only in entities. */
export function htmlProblem(markup: string): string | undefined {
  const stack: string[] = [];
  for (const m of markup.matchAll(/<(\/?)([A-Za-z]+)([^>]*?)(\/?)>/g)) {
    const [, closing, rawTag, , selfClosing] = m;
    const tag = (rawTag ?? '').toUpperCase();
    if (!HTML_TAGS.has(tag)) return `unknown HTML tag <${rawTag}>`;
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

/** Every problem in `dot`, each prefixed with its line; empty when Graphviz draws it as written. */
export function dotWarnings(dot: string): string[] {
  let read: ReturnType<typeof readDot>;
  try {
    read = readDot(dot);
  } catch (err) {
    if (err instanceof DotReadError) return [err.message];
    throw err;
  }
  const problems: string[] = [];
  for (const { key, value } of read.assignments) {
    const problem = value.html ? htmlProblem(value.text) : attrProblem(key, value.text);
    if (problem !== undefined) problems.push(`line ${value.line}: ${problem}`);
  }
  const declared = (id: string): boolean => (read.nodes.get(id)?.attrs.size ?? 0) > 0;
  for (const e of read.edges) {
    for (const id of [e.from, e.to]) {
      if (!declared(id))
        problems.push(
          `line ${e.line}: edge endpoint '${id}' is not a declared node (it would be drawn as a bare ellipse)`,
        );
    }
  }
  const rankOf = new Map<string, number>();
  for (const group of read.sameRank) {
    for (const id of group.nodes) {
      const seen = rankOf.get(id);
      if (seen !== undefined) problems.push(`line ${group.line}: '${id}' is already in the rank group of line ${seen}`);
      if (!declared(id)) problems.push(`line ${group.line}: rank group member '${id}' is not a declared node`);
      rankOf.set(id, group.line);
    }
  }
  return problems;
}
