// The programmatic examples the README shows run as a user runs them, in their own process, and
// really learn XOR: train-xor.ts (build, compile, load, train in one process) and onnx-training.ts
// ("Outgrowing one machine": the exported training step looped in onnxruntime-node, its weights
// brought back into chainrule).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './cli-harness.js';

describe.each(['train-xor', 'onnx-training'])('examples/api/%s.ts', (name) => {
  it('learns XOR: the loss is below 0.01 and predictions round to 0 1 1 0', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(root, `examples/api/${name}.ts`)], {
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
