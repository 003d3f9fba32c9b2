// Views too big for the in-process Graphviz layout get their DOT and a placeholder SVG that says
// why, and the caller is told; nothing hangs (issue 19: a 1,000-layer compile ran Graphviz 132 s).
import { describe, expect, it } from 'vitest';
import { chainSpec } from '../../../bench/chain-specs.js';
import { compile } from '../../../src/api.js';
import { diagramFiles, MAX_SVG_NODES, type SkippedDiagram } from '../../../src/render/diagram-files.js';

describe('diagramFiles past MAX_SVG_NODES', () => {
  it('writes the DOT, a placeholder SVG naming the size and the way out, and reports each skipped view', async () => {
    const { graph } = compile(chainSpec('activations', MAX_SVG_NODES + 10));
    const skipped: SkippedDiagram[] = [];
    const files = await diagramFiles(graph, { onSkip: (s) => skipped.push(s) });
    expect(skipped.map((s) => s.view)).toEqual(['forward', 'backward']);
    for (const s of skipped) {
      expect(s.nodes).toBeGreaterThan(MAX_SVG_NODES);
      expect(s.message).toContain(`${s.view}.svg not drawn`);
      expect(s.message).toContain(`dot -Tsvg ${s.view}.dot`);
      const svg = files[`${s.view}.svg`] ?? '';
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toContain(s.nodes.toLocaleString('en-US'));
      expect(files[`${s.view}.dot`]).toContain(`digraph "${graph.name}.${s.view}"`);
    }
  });

  it('lays out views up to the limit as before', async () => {
    const { graph } = compile(chainSpec('pairs', 4));
    const skipped: SkippedDiagram[] = [];
    const files = await diagramFiles(graph, { onSkip: (s) => skipped.push(s) });
    expect(skipped).toEqual([]);
    expect(files['backward.svg']).toContain('class="graph"');
  });
});
