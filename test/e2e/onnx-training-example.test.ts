// The "Outgrowing one machine" example of the README (examples/api/onnx-training.ts) runs as a
// user runs it: the exported training step, looped in onnxruntime-node, learns XOR, and the
// weights brought back into chainrule predict it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './cli-harness.js';

describe('examples/api/onnx-training.ts', () => {
  it('trains XOR in onnxruntime-node; chainrule then predicts 0 1 1 0 with the weights', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'examples/api/onnx-training.ts')], {
      cwd: root,
      encoding: 'utf8',
    });
    const match = /^loss ([\d.]+); predictions ([\d. ]+)$/m.exec(out);
    expect(match, out).not.toBeNull();
    const [, loss, predictions] = match as unknown as [string, string, string];
    expect(Number(loss)).toBeLessThan(0.01);
    expect(
      predictions
        .trim()
        .split(' ')
        .map((p) => Math.round(Number(p))),
    ).toEqual([0, 1, 1, 0]);
  }, 60_000);
});
