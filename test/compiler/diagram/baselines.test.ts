// Golden DOT of each example, one file per view: test/baselines/reference/<example>.<view>.dot,
// compared with the fresh text written to test/baselines/local/. On a difference read the diff
// (an unrelated change is a clue); accept an intended one with `npm run baseline:accept`.
import { describe, expect, it } from 'vitest';
import { viewDot } from '../../../compiler/diagram/dot.js';
import { baseline } from '../../support/baseline.js';
import { exampleSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';

describe('DOT baselines', () => {
  it.each([...exampleSpecs()])('%s', (name, spec) => {
    const { joint } = compileSpec(spec, { dtype: 'f32' });
    // Write every view first, so one accept run picks them all up.
    const results = (['forward', 'backward', 'joint', 'backprop'] as const).map((view) => {
      const file = `${name}.${view}.dot`;
      const text = viewDot(joint, view);
      return { file, text, reference: baseline(file, text).reference };
    });
    for (const { file, text, reference } of results) {
      expect(reference, `missing test/baselines/reference/${file}: run npm run baseline:accept`).toBeDefined();
      expect(text, `${file} differs from its reference`).toBe(reference);
    }
  });
});
