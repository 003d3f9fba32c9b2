// Each example's SVG rasterizes to a PNG that is really a picture of the graph: the requested
// width, a sensible aspect, not blank, blue edges in the forward view, red in the backward view.
import { describe, expect, it } from 'vitest';
import { viewDot } from '../../../compiler/diagram/dot.js';
import { renderPng } from '../../../src/render/png.js';
import { renderSvg } from '../../../src/render/svg.js';
import { exampleSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { decodePng, pixelStats } from './support.js';

const examples = [...exampleSpecs()].map(([name, spec]) => ({
  name,
  graph: compileSpec(spec, { dtype: 'f32' }).joint,
}));

describe('PNG', () => {
  it.each(examples)('$name: forward, backward and joint views rasterize to non-trivial images', async ({ graph }) => {
    const stats = new Map<string, ReturnType<typeof pixelStats>>();
    for (const view of ['forward', 'backward', 'joint'] as const) {
      const image = decodePng(renderPng(await renderSvg(viewDot(graph, view, { labels: 'html' })), { width: 2400 }));
      expect(image.width).toBe(2400);
      expect(image.height).toBeGreaterThan(300);
      expect(image.height).toBeLessThan(2400);
      const s = pixelStats(image);
      // Not blank, not a solid block: nodes, edges and text cover a few percent of the canvas.
      expect(s.nonWhite / s.total, view).toBeGreaterThan(0.03);
      expect(s.nonWhite / s.total, view).toBeLessThan(0.5);
      stats.set(view, s);
    }
    expect(stats.get('forward')?.blue).toBeGreaterThan(500);
    expect(stats.get('forward')?.red).toBe(0);
    // Gradient edges only (optimizer edges are purple): wide views scale them down to thin lines.
    expect(stats.get('backward')?.red).toBeGreaterThan(40);
    expect(stats.get('backward')?.blue).toBe(0);
    expect(stats.get('joint')?.red).toBeGreaterThan(40);
    expect(stats.get('joint')?.blue).toBeGreaterThan(500);
  });

  it('text is drawn: a label-only graph is not blank, an empty one is', async () => {
    const text = pixelStats(
      decodePng(renderPng(await renderSvg('digraph { a [shape=plaintext, label="∂L/∂W1 = xᵀ·δ"]; }'))),
    );
    expect(text.nonWhite).toBeGreaterThan(50);
    const empty = pixelStats(decodePng(renderPng(await renderSvg('digraph { a [shape=plaintext, label=""]; }'))));
    expect(empty.nonWhite).toBe(0);
  });
});
