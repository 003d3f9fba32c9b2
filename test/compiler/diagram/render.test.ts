// Every view of every example (and of a 10-layer net) lays out with Graphviz without a warning,
// draws every node, and no edge label overlaps another label or a node.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DiagramView, viewDot } from '../../../compiler/diagram/dot.js';
import { plainText, readDot } from '../../support/read-dot.js';
import { layoutJson, renderSvg } from '../../../src/render/svg.js';
import { exampleSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { layoutBoxes, overlaps, readView, tenLayerSpec } from './support.js';

const views: readonly DiagramView[] = ['forward', 'backward', 'joint'];
/** chainrule's own SVG is drawn from the HTML-labelled DOT (bold titles, small shapes). */
const rich = { labels: 'html' } as const;

const graphs = [...exampleSpecs(), ['ten_layer', tenLayerSpec()] as const].map(([name, spec]) => ({
  name,
  graph: compileSpec(spec, { dtype: 'f32' }).joint,
}));

describe('rendering', () => {
  it.each(graphs)('$name: each view renders without warnings and draws every node', async ({ graph }) => {
    for (const view of views) {
      const svg = await renderSvg(viewDot(graph, view, rich));
      expect(svg.startsWith('<?xml')).toBe(true);
      for (const id of readView(graph, view).nodes.keys()) {
        const title = id.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
        expect(svg, `${view}: node ${id}`).toContain(`<title>${title}</title>`);
      }
    }
  });

  it.each(graphs)('$name: no edge label overlaps another label or a node', async ({ graph }) => {
    for (const view of views) expect(overlaps(await layoutJson(viewDot(graph, view, rich))), view).toEqual([]);
  });

  it('kernel clusters lay out with the rank groups, without warnings or overlaps', async () => {
    const mnist = graphs.find((g) => g.name === 'mnist_mlp');
    if (mnist === undefined) throw new Error('missing mnist_mlp example');
    const id = (name: string): number => mnist.graph.nodes.find((n) => n.name === name)?.id ?? -1;
    const kernels = new Map([
      [id('fc1'), 'dense_relu_0'],
      [id('h1'), 'dense_relu_0'],
      [id('d(h1)'), 'relu_grad_matmul_1'],
      [id('d(fc1)'), 'relu_grad_matmul_1'],
    ]);
    for (const view of views) {
      const dot = viewDot(mnist.graph, view, { kernels, ...rich });
      const svg = await renderSvg(dot);
      // A view draws the clusters of the nodes it shows: forward ops in one, gradients in the other.
      expect(svg.includes('>kernel dense_relu_0</text>'), view).toBe(view !== 'backward');
      expect(svg.includes('>kernel relu_grad_matmul_1</text>'), view).toBe(view !== 'forward');
      expect(overlaps(await layoutJson(dot)), view).toEqual([]);
    }
  });

  it('the images in docs/ are up to date', async () => {
    const two = graphs.find((g) => g.name === 'two_layer_sigmoid');
    if (two === undefined) throw new Error('missing two_layer_sigmoid example');
    for (const view of views) {
      const file = new URL(`../../../docs/images/two_layer_sigmoid.${view}.svg`, import.meta.url);
      expect(
        await renderSvg(viewDot(two.graph, view, rich)),
        `${file.pathname} is stale: regenerate it (see docs/diagrams.md)`,
      ).toBe(readFileSync(file, 'utf8'));
    }
  });

  it('the overlap check sees every label line and catches a moved label', async () => {
    const two = graphs.find((g) => g.name === 'two_layer_sigmoid');
    if (two === undefined) throw new Error('missing two_layer_sigmoid example');
    const dot = viewDot(two.graph, 'joint', rich);
    const json = await layoutJson(dot);
    const labelled = readDot(dot).edges.filter((e) => plainText(e.attrs.get('label')) !== '');
    const lines = labelled.reduce((n, e) => n + plainText(e.attrs.get('label')).split('\n').length, 0);
    expect(layoutBoxes(json).labels).toHaveLength(lines);
    // Move the first edge label onto the second one: now they overlap.
    const layout: { edges: { _ldraw_?: { op: string; pt?: number[] }[] }[] } = JSON.parse(json);
    const [first, second] = layout.edges.filter((e) => (e._ldraw_ ?? []).some((op) => op.op === 'T'));
    const target = second?._ldraw_?.find((op) => op.op === 'T')?.pt;
    for (const op of first?._ldraw_ ?? []) if (op.op === 'T' && target !== undefined) op.pt = [...target];
    expect(overlaps(JSON.stringify(layout)).length).toBeGreaterThan(0);
  });
});
