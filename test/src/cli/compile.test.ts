// `chainrule compile`: the files it writes, byte-identical re-runs, IR dumps per pass, pass
// switches, and failures that leave the output folder exactly as it was. The headline cases run
// as real processes (what a user sees); the rest in-process.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardDot } from '../../../compiler/diagram/dot.js';
import { optimizationPasses, trainingPasses } from '../../../compiler/passes/pipeline.js';
import { compile } from '../../../src/api.js';
import { dumpName, kernelClusters, stageNames, writeOutputAtomic } from '../../../src/cli/commands/compile.js';
import { cli, root, type Run } from '../../e2e/cli-harness.js';

const MNIST = 'examples/mnist_mlp.json';
const dir = mkdtempSync(join(tmpdir(), 'chainrule-compile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/chainrule.js', ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** Every file under `folder`, relative and sorted, with its bytes. */
function tree(folder: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(folder, path), readFileSync(path));
    }
  };
  walk(folder);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const numbered = (files: Map<string, Buffer>): string[] => [...files.keys()].filter((f) => /^ir\/\d\d-/.test(f));

describe('chainrule compile examples/mnist_mlp.json --dump-after=all (real process)', () => {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  let first: Run;
  let second: Run;
  beforeAll(async () => {
    first = await run(['compile', MNIST, '--out', a, '--dump-after=all']);
    second = await run(['compile', MNIST, '--out', b, '--dump-after=all']);
  }, 60_000);

  it('writes the module, both diagrams, the gradient equations and the IR', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    const files = [...tree(a).keys()];
    for (const f of [
      'mnist_mlp.ts',
      'forward.dot',
      'forward.svg',
      'backward.dot',
      'backward.svg',
      'gradients.txt',
      'kernels.txt',
      'memory-plan.txt',
      'ir/final.txt',
    ]) {
      expect(files).toContain(f);
    }
    expect(readFileSync(join(a, 'forward.svg'), 'utf8')).toMatch(/^<\?xml[^]*<svg[^]*<\/svg>\s*$/);
    expect(readFileSync(join(a, 'gradients.txt'), 'utf8')).toContain('∂L/∂fc1.weight =');
  });

  it('the module is standalone: no import, no require', () => {
    const source = readFileSync(join(a, 'mnist_mlp.ts'), 'utf8');
    expect(source).toContain('export function createModel');
    expect(source).not.toMatch(/^\s*import\b|\bimport\s*\(|\brequire\s*\(/m);
  });

  it('dumps the IR after every stage of the pipeline, numbered by pipeline position', () => {
    const stages = compile(MNIST).stages.map((s) => s.pass);
    expect(numbered(tree(a))).toEqual(stages.map((p) => `ir/${dumpName(p)}`).sort());
    expect(stages).toEqual(stageNames());
    const last = stages[stages.length - 1] ?? '';
    expect(readFileSync(join(a, 'ir', dumpName(last)), 'utf8')).toBe(readFileSync(join(a, 'ir/final.txt'), 'utf8'));
  });

  it('is byte-identical when run again', () => {
    expect(second.code, second.stderr).toBe(0);
    const x = tree(a);
    const y = tree(b);
    expect([...y.keys()]).toEqual([...x.keys()]);
    for (const [name, bytes] of x) expect(y.get(name)?.equals(bytes), name).toBe(true);
  });

  it('prints a summary with the fusion and memory figures', () => {
    const stats = compile(MNIST).stats;
    expect(first.stdout).toMatch(/^compiled mnist_mlp \(f32, run-time batch\) in \d+\.\d\ds → /);
    expect(first.stdout).toContain(
      `kernels per training step: ${stats.unfusedKernels} unfused → ${stats.kernels} fused`,
    );
    expect(first.stdout).toContain(`ir/ (${numbered(tree(a)).length + 1} files)`);
    expect(first.stdout).toMatch(/arena: [\d,]+ B \+ [\d,]+ B\/row unplanned → [\d,]+ B \+ [\d,]+ B\/row planned/);
  });
});

describe('failures change nothing', () => {
  it('a bad spec: exit 1, located message, the output folder untouched, no temp folder left', async () => {
    const parent = join(dir, 'bad');
    const out = join(parent, 'out');
    mkdirSync(join(out, 'ir'), { recursive: true });
    writeFileSync(join(out, 'mnist_mlp.ts'), 'earlier\n');
    writeFileSync(join(out, 'ir', 'final.txt'), 'earlier ir\n');
    const spec = join(parent, 'bad.json');
    writeFileSync(
      spec,
      '{\n  "name": "bad",\n  "inputs": { "x": [null, 4] },\n  "nodes": [\n    { "name": "fc1", "op": "lienar", "input": "x", "units": 3 }\n  ],\n  "outputs": ["fc1"]\n}\n',
    );
    const r = await run(['compile', spec, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${spec}:5:28: error: unknown op 'lienar' (node 'fc1')`);
    expect(r.stderr).toContain("hint: did you mean 'linear'?");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(parent).sort()).toEqual(['bad.json', 'out']);
    expect([...tree(out)].map(([f, t]) => [f, t.toString()])).toEqual([
      ['ir/final.txt', 'earlier ir\n'],
      ['mnist_mlp.ts', 'earlier\n'],
    ]);
  });

  it('a pass that did not run: exit 1, says why, nothing written', async () => {
    const out = join(dir, 'not-run');
    const r = await cli([
      'compile',
      MNIST,
      '--out',
      out,
      '-O0',
      `--dump-after=${optimizationPasses[0]?.name ?? 'fuse'}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --dump-after \S+: that pass did not run in this compile\n {2}hint: /);
    expect(existsSync(out)).toBe(false);
  });

  it('--out names a file: exit 1, the file kept', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'mine\n');
    const r = await cli(['compile', MNIST, '--out', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: --out ${file} is a file, not a folder`);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });
});

describe('usage errors exit 2', () => {
  it('an unknown option (real process)', async () => {
    const r = await run(['compile', MNIST, '--out', join(dir, 'u'), '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--bogus'");
    expect(r.stderr).toContain("(run 'chainrule compile --help' for usage)");
    expect(existsSync(join(dir, 'u'))).toBe(false);
  });

  it('a missing --out, a missing spec, a bad -O level', async () => {
    expect((await cli(['compile', MNIST])).stderr).toContain("required option '--out <dir>' not specified");
    for (const args of [
      ['compile', MNIST],
      ['compile', '--out', dir],
      ['compile', MNIST, '--out', dir, '-O3'],
    ]) {
      expect((await cli(args)).code, args.join(' ')).toBe(2);
    }
  });

  it('an unknown --dump-after pass lists the valid names', async () => {
    const r = await cli(['compile', MNIST, '--out', join(dir, 'u'), '--dump-after', 'fusion']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown pass 'fusion'; valid: all, plan, ${stageNames().join(', ')}.`);
  });

  it('a bad spec is not a usage error: exit 1', async () => {
    expect((await cli(['compile', 'no/such/spec.json', '--out', join(dir, 'u')])).code).toBe(1);
  });

  it('--help exits 0 and shows examples and the passes', async () => {
    const r = await cli(['compile', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:\n  $ chainrule compile ');
    expect(r.stdout).toContain(`Passes: ${stageNames().join(', ')}`);
    for (const p of optimizationPasses) expect(r.stdout).toContain(`--no-${p.name}`);
  });
});

describe('pass switches', () => {
  const full = join(dir, 'full');
  beforeAll(async () => {
    const r = await cli(['compile', MNIST, '--out', full, '--dump-after', 'all', '--quiet']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  }, 30_000);

  it.each(optimizationPasses.map((p) => p.name))(
    '--no-%s drops that pass: its dump is gone, the final IR changes',
    async (pass) => {
      const out = join(dir, `no-${pass}`);
      const r = await cli(['compile', MNIST, '--out', out, '--dump-after', 'all', `--no-${pass}`]);
      expect(r.code, r.stderr).toBe(0);
      const with_ = tree(full);
      const without = tree(out);
      expect(numbered(without)).toEqual(numbered(with_).filter((f) => f !== `ir/${dumpName(pass)}`));
      // Stages before the pass are the same; what comes out differs exactly when the pass did something.
      const before = numbered(without).filter((x) => x < `ir/${dumpName(pass)}`);
      for (const f of before) expect(without.get(f)?.toString(), f).toBe(with_.get(f)?.toString());
      const previous = with_.get(before[before.length - 1] ?? '')?.toString();
      const acted = with_.get(`ir/${dumpName(pass)}`)?.toString() !== previous;
      const output = (files: Map<string, Buffer>): string =>
        `${files.get('mnist_mlp.ts')?.toString()}${files.get('ir/final.txt')?.toString()}`;
      expect(output(without) !== output(with_)).toBe(acted);
    },
    30_000,
  );

  it('--dump-after plan dumps the stage that planned memory, with the plan; memory-plan.txt is the final plan', async () => {
    const out = join(dir, 'plan');
    const r = await cli(['compile', MNIST, '--out', out, '--dump-after', 'plan', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const planned = compile(MNIST).stages.find((s) => s.graph.memory !== undefined);
    expect(planned).toBeDefined();
    const files = tree(out);
    expect(numbered(files)).toEqual([`ir/${dumpName(planned?.pass ?? '')}`]);
    const plan = files.get('memory-plan.txt')?.toString() ?? '';
    expect(plan).toMatch(/^memory plan of mnist_mlp: /);
    expect(files.get('ir/final.txt')?.toString()).toContain(`\n# ${plan}`);
  }, 30_000);

  it('-O0 runs only the training passes; the module equals compile(spec, { optimize: false })', async () => {
    const out = join(dir, 'O0');
    const r = await cli([
      'compile',
      MNIST,
      '--out',
      out,
      '-O0',
      '--dump-after',
      'all',
      '--dtype',
      'f64',
      '--batch',
      '8',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const files = tree(out);
    expect(numbered(files)).toEqual(['build', ...trainingPasses.map((p) => p.name)].map((p) => `ir/${dumpName(p)}`));
    const source = compile(MNIST, { optimize: false, dtype: 'f64', batch: 8 }).source;
    expect(files.get('mnist_mlp.ts')?.toString()).toBe(source);
    expect(source).toContain('Float64Array');
    expect(r.stdout).toMatch(/kernels per training step: (\d+) unfused → \1 fused/);
    expect(r.stdout).toContain('(f64, batch 8)');
  }, 30_000);
});

describe('writeOutputAtomic', () => {
  it('replaces its own files and ir/ as a whole, keeps the rest, leaves no temp folder', () => {
    const parent = join(dir, 'atomic');
    const out = join(parent, 'out');
    mkdirSync(join(out, 'ir'), { recursive: true });
    writeFileSync(join(out, 'notes.md'), 'keep\n');
    writeFileSync(join(out, 'm.ts'), 'old\n');
    writeFileSync(join(out, 'ir', '05-stale.txt'), 'stale\n');
    writeOutputAtomic(
      out,
      new Map([
        ['m.ts', 'new\n'],
        ['ir/final.txt', 'ir\n'],
      ]),
    );
    expect([...tree(out)].map(([f, t]) => [f, t.toString()])).toEqual([
      ['ir/final.txt', 'ir\n'],
      ['m.ts', 'new\n'],
      ['notes.md', 'keep\n'],
    ]);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('creates a missing folder and its parents', () => {
    const out = join(dir, 'deep', 'er', 'out');
    writeOutputAtomic(out, new Map([['a.txt', 'a\n']]));
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('a\n');
    expect(readdirSync(join(dir, 'deep', 'er'))).toEqual(['out']);
  });
});

describe('a closed pipe', () => {
  it('`chainrule ir SPEC | <reader that exits>` exits quietly, no EPIPE crash', async () => {
    const child = spawn(process.execPath, ['bin/chainrule.js', 'ir', MNIST, '--grad', '--after', 'all'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader is gone before the CLI writes its first byte.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});

describe('kernel clusters in the diagrams', () => {
  it('every fused kernel is one cluster holding its nodes and the optimizer updates it runs', () => {
    const { graph } = compile(MNIST);
    const clusters = kernelClusters(graph);
    const name = (id: number): string => graph.nodes.find((n) => n.id === id)?.name ?? `%${id}`;
    const members = (kernel: string): string[] =>
      [...clusters]
        .filter(([, k]) => k === kernel)
        .map(([id]) => name(id))
        .sort();
    expect(members('d_fc1_weight_bias')).toEqual(
      [
        'd(fc1.bias)',
        'd(fc1.weight)',
        'new(fc1.bias)',
        'new(fc1.bias.velocity)',
        'new(fc1.weight)',
        'new(fc1.weight.velocity)',
      ].sort(),
    );
    expect(new Set(clusters.values()).size).toBe(graph.kernels?.length);
  });

  it('the legend explains the dashed boxes only when the diagram has them', () => {
    const { graph } = compile(MNIST);
    const note = 'A dashed box is one fused kernel';
    expect(forwardDot(graph, { kernels: kernelClusters(graph) })).toContain(note);
    expect(forwardDot(graph)).not.toContain(note);
  });
});
