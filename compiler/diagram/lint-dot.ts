// Checks DOT text for what Graphviz would warn about and then silently draw differently: unknown
// shapes, styles, colours and arrowheads, malformed HTML-like labels, edges to undeclared nodes, a
// node in two rank groups. Needed because the in-process Graphviz builds only report errors.
// This reads the DOT subset chainrule writes (one statement per line is not assumed).

type Token =
  | { readonly kind: 'id'; readonly text: string; readonly line: number }
  | { readonly kind: 'html'; readonly text: string; readonly line: number }
  | { readonly kind: 'punct'; readonly text: string; readonly line: number };

const SHAPES = new Set(
  (
    'box polygon ellipse oval circle point egg triangle plaintext plain diamond trapezium parallelogram house ' +
    'pentagon hexagon septagon octagon doublecircle doubleoctagon tripleoctagon invtriangle invtrapezium ' +
    'invhouse Mdiamond Msquare Mcircle rect rectangle square star none underline cylinder note tab folder box3d ' +
    'component promoter cds terminator utr record Mrecord rarrow larrow'
  ).split(' '),
);
const STYLES = new Set('filled invisible invis diagonals rounded dashed dotted solid bold striped wedged radial tapered'.split(' '));
const ARROWS = new Set('normal inv dot invdot odot invodot none tee empty invempty diamond odiamond ediamond crow box obox open halfopen vee'.split(' '));
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
const HTML_TAGS = new Set(['TABLE', 'TR', 'TD', 'FONT', 'B', 'I', 'U', 'O', 'S', 'BR', 'SUB', 'SUP', 'HR', 'VR', 'IMG']);
const VOID_TAGS = new Set(['BR', 'HR', 'VR', 'IMG']);

/** Splits DOT into identifiers (quoted or bare), HTML strings and punctuation, dropping comments. */
function tokenize(dot: string): Token[] | string {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < dot.length) {
    const c = dot[i] ?? '';
    if (c === '\n') line++;
    if (/\s/.test(c)) {
      i++;
    } else if (dot.startsWith('//', i) || (c === '#' && (i === 0 || dot[i - 1] === '\n'))) {
      while (i < dot.length && dot[i] !== '\n') i++;
    } else if (dot.startsWith('/*', i)) {
      const end = dot.indexOf('*/', i + 2);
      if (end < 0) return `line ${line}: unterminated /* comment`;
      line += (dot.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < dot.length && dot[j] !== '"') {
        if (dot[j] === '\\' && j + 1 < dot.length) text += dot[j++];
        text += dot[j++];
      }
      if (j >= dot.length) return `line ${line}: unterminated quoted string`;
      tokens.push({ kind: 'id', text, line });
      line += (text.match(/\n/g) ?? []).length;
      i = j + 1;
    } else if (c === '<') {
      let depth = 0;
      let j = i;
      for (; j < dot.length; j++) {
        if (dot[j] === '<') depth++;
        if (dot[j] === '>' && --depth === 0) break;
      }
      if (j >= dot.length) return `line ${line}: unterminated HTML-like label`;
      tokens.push({ kind: 'html', text: dot.slice(i + 1, j), line });
      line += (dot.slice(i, j).match(/\n/g) ?? []).length;
      i = j + 1;
    } else if (dot.startsWith('->', i) || dot.startsWith('--', i)) {
      tokens.push({ kind: 'punct', text: dot.slice(i, i + 2), line });
      i += 2;
    } else if ('[]{};,=:'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      const m = /^-?[A-Za-z0-9_.\u0080-\uffff]+/.exec(dot.slice(i));
      if (m === null) return `line ${line}: unexpected character '${c}'`;
      tokens.push({ kind: 'id', text: m[0], line });
      i += m[0].length;
    }
  }
  return tokens;
}

function validColor(value: string): boolean {
  return value.split(':').every((c) => HEX_COLOR.test(c.split(';')[0] ?? '') || NAMED_COLOR.test(c.split(';')[0] ?? ''));
}

/** A problem with one `key=value`, or undefined. HTML values are checked by `htmlProblem`. */
function attrProblem(key: string, value: string): string | undefined {
  if (key === 'shape' && !SHAPES.has(value)) return `unknown shape '${value}' (Graphviz would draw a box)`;
  if (key === 'style') {
    const bad = value.split(',').map((s) => s.trim()).filter((s) => !STYLES.has(s));
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
  if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);)/.test(text)) return 'a bare & in label text (write &amp;)';
  return undefined;
}

/** Every problem in `dot`, each prefixed with its line number; empty when Graphviz draws it as written. */
export function dotWarnings(dot: string): string[] {
  const tokens = tokenize(dot);
  if (typeof tokens === 'string') return [tokens];
  const problems: string[] = [];
  const declared = new Set<string>();
  const endpoints: { id: string; line: number }[] = [];
  const ranked = new Map<string, number>();
  let inRankSame = false;
  let bracketDepth = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const next = tokens[k + 1];
    const prev = tokens[k - 1];
    if (t === undefined) continue;
    if (t.kind === 'punct') {
      if (t.text === '[') bracketDepth++;
      if (t.text === ']') bracketDepth--;
      if (t.text === '}') inRankSame = false;
      continue;
    }
    if (next?.kind === 'punct' && next.text === '=') {
      const value = tokens[k + 2];
      if (value === undefined) continue;
      const problem = value.kind === 'html' ? htmlProblem(value.text) : attrProblem(t.text, value.text);
      if (problem !== undefined) problems.push(`line ${value.line}: ${problem}`);
      if (t.text === 'rank' && value.text === 'same') inRankSame = true;
      k += 2;
      continue;
    }
    if (t.kind !== 'id' || bracketDepth > 0 || (prev?.kind === 'id' && ['digraph', 'graph', 'subgraph', 'strict'].includes(prev.text))) continue;
    if (['digraph', 'graph', 'subgraph', 'node', 'edge', 'strict'].includes(t.text)) continue;
    const isEdgeEnd = (prev?.kind === 'punct' && prev.text === '->') || (next?.kind === 'punct' && next.text === '->');
    if (isEdgeEnd) endpoints.push({ id: t.text, line: t.line });
    else if (inRankSame) {
      const seen = ranked.get(t.text);
      if (seen !== undefined) problems.push(`line ${t.line}: '${t.text}' is already in the rank group of line ${seen}`);
      ranked.set(t.text, t.line);
    } else declared.add(t.text);
  }
  for (const e of endpoints) {
    if (!declared.has(e.id)) problems.push(`line ${e.line}: edge endpoint '${e.id}' is not a declared node`);
  }
  for (const [id, line] of ranked) {
    if (!declared.has(id)) problems.push(`line ${line}: rank group member '${id}' is not a declared node`);
  }
  return problems;
}
