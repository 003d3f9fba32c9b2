// DOT syntax: quoting and HTML escaping survive Graphviz, the reader reads back what the writer
// wrote, and the lint reports what Graphviz would silently draw differently.
import { describe, expect, it } from 'vitest';
import { type DotDocument, escapeHtml, html, quoteDot, writeDot } from '../../../compiler/diagram/dot-text.js';
import { dotWarnings, htmlProblem } from '../../../compiler/diagram/lint-dot.js';
import { DotReadError, plainText, readDot } from '../../../compiler/diagram/read-dot.js';
import { GraphvizError, renderSvg } from '../../../src/render/svg.js';

const awkward = 'd(fc1) "quoted" \\ back\\slash ∂L/∂W ⊙σ\'(z) ·W2ᵀ <tag> & co';

function doc(overrides: Partial<DotDocument> = {}): DotDocument {
  return {
    name: 'test',
    comments: ['a comment'],
    graph: { rankdir: 'LR' },
    nodeDefaults: { shape: 'box' },
    edgeDefaults: {},
    nodes: [
      { id: awkward, attrs: { label: awkward } },
      { id: 'b', attrs: { label: html(`<B>${escapeHtml(awkward)}</B><BR/>two`, `${awkward}\ntwo`) } },
      { id: 'c', attrs: { label: 'c', style: 'rounded,filled' } },
    ],
    edges: [{ from: awkward, to: 'b', attrs: { label: 'e1', color: '#c62828' } }],
    clusters: [{ id: 'kernel k0', attrs: { label: 'kernel k0' }, nodes: ['c'] }],
    sameRank: [['b', 'c']],
    ...overrides,
  };
}

describe('writing and reading DOT', () => {
  it('quotes ids and labels so any name round-trips', () => {
    expect(quoteDot('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(escapeHtml('<a & "b">')).toBe('&lt;a &amp; &quot;b&quot;&gt;');
    const read = readDot(writeDot(doc()));
    expect([...read.nodes.keys()].sort()).toEqual([awkward.replaceAll('\\', '\\\\'), 'b', 'c'].sort());
    // Both spellings of a label carry the same text.
    expect(plainText(read.nodes.get('b')?.attrs.get('label'))).toBe(`${awkward}\ntwo`);
    expect(read.nodes.get('b')?.attrs.get('label')?.html).toBe(false);
    const rich = readDot(writeDot(doc(), 'html')).nodes.get('b')?.attrs.get('label');
    expect([plainText(rich), rich?.html]).toEqual([`${awkward}\ntwo`, true]);
    expect(read.edges.map((e) => [e.to, plainText(e.attrs.get('label'))])).toEqual([['b', 'e1']]);
    expect(read.clusters.map((c) => [c.id, c.nodes])).toEqual([['cluster_kernel k0', ['c']]]);
    expect(read.sameRank.map((g) => g.nodes)).toEqual([['b', 'c']]);
    expect(read.graph.get('rankdir')?.text).toBe('LR');
  });

  it('writes left-justified plain lines with a closing \\l', () => {
    const left = doc({ graph: { label: html('<B>t</B>', 'title\nsecond "line"', 'left') } });
    expect(writeDot(left)).toContain('label="title\\lsecond \\"line\\"\\l";');
  });

  it('is the same text every time', () => {
    expect(writeDot(doc())).toBe(writeDot(doc()));
  });

  it('Graphviz draws the escaped text verbatim', async () => {
    const svg = await renderSvg(writeDot(doc()));
    // SVG escapes <, >, & and quotes; the unicode and backslashes arrive untouched.
    expect(svg).toContain('∂L/∂W ⊙σ&#39;(z) ·W2ᵀ &lt;tag&gt; &amp; co');
    expect(svg).toContain('back\\slash');
  });

  it('reports a syntax error with its line', () => {
    expect(() => readDot('digraph {\n  a -> ;\n}')).toThrow(DotReadError);
    expect(() => readDot('digraph {\n  a -> ;\n}')).toThrow(/line 2/);
    expect(() => readDot('digraph { a [label="open }')).toThrow(/unterminated quoted string/);
    expect(() => readDot('digraph {\n  edge;\n}')).toThrow(
      "line 2: 'edge' must be followed by an attribute list [...]",
    );
  });
});

describe('lint', () => {
  it('passes what the writer writes', () => {
    expect(dotWarnings(writeDot(doc()))).toEqual([]);
  });

  it('reports unknown shapes, styles, colours, arrows and choices', () => {
    const warnings = dotWarnings(
      'digraph {\n a [label="a", shape=blob, style="filled,wobbly", color="nonsense"];\n b [label="b"];\n a -> b [arrowhead=spear, constraint=maybe];\n}',
    );
    expect(warnings).toEqual([
      "line 2: unknown shape 'blob' (Graphviz would draw a box)",
      "line 2: unknown style 'wobbly' (Graphviz ignores it)",
      "line 2: 'nonsense' is not a known colour for color",
      "line 4: unknown arrow 'spear'",
      'line 4: constraint=maybe is not one of true, false',
    ]);
  });

  it('reports malformed HTML labels', () => {
    expect(htmlProblem('<B>x</I>')).toBe('</I> does not close the open tag');
    expect(htmlProblem('<B>x')).toBe('<B> is never closed');
    expect(htmlProblem('<BLINK>x</BLINK>')).toBe('unknown HTML tag <BLINK>');
    expect(htmlProblem('a & b')).toBe('a bare & in label text (write &amp;)');
    expect(htmlProblem('<B>a &amp; b</B><BR/><FONT COLOR="#757575">[B,4]</FONT>')).toBeUndefined();
  });

  it('reports undeclared nodes and nodes in two rank groups', () => {
    const warnings = dotWarnings('digraph {\n a [label="a"];\n a -> ghost;\n { rank=same; a; }\n { rank=same; a; }\n}');
    expect(warnings).toContain(
      "line 3: edge endpoint 'ghost' is not a declared node (it would be drawn as a bare ellipse)",
    );
    expect(warnings).toContain("line 5: 'a' is already in the rank group of line 4");
  });

  it('makes renderSvg fail loudly unless a warning handler is given', async () => {
    const bad = 'digraph { a [label="a", shape=blob]; }';
    await expect(renderSvg(bad)).rejects.toThrow(GraphvizError);
    const seen: string[] = [];
    const svg = await renderSvg(bad, { onWarning: (w) => seen.push(w) });
    expect(seen).toEqual(["line 1: unknown shape 'blob' (Graphviz would draw a box)"]);
    expect(svg).toContain('</svg>');
  });

  it('turns a Graphviz syntax error into a located message', async () => {
    await expect(renderSvg('digraph {\n  a -> b [label=<x>\n  c -> }\n')).rejects.toThrow(/line \d+/);
  });
});
