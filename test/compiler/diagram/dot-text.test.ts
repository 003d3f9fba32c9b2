// DOT syntax: quoting and HTML escaping survive Graphviz, the test reader reads back what the
// writer wrote, and the writer refuses what Graphviz would silently draw differently.
import { describe, expect, it } from 'vitest';
import {
  type DotDocument,
  documentProblems,
  escapeHtml,
  html,
  htmlProblem,
  quoteDot,
  writeDot,
} from '../../../compiler/diagram/dot-text.js';
import { DotReadError, plainText, readDot } from '../../support/read-dot.js';
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

describe('checks before writing', () => {
  it('passes what the writer writes, every value read back as written', () => {
    expect(documentProblems(doc())).toEqual([]);
    // The HTML spelling is what full Graphviz reads; the plain spelling has no markup at all.
    const read = readDot(writeDot(doc(), 'html'));
    expect(read.assignments.filter((a) => a.value.html).map((a) => htmlProblem(a.value.text))).toEqual([undefined]);
    expect(readDot(writeDot(doc())).assignments.filter((a) => a.value.html)).toEqual([]);
  });

  it('writes booleans and numbers as Graphviz reads them', () => {
    const text = writeDot(
      doc({ graph: { newrank: true, nodesep: 0.3 }, edges: [{ from: 'b', to: 'c', attrs: { constraint: false } }] }),
    );
    expect(text).toContain('  newrank="true";\n  nodesep=0.3;');
    expect(text).toContain('"b" -> "c" [constraint="false"];');
  });

  it('refuses bad colours, non-finite numbers and malformed HTML labels, naming the element', () => {
    const bad = doc({
      nodes: [
        { id: 'a', attrs: { label: html('<B>x</I>', 'x'), color: '#12345' } },
        { id: 'b', attrs: { fontsize: Number.NaN, label: html('<FONT COLOR="reddish">r</FONT>', 'r') } },
        { id: 'c', attrs: {} },
      ],
      edges: [],
    });
    expect(documentProblems(bad)).toEqual([
      "node 'a' label: </I> does not close the open tag",
      "node 'a' color: '#12345' is not a colour (#rrggbb)",
      "node 'b' fontsize: fontsize=NaN is not a finite number",
      "node 'b' label: <FONT>: 'reddish' is not a colour (#rrggbb)",
    ]);
    expect(() => writeDot(bad)).toThrow(/^internal: diagram 'test' would not be drawn as written:\n {2}node 'a' label/);
  });

  it('reports malformed HTML labels', () => {
    expect(htmlProblem('<B>x</I>')).toBe('</I> does not close the open tag');
    expect(htmlProblem('<B>x')).toBe('<B> is never closed');
    expect(htmlProblem('<BLINK>x</BLINK>')).toBe('unknown HTML tag <BLINK>');
    expect(htmlProblem('a & b')).toBe('a bare & in label text (write &amp;)');
    expect(htmlProblem('a > b')).toBe('a bare < or > in label text (write &lt; or &gt;)');
    expect(htmlProblem('<B>a &amp; b</B><BR/><FONT COLOR="#757575">[B,4]</FONT>')).toBeUndefined();
  });

  it('refuses undeclared or duplicate nodes and nodes in two clusters or rank groups', () => {
    const bad = doc({
      nodes: [
        { id: 'a', attrs: {} },
        { id: 'a', attrs: {} },
        { id: 'b', attrs: {} },
      ],
      edges: [{ from: 'a', to: 'ghost', attrs: {} }],
      clusters: [
        { id: 'k0', attrs: {}, nodes: ['a'] },
        { id: 'k1', attrs: {}, nodes: ['a', 'phantom'] },
      ],
      sameRank: [['a', 'b'], ['b']],
    });
    expect(documentProblems(bad)).toEqual([
      "node 'a' is declared twice",
      "edge 'a' -> 'ghost': 'ghost' is not a declared node",
      "'a' is in two clusters",
      "cluster member 'phantom' is not a declared node",
      "'b' is in two rank groups",
    ]);
    expect(() => writeDot(bad)).toThrow(/internal: diagram 'test'/);
  });

  it('turns a Graphviz syntax error into a located message', async () => {
    await expect(renderSvg('digraph { a -> }')).rejects.toThrow(GraphvizError);
    await expect(renderSvg('digraph {\n  a -> b [label=<x>\n  c -> }\n')).rejects.toThrow(/line \d+/);
  });
});
