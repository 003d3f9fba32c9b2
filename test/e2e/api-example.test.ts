// The programmatic example the README shows (examples/api/train-xor.ts) runs as a user runs it,
// in its own process, and really learns XOR.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './cli-harness.js';

describe('examples/api/train-xor.ts', () => {
  it('builds, compiles, loads and trains XOR in one process: predictions round to 0 1 1 0', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'examples/api/train-xor.ts')], {
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
