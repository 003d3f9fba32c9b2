// End to end: the examples trained from the CLI reach their accuracy targets on held-out rows,
// runs are reproducible and resumable, and eval/predict/demo work on what train wrote.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, readWeights } from '../../runtime/checkpoint.js';
import { decodeSafetensors } from '../../runtime/safetensors.js';
import { cli, tempDir, withoutTimings, type Metrics } from './cli-harness.js';

const dir = tempDir('e2e');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function metrics(out: string): Metrics {
  return JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Metrics;
}

async function trainOk(args: readonly string[]): Promise<string> {
  const r = await cli(['train', ...args, '--quiet']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('chainrule train reaches the targets on held-out rows', () => {
  it('iris ≥ 95%, and eval/predict agree with it', async () => {
    const out = join(dir, 'iris');
    const stdout = await trainOk([
      'examples/iris_mlp.json',
      '--data',
      'iris',
      '--epochs',
      '60',
      '--out',
      out,
      '--no-diagrams',
    ]);
    expect(stdout).toMatch(/^epoch {2}1\/60 {2}loss \d\.\d{4} {2}acc .*val_acc/m);
    const m = metrics(out);
    expect(m.status).toBe('done');
    expect(m.final.valAccuracy).toBeGreaterThanOrEqual(0.95);

    const ev = await cli(['eval', 'examples/iris_mlp.json', '--weights', join(out, 'weights.safetensors')]);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toContain(
      `accuracy ${(100 * m.final.valAccuracy!).toFixed(2)}% (${Math.round(30 * m.final.valAccuracy!)}/30)`,
    );
    expect(ev.stdout).toMatch(/true\\pred\s+setosa\s+versicolor\s+virginica\s+recall/);

    const csv = join(dir, 'flowers.csv');
    writeFileSync(csv, 'sl,sw,pl,pw\n5.1,3.5,1.4,0.2\n6.0,2.9,4.5,1.5\n7.7,3.0,6.1,2.3\n');
    const pr = await cli([
      'predict',
      'examples/iris_mlp.json',
      '--weights',
      join(out, 'weights.safetensors'),
      '--data',
      csv,
    ]);
    expect(pr.code).toBe(0);
    const rows = pr.stdout.trim().split('\n');
    expect(rows[0]).toBe('row,class,probability');
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 2).join(','))).toEqual([
      '1,setosa',
      '2,versicolor',
      '3,virginica',
    ]);
  });

  it('XOR 100%, writing the module, weights, checkpoint, metrics, curve and diagrams', async () => {
    const out = join(dir, 'xor');
    const stdout = await trainOk([
      'examples/xor_mlp.json',
      '--data',
      'xor',
      '--epochs',
      '20',
      '--batch',
      '16',
      '--out',
      out,
    ]);
    expect(stdout).toContain(`wrote ${out}/`);
    expect(metrics(out).final.valAccuracy).toBe(1);
    expect(readdirSync(out).sort()).toEqual([
      'backward.dot',
      'backward.svg',
      'checkpoint.safetensors',
      'curve.svg',
      'forward.dot',
      'forward.svg',
      'metrics.json',
      'weights.safetensors',
      'xor_mlp.d.ts',
      'xor_mlp.js',
      'xor_mlp.ts',
    ]);
    expect(readFileSync(join(out, 'xor_mlp.ts'), 'utf8')).toMatch(/export function createModel/);
    expect(readFileSync(join(out, 'curve.svg'), 'utf8')).toMatch(
      /^<svg[^>]*>[\s\S]*xor_mlp: accuracy[\s\S]*<\/svg>\n$/,
    );
    const ev = await cli([
      'eval',
      'examples/xor_mlp.json',
      '--weights',
      join(out, 'weights.safetensors'),
      '--split',
      'all',
    ]);
    expect(ev.stdout).toContain('accuracy 100.00% (400/400)');
  });

  it('two spirals ≥ 98%', async () => {
    const out = join(dir, 'spirals');
    await trainOk(['examples/spirals_mlp.json', '--data', 'spirals', '--epochs', '30', '--out', out, '--no-diagrams']);
    expect(metrics(out).final.valAccuracy).toBeGreaterThanOrEqual(0.98);
  });

  it('MNIST: one epoch of the demo on 8,000 digits is ≥ 85% on the 2,000 held out', async () => {
    const out = join(dir, 'mnist');
    const r = await cli(['demo', '--epochs', '1', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const acc = /held-out accuracy: (\d+\.\d+)% on 2,000 digits/.exec(r.stdout);
    expect(acc).not.toBeNull();
    expect(Number(acc![1])).toBeGreaterThanOrEqual(85);
    expect(r.stdout).toContain(`model       ${join(out, 'mnist_mlp.ts')}`);
    expect(r.stdout).toContain(join(out, 'forward.svg'));
    for (const f of ['mnist_mlp.ts', 'weights.safetensors', 'forward.svg', 'backward.svg'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const w = readWeights(join(out, 'weights.safetensors'));
    expect(w.params['fc1.weight']).toHaveLength(784 * 128);
    expect(Number(acc![1]) / 100).toBeCloseTo(metrics(out).final.valAccuracy!, 4);
    // The default kernels (auto) run all five of this model's matmuls as WebAssembly SIMD.
    expect(readFileSync(join(out, 'mnist_mlp.ts'), 'utf8')).toMatch(
      /^\/\/ Kernels: auto → 5 matmuls WebAssembly SIMD, 0 TS/m,
    );
    expect(r.stdout).toContain('npm start -- --kernels js');
  });

  it('MNIST with --kernels wasm-simd: the module embeds the WebAssembly matmuls and learns as well', async () => {
    const out = join(dir, 'mnist-wasm');
    const r = await cli(['demo', '--epochs', '1', '--out', out, '--quiet', '--kernels', 'wasm-simd']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(matmuls as WebAssembly SIMD)');
    const acc = /held-out accuracy: (\d+\.\d+)% on 2,000 digits/.exec(r.stdout);
    expect(Number(acc?.[1])).toBeGreaterThanOrEqual(85);
    expect(readFileSync(join(out, 'mnist_mlp.ts'), 'utf8')).toMatch(/WebAssembly/);
  });
});

describe('reproducible and resumable', () => {
  const args = (out: string, epochs: number, seed = 3): string[] => [
    'examples/iris_mlp.json',
    '--data',
    'iris',
    '--epochs',
    String(epochs),
    '--seed',
    String(seed),
    '--out',
    out,
    '--no-diagrams',
  ];

  it('the same seed gives identical metrics and weights; another seed does not', async () => {
    const [a, b, c] = ['seed-a', 'seed-b', 'seed-c'].map((d) => join(dir, d)) as [string, string, string];
    await trainOk(args(a, 3));
    await trainOk(args(b, 3));
    await trainOk(args(c, 3, 4));
    expect(withoutTimings(metrics(b))).toEqual(withoutTimings(metrics(a)));
    expect(readFileSync(join(b, 'weights.safetensors')).equals(readFileSync(join(a, 'weights.safetensors')))).toBe(
      true,
    );
    expect(readFileSync(join(c, 'weights.safetensors')).equals(readFileSync(join(a, 'weights.safetensors')))).toBe(
      false,
    );
  });

  it('train 2 epochs ≡ train 1 + --resume to 2 (bit-identical weights and optimizer state)', async () => {
    const straight = join(dir, 'two');
    const resumed = join(dir, 'one-plus-one');
    await trainOk(args(straight, 2));
    await trainOk(args(resumed, 1));
    expect(readCheckpoint(join(resumed, 'checkpoint.safetensors')).state.epoch).toBe(1);
    const r = await cli([
      'train',
      'examples/iris_mlp.json',
      '--resume',
      resumed,
      '--epochs',
      '2',
      '--quiet',
      '--no-diagrams',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^epoch 2\/2 /m);
    expect(r.stdout).not.toMatch(/^epoch 1\/2 /m);
    expect(
      readFileSync(join(resumed, 'weights.safetensors')).equals(readFileSync(join(straight, 'weights.safetensors'))),
    ).toBe(true);
    const a = decodeSafetensors(readFileSync(join(straight, 'checkpoint.safetensors'))).tensors;
    const b = decodeSafetensors(readFileSync(join(resumed, 'checkpoint.safetensors'))).tensors;
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const [name, t] of Object.entries(a)) expect(Array.from(b[name]!.data), name).toEqual(Array.from(t.data));
    expect(withoutTimings(metrics(resumed))).toEqual(withoutTimings(metrics(straight)));
  });
});
