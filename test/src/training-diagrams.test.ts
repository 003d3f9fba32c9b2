// `chainrule train` writes the same diagrams as `chainrule compile`: fused kernels as clusters and
// the spec's labels (W⁽¹⁾) naming its tensors.
import { describe, expect, it } from 'vitest';
import { prepareModel } from '../../src/training.js';

describe('training diagrams', () => {
  it("use the spec's labels, as compile, draw and explain do", async () => {
    const prepared = await prepareModel(new URL('../../examples/learn/two_layer.json', import.meta.url).pathname);
    const files = await prepared.diagrams();
    for (const name of ['forward.dot', 'backward.dot']) {
      expect(files[name], name).toContain('W⁽¹⁾');
      expect(files[name], name).toContain('b⁽²⁾');
    }
  });
});
