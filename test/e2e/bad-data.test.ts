// Bad data never crashes with a stack trace and never loses work: every case names what is
// wrong and where, exits 1, and leaves earlier results intact.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../runtime/checkpoint.js';
import { cli, cliProcess, tempDir } from './cli-harness.js';

const dir = tempDir('bad');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IRIS_ROWS = ['5.1,3.5,1.4,0.2,0', '7.0,3.2,4.7,1.4,1', '6.3,3.3,6.0,2.5,2', '4.9,3.0,1.4,0.2,0'];

function csv(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${['sepal_length,sepal_width,petal_length,petal_width,species', ...lines].join('\n')}\n`);
  return path;
}

/** Runs `train` on iris_mlp and expects a clean failure: exit 1, the message, no stack, nothing written. */
async function failsCleanly(data: string, message: RegExp, extra: readonly string[] = []): Promise<string> {
  const out = join(dir, `out-${readdirSync(dir).length}`);
  const r = await cli(['train', 'examples/iris_mlp.json', '--data', data, '--out', out, '--quiet', ...extra]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(out)).toBe(false);
  return r.stderr;
}

describe('bad data', () => {
  it('NaN or Inf in the inputs: names the file, line and column', async () => {
    const nan = csv('nan.csv', [IRIS_ROWS[0]!, '7.0,NaN,4.7,1.4,1', IRIS_ROWS[2]!]);
    await failsCleanly(nan, /nan\.csv:3: column 'sepal_width' is NaN \(not a finite number\)/);
    const inf = csv('inf.csv', [IRIS_ROWS[0]!, IRIS_ROWS[1]!, IRIS_ROWS[2]!, '4.9,3.0,Infinity,0.2,0']);
    await failsCleanly(inf, /inf\.csv:5: column 'petal_length' is Infinity/);
  });

  it('a label out of range for the model: names the row and both class counts', async () => {
    const path = csv('labels.csv', [...IRIS_ROWS, '5.0,3.0,1.5,0.2,3']);
    const err = await failsCleanly(
      path,
      /labels\.csv:6 \(row 5\): label 3 is out of range: model 'iris_mlp' predicts 3 classes \(0\.\.2\)/,
    );
    expect(err).toMatch(/hint: the data has 4 classes; give the last linear layer 4 units/);
  });

  it('a CSV row with the wrong number of columns: names the line', async () => {
    const path = csv('columns.csv', [IRIS_ROWS[0]!, IRIS_ROWS[1]!, '6.3,3.3,6.0,2', IRIS_ROWS[3]!]);
    await failsCleanly(path, /columns\.csv:4: expected 5 columns \(as in the header\) but found 4/);
  });

  it("a feature count that does not match the spec's input shape: says both numbers", async () => {
    await failsCleanly('mnist', /mnist has 784 features per row but model 'iris_mlp' expects 4 \(input 'x'\)/);
    const wide = join(dir, 'wide.csv');
    writeFileSync(wide, 'a,b,c,label\n1,2,3,0\n4,5,6,1\n');
    const err = await failsCleanly(wide, /wide\.csv has 3 features per row but model 'iris_mlp' expects 4/);
    expect(err).toMatch(/hint: change the spec's input shape to \[null, 3\]/);
  });

  it('an unknown dataset or a missing file', async () => {
    await failsCleanly(
      'irs',
      /unknown dataset 'irs'\n {2}hint: use one of mnist, iris, xor, spirals, or a path ending in \.csv/,
    );
    await failsCleanly(join(dir, 'missing.csv'), /cannot read .*missing\.csv: no such file/);
  });

  it('as a real process: exit code 1, the message on stderr, no stack trace', async () => {
    const path = csv('nan2.csv', [IRIS_ROWS[0]!, '7.0,3.2,nan,1.4,1']);
    const r = await cliProcess([
      'train',
      'examples/iris_mlp.json',
      '--data',
      path,
      '--out',
      join(dir, 'never'),
      '--quiet',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: ${path}:3: column 'petal_length' is nan (not a finite number)\n  hint: every feature must be a finite number; fill in or drop that row\n`,
    );
    expect(r.stdout).toBe('');
  });
});

describe('never loses work', () => {
  it('a diverging run stops with a message and keeps the last good checkpoint', async () => {
    const out = join(dir, 'diverge');
    const ok = await cli([
      'train',
      'examples/iris_mlp.json',
      '--data',
      'iris',
      '--epochs',
      '2',
      '--out',
      out,
      '--quiet',
      '--no-diagrams',
    ]);
    expect(ok.code).toBe(0);
    const weights = readFileSync(join(out, 'weights.safetensors'));
    const checkpoint = readFileSync(join(out, 'checkpoint.safetensors'));
    // Continue the same run with an absurd learning rate: the loss becomes NaN/Inf in epoch 3.
    const r = await cli([
      'train',
      'examples/iris_mlp.json',
      '--resume',
      out,
      '--epochs',
      '5',
      '--lr',
      '1e38',
      '--quiet',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: training diverged in epoch 3, step \d+ \(loss (NaN|Infinity)\); the last good checkpoint \(epoch 2\) is kept in .*checkpoint\.safetensors\n/,
    );
    expect(r.stderr).toMatch(
      /hint: lower the learning rate \(now 1e\+38\), e\.g\. --lr 1e\+37, and continue with --resume /,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(out, 'weights.safetensors')).equals(weights)).toBe(true);
    expect(readFileSync(join(out, 'checkpoint.safetensors')).equals(checkpoint)).toBe(true);
    expect(readCheckpoint(join(out, 'checkpoint.safetensors')).state.epoch).toBe(2);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { status: string; epochs: unknown[] };
    expect([m.status, m.epochs.length]).toEqual(['diverged', 2]);
    // No temp files left behind by the atomic writes.
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('diverging in the first epoch says that no checkpoint exists yet', async () => {
    const out = join(dir, 'diverge-early');
    const r = await cli([
      'train',
      'examples/iris_mlp.json',
      '--data',
      'iris',
      '--lr',
      '1e38',
      '--out',
      out,
      '--quiet',
      '--no-diagrams',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: training diverged in epoch 1, step \d+ .*; no epoch completed, so no checkpoint was written\n {2}hint: lower the learning rate/,
    );
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(false);
  });

  it('resume and eval refuse files that do not belong to the spec', async () => {
    const out = join(dir, 'mismatch');
    expect(
      (
        await cli([
          'train',
          'examples/xor_mlp.json',
          '--data',
          'xor',
          '--epochs',
          '1',
          '--out',
          out,
          '--quiet',
          '--no-diagrams',
        ])
      ).code,
    ).toBe(0);
    const resume = await cli(['train', 'examples/iris_mlp.json', '--resume', out, '--epochs', '3', '--quiet']);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toMatch(/^error: the checkpoint in .*mismatch is for model 'xor_mlp', not 'iris_mlp'/);
    const ev = await cli(['eval', 'examples/iris_mlp.json', '--weights', join(out, 'weights.safetensors')]);
    expect(ev.code).toBe(1);
    expect(ev.stderr).toMatch(/holds weights of model 'xor_mlp', but examples\/iris_mlp\.json is model 'iris_mlp'/);
    const again = await cli(['train', 'examples/xor_mlp.json', '--resume', out, '--epochs', '1', '--quiet']);
    expect(again.stderr).toMatch(/has already trained 1 epoch\n {2}hint: pass --epochs N with N > 1/);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not weights');
    const bad = await cli(['eval', 'examples/xor_mlp.json', '--weights', junk]);
    expect(bad.stderr).toMatch(/junk\.safetensors is not a valid safetensors file/);
  });
});
