// The command table and exit codes shared by every command: 0 success, 1 bad input, 2 bad
// command line. In-process (fast); compile.test.ts covers the same as a real process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { USAGE_EXIT } from '../../../src/cli/main.js';
import { cli } from '../../e2e/cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS = [
  'check',
  'compile',
  'ir',
  'explain',
  'draw',
  'train',
  'eval',
  'predict',
  'demo',
  'export',
  'studio',
  'import',
  'import-weights',
];

describe('usage errors exit 2 and point at --help', () => {
  it.each([
    ['an unknown option', ['check', 'examples/xor_mlp.json', '--frobnicate'], "error: unknown option '--frobnicate'"],
    ['a missing argument', ['explain'], "error: missing required argument 'spec'"],
    ['a bad option value', ['ir', 'examples/xor_mlp.json', '--batch', '0'], "'--batch <n>' argument '0' is invalid"],
    ['a bad choice', ['draw', 'examples/xor_mlp.json', '--view', 'sideways'], "argument 'sideways' is invalid"],
    ['too many arguments', ['check', 'examples/xor_mlp.json', 'extra'], 'too many arguments'],
    [
      'a missing required option',
      ['eval', 'examples/iris_mlp.json'],
      "required option '--weights <file>' not specified",
    ],
  ])('%s', async (_what, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(USAGE_EXIT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(`(run 'chainrule ${args[0]} --help' for usage)`);
  });

  it('an unknown command, and no command at all', async () => {
    const unknown = await cli(['compiel']);
    expect(unknown.code).toBe(USAGE_EXIT);
    expect(unknown.stderr).toContain("error: unknown command 'compiel'");
    const none = await cli([]);
    expect(none.code).toBe(USAGE_EXIT);
    expect(none.stderr).toContain('Usage: chainrule [options] [command]');
  });
});

describe('bad input exits 1, not 2', () => {
  it('a spec that does not parse', async () => {
    const spec = join(dir, 'broken.json');
    writeFileSync(spec, '{ "name": "x", ');
    const r = await cli(['check', spec]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${spec.replace(/[.]/g, '\\.')}:1:\\d+: error: `));
  });

  it('train on a spec without a loss says there is nothing to train, located', async () => {
    const spec = join(dir, 'no-loss.json');
    writeFileSync(
      spec,
      JSON.stringify(
        {
          name: 'fwd',
          inputs: { x: [null, 2] },
          nodes: [
            { name: 'fc', op: 'linear', input: 'x', units: 2 },
            { name: 'p', op: 'softmax', input: 'fc' },
          ],
          outputs: ['p'],
        },
        null,
        2,
      ),
    );
    const noLoss = await cli(['train', spec, '--data', 'xor', '--out', join(dir, 'never')]);
    expect(noLoss.code).toBe(1);
    expect(noLoss.stderr).toContain(`${spec}:1:1: error: spec 'fwd' has no loss, so there is nothing to train`);
  });
});

describe('--help and --version exit 0', () => {
  it('the command list: every command, one line each', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    const listed = r.stdout.split('Commands:\n')[1] ?? '';
    for (const c of COMMANDS) expect(listed).toMatch(new RegExp(`^  ${c} \\[options\\]`, 'm'));
    // Each entry is the first sentence of the command's description: whole, and only that.
    const entries = listed.split(/\n(?= {2}\w)/).map((e) => e.replace(/\s+/g, ' ').trim());
    for (const entry of entries.filter((e) => !e.startsWith('help ')))
      expect(entry, entry).toMatch(/^[\w-]+ [^.]*(\.|\.\))$/);
    expect(listed).not.toContain('Prints a one-line summary');
  });

  it.each(COMMANDS)('chainrule %s --help has examples', async (command) => {
    const r = await cli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: chainrule ${command} \\[options\\]`));
    if (command !== 'demo') expect(r.stdout).toContain(`Examples:\n  $ chainrule ${command} `);
  });

  it('--version', async () => {
    const r = await cli(['--version']);
    expect(r).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
