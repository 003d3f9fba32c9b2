// Exit codes mean something (docs/cli.md): 1 bad input, 2 usage, 70 a bug; output-path problems
// and blow-ups are one located line, never a stack trace or a `status: done`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { internalErrorText } from '../../src/cli/main.js';
import { INTERNAL_EXIT, USAGE_EXIT } from '../../src/cli/exit-codes.js';
import { cli, tempDir } from './cli-harness.js';

const dir = tempDir('exit');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exit codes', () => {
  it('train without --data is a usage error (2)', async () => {
    const r = await cli(['train', 'examples/xor_mlp.json']);
    expect(r.code).toBe(USAGE_EXIT);
    expect(r.stderr).toMatch(/required option '--data/);
  });

  it('an internal error is one line saying it is a bug; --debug adds the trace', () => {
    const err = new TypeError('x is not a function');
    const plain = internalErrorText(err, false);
    expect(plain).toMatch(/^internal error: TypeError: x is not a function\n {2}this is a bug in chainrule/);
    expect(plain).not.toMatch(/\n\s+at /);
    expect(internalErrorText(err, true)).toMatch(/\n\s+at /);
    expect(INTERNAL_EXIT).toBe(70);
  });
});

describe('output paths', () => {
  const train = (out: string) =>
    cli(['train', 'examples/xor_mlp.json', '--data', 'xor', '--epochs', '1', '--quiet', '--no-diagrams', '--out', out]);

  it('--out at an existing file: one line, exit 1', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await train(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot create the output folder .*a-file: .*not a directory/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--out under /proc (where recursive mkdir never returns): one line, exit 1', async () => {
    const r = await train('/proc/chainrule-x/y');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot create the output folder \/proc\/chainrule-x\/y: no such file/);
  });

  it('--out under a read-only folder: one line, exit 1', async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    const r = await train(join(ro, 'run'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/permission denied/);
  });
});

describe('divergence', () => {
  it('a finite blow-up (lr 1e6, clamped loss) stops with exit 1 and status diverged, not done', async () => {
    const out = join(dir, 'blow');
    const r = await cli([
      'train',
      'examples/xor_mlp.json',
      '--data',
      'xor',
      '--lr',
      '1e6',
      '--epochs',
      '5',
      '--quiet',
      '--no-diagrams',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: training diverged (in epoch \d+: its mean loss .* more than 10× the start|in epoch \d+, step \d+)/,
    );
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).status).toBe('diverged');
  });
});
