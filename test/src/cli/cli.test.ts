// The `chainrule` binary end to end: exit codes, stdout/stderr split, and the exact text users see.
// Every command runs as a real process (`node bin/chainrule.js ...`) from the repository root.
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliProcess, type Run } from '../../e2e/cli-harness.js';

const run = cliProcess;
const runInProcess = cli;
const examples = readdirSync(new URL('../../../examples/', import.meta.url))
  .filter((f) => f.endsWith('.json'))
  .sort();

// Real processes for the headline behaviours; the rest runs in-process.
const spawned = {
  checkMnist: ['check', 'examples/mnist_mlp.json'],
  checkShape: ['check', 'test/cases/errors/shape-mismatch-add.json'],
  checkMissing: ['check', 'no/such/spec.json'],
  checkNoArg: ['check'],
  irGrad: ['ir', 'examples/mnist_mlp.json', '--grad', '--dtype', 'f64'],
  explain: ['explain', 'examples/two_layer_sigmoid.json'],
} satisfies Record<string, readonly string[]>;

const inProcess = {
  checkMultiple: ['check', 'test/cases/errors/multiple-errors.json'],
  checkWarning: ['check', 'test/cases/errors/unused-node.json'],
  checkHelp: ['check', '--help'],
  ir: ['ir', 'examples/residual_mlp.json', '--batch', '8'],
  irBadBatch: ['ir', 'examples/mnist_mlp.json', '--batch', '0'],
  irHelp: ['ir', '--help'],
  explainHelp: ['explain', '--help'],
  ...Object.fromEntries(examples.map((f) => [`example:${f}`, ['check', `examples/${f}`]])),
} satisfies Record<string, readonly string[]>;

const results = new Map<string, Run>();
const result = (key: keyof typeof spawned | keyof typeof inProcess | `example:${string}`): Run => {
  const r = results.get(key);
  if (r === undefined) throw new Error(`no run ${key}`);
  return r;
};

beforeAll(async () => {
  // Two at a time: the machine has two cores shared with other test files.
  const queue = Object.entries(spawned);
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) results.set(next[0], await run(next[1]));
  };
  const local = async (): Promise<void> => {
    for (const [key, args] of Object.entries(inProcess)) results.set(key, await runInProcess(args));
  };
  await Promise.all([worker(), worker(), local()]);
}, 120_000);

describe('chainrule check', () => {
  it('prints the one-line summary and exits 0', () => {
    const r = result('checkMnist');
    expect(r).toEqual({
      code: 0,
      stdout: 'ok: mnist_mlp — 4 nodes, 101,770 parameters, outputs probs [B,10], loss cross_entropy\n',
      stderr: '',
    });
  });

  it.each(examples)('accepts examples/%s', (file) => {
    const r = result(`example:${file}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok: \w+ — \d+ nodes, [\d,]+ parameters, outputs .+, loss \w+\n$/);
    expect(r.stderr).toBe('');
  });

  it('locates a shape mismatch: file:line:col, both node names and both shapes, exit 1', () => {
    const r = result('checkShape');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      readFileSync(new URL('../../cases/errors/shape-mismatch-add.expected.txt', import.meta.url), 'utf8'),
    );
    expect(r.stderr).toContain(
      "test/cases/errors/shape-mismatch-add.json:9:53: error: add 'join': operand shapes differ: h1 is [B,128] but branch is [B,64]",
    );
  });

  it('reports every error of a spec with many, then the count', () => {
    const r = result('checkMultiple');
    expect(r.code).toBe(1);
    expect(r.stderr.match(/^test\/cases\/errors\/multiple-errors\.json:\d+:\d+: error: /gm)).toHaveLength(9);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('9 errors in test/cases/errors/multiple-errors.json');
  });

  it('prints warnings to stderr but still succeeds', () => {
    const r = result('checkWarning');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: node 'spare' is not used by any output or the loss");
    expect(r.stdout).toMatch(/^ok: mnist_mlp — 5 nodes/);
  });

  it('explains a missing file without a stack trace', () => {
    const r = result('checkMissing');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: cannot read 'no/such/spec.json': no such file");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a missing argument with usage help', () => {
    const r = result('checkNoArg');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("missing required argument 'spec'");
  });
});

describe('chainrule ir', () => {
  it('prints the forward IR with the batch fixed', () => {
    const r = result('ir');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('graph residual_mlp {');
    expect(r.stdout).toContain('join: f32[8,32] = add');
    expect(r.stdout).not.toContain('d(');
  });

  it('prints the joint training graph with --grad', () => {
    const r = result('irGrad');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('fc1: f64[B,128] = linear[units=128]');
    expect(r.stdout).toMatch(/d\(fc1\.weight\): f64\[784,128\] = matmul\[transA\] %\d+ x, %\d+ d\(fc1\)/);
    expect(r.stdout).toMatch(/sgd_update\[lr=0\.02\]/);
  });

  it('rejects a bad --batch as a usage error', () => {
    const r = result('irBadBatch');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("'--batch <n>' argument '0' is invalid. expected a positive integer");
  });
});

describe('chainrule explain', () => {
  it('prints the gradient of every parameter', () => {
    const r = result('explain');
    expect(r.code, r.stderr).toBe(0);
    for (const p of ['z.weight', 'z.bias', 'o.weight', 'o.bias']) expect(r.stdout).toContain(`∂L/∂${p} =`);
  });
});

describe('--help', () => {
  it.each(['checkHelp', 'irHelp', 'explainHelp'] as const)('%s describes the command and shows examples', (key) => {
    const r = result(key);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: chainrule \w+ \[options\] <spec>/);
    expect(r.stdout).toContain('Examples:\n  $ chainrule ');
  });
});
