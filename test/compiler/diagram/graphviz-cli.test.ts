// The .dot files chainrule writes render in any Graphviz with every label's text intact: each
// view of each example goes through graphviz-cli (viz.js, which drops HTML-like labels) and, when
// it is installed, the system `dot`; every line of every node, edge and legend label must come
// out as SVG text, and no edge may fall back to its `tail->head` id.
import { execFileSync } from 'node:child_process';
import { renderGraphFromSource } from 'graphviz-cli';
import { describe, expect, it } from 'vitest';
import { buildDiagram, type DiagramView } from '../../../compiler/diagram/dot.js';
import { type Label, writeDot } from '../../../compiler/diagram/dot-text.js';
import { exampleSpecs, learnSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';

const views: readonly DiagramView[] = ['forward', 'backward', 'joint', 'backprop'];

// Specs with a loss (the softmax-only step of docs/learn.md has nothing to differentiate).
const examples = [...exampleSpecs(), ...learnSpecs()]
  .filter(([, spec]) => spec.loss !== undefined)
  .map(([name, spec]) => ({
    name,
    graph: compileSpec(spec, { dtype: 'f32' }).joint,
  }));

function labelText(value: Label | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.text;
}

/** Every label line a view writes: node titles and formulas, edge factors and shapes, the legend. */
function expectedLines(graph: (typeof examples)[number]['graph'], view: DiagramView): { dot: string; lines: string[] } {
  const { document } = buildDiagram(graph, view);
  const labels = [
    document.graph['label'],
    ...document.nodes.map((n) => n.attrs['label']),
    ...document.edges.map((e) => e.attrs['label']),
  ];
  const lines = labels.flatMap((l) => labelText(l).split('\n')).filter((l) => l.trim() !== '');
  return { dot: writeDot(document), lines };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

/** The text of every `<text>` element of an SVG. */
function svgTexts(svg: string): Set<string> {
  return new Set([...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeEntities(m[1] ?? '')));
}

/** Runs of spaces come out as no-break spaces in some Graphviz builds: compare words, not spacing. */
const words = (text: string): string => text.replace(/[\s\u00a0]+/g, ' ').trim();

function missing(svg: string, lines: readonly string[]): string[] {
  const texts = new Set([...svgTexts(svg)].map(words));
  return lines.filter((l) => !texts.has(words(l)));
}

const systemDot = (() => {
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('DOT files render in any Graphviz', () => {
  it.each(examples)('$name: graphviz-cli draws every label line of every view', async ({ graph }) => {
    for (const view of views) {
      const { dot, lines } = expectedLines(graph, view);
      expect(lines.length, view).toBeGreaterThan(5);
      const svg = await renderGraphFromSource({ input: dot }, { format: 'svg' });
      expect(missing(svg, lines), `${view}: label lines missing from graphviz-cli's SVG`).toEqual([]);
      expect(
        [...svgTexts(svg)].filter((t) => t.endsWith('->')),
        `${view}: edge ids drawn instead of labels`,
      ).toEqual([]);
    }
  });

  it.skipIf(!systemDot).each(examples)('$name: system dot draws every label line of every view', ({ graph }) => {
    for (const view of views) {
      const { dot, lines } = expectedLines(graph, view);
      const svg = execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
      expect(missing(svg, lines), `${view}: label lines missing from dot's SVG`).toEqual([]);
    }
  });
});
