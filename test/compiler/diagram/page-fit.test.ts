// The two-layer example's backward and backprop views fit a page: rendered 1,400 px wide, the
// chain-rule factor on every gradient edge is at least 11 px high.
import { describe, expect, it } from 'vitest';
import { viewDot } from '../../../compiler/diagram/dot.js';
import { renderPng } from '../../../src/render/png.js';
import { renderSvg } from '../../../src/render/svg.js';
import { exampleSpec } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { decodePng } from './support.js';

const WIDTH = 1400;

/** Font size (pt) of the first text line — the factor — of every gradient edge's label. */
function factorSizes(svg: string): number[] {
  const groups = svg.split('<g id="edge').slice(1);
  return groups
    .filter((g) => /^\d+" class="edge backward"/.test(g))
    .map((g) => Number(/<text[^>]*font-size="([\d.]+)"/.exec(g)?.[1] ?? Number.NaN))
    .filter((size) => !Number.isNaN(size));
}

describe('page fit', () => {
  const graph = compileSpec(exampleSpec('two_layer_sigmoid'), { dtype: 'f32' }).joint;
  it.each(['backward', 'backprop'] as const)('%s view at 1,400 px: factor labels ≥ 11 px high', async (view) => {
    const svg = await renderSvg(viewDot(graph, view, { labels: 'html' }));
    const widthPt = Number(/<svg width="([\d.]+)pt"/.exec(svg)?.[1]);
    const sizes = factorSizes(svg);
    expect(sizes.length).toBeGreaterThan(5);
    // The PNG scales the SVG uniformly: a font of s pt in a W pt wide drawing is s·1400/W px.
    const px = Math.min(...sizes) * (WIDTH / widthPt);
    expect(px, `${view}: ${widthPt} pt wide`).toBeGreaterThanOrEqual(11);
    expect(decodePng(renderPng(svg, { width: WIDTH })).width).toBe(WIDTH);
  });
});
