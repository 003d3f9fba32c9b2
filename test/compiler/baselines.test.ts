// Golden text of each example: forward IR (.ir), joint training IR (.grad) and gradient
// equations (.explain). On a difference, read the diff of test/baselines/local vs reference;
// accept intended changes with `npm run baseline:accept`.
import { describe, expect, it } from 'vitest';
import { explainGraph } from '../../compiler/explain/equations.js';
import { printGraph } from '../../compiler/ir/print.js';
import { baseline } from '../support/baseline.js';
import { exampleSpec, exampleSpecs } from '../support/examples.js';
import { compileSpec } from '../support/pipeline.js';

describe('baselines', () => {
  it.each([...exampleSpecs().keys()])('%s', (name) => {
    const { forward, joint } = compileSpec(exampleSpec(name), { dtype: 'f32' });
    const texts: [string, string][] = [
      [`${name}.ir.txt`, printGraph(forward)],
      [`${name}.grad.txt`, printGraph(joint)],
      [`${name}.explain.txt`, explainGraph(joint)],
    ];
    // Write every local file first, so one accept run picks them all up.
    const results = texts.map(([file, text]) => ({ file, text, reference: baseline(file, text).reference }));
    for (const { file, text, reference } of results) {
      expect(reference, `missing test/baselines/reference/${file}: run npm run baseline:accept`).toBeDefined();
      expect(text, `${file} differs from its reference`).toBe(reference);
    }
  });
});
