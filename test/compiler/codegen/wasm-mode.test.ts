// The `kernels: 'wasm-simd'` mode: modules whose matmuls run as embedded WebAssembly SIMD compute
// what the reference interpreter computes (forward, lossAndGrads, two trainSteps), on every
// example and on random specs; they type-check standalone; allocate nothing per call; survive a
// run-time batch that grows past the scratch; and are deterministic.
//
// The cases pin the wasm threshold (`wasmMinMacs`) rather than rely on the default: at 0 every
// matmul with a wasm form runs in wasm, so every kernel kind (linear, linear + activation,
// linear + softmax, matmul + derivative, weight + bias gradient with fused SGD/momentum/Adam
// updates) is reached; one case raises it so some matmuls fall back to JS in the same module.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModule } from '../../../compiler/codegen/emit-module.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { loadModuleSource } from '../../../runtime/load-module.js';
import type { GeneratedModel } from '../../../runtime/model.js';
import { compile, type CompiledModel } from '../../../src/api.js';
import { main } from '../../../src/cli/main.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';
import { bytesPerCall, RETURNS_A_DOUBLE } from './heap.js';
import { inferenceOnly, randomBatch, stepProblems, type Tolerance } from './support.js';

/**
 * The wasm matmuls accumulate in f32 (4 lanes, then a horizontal sum), where the JS kernels
 * accumulate in doubles and round once. A k-term f32 dot product is off by about √k·2⁻²⁴ of
 * Σ|aᵢbᵢ| (k·2⁻²⁴ at worst): for k = 784 that is ≈ 2e-6 typically and 5e-5 at worst, relative
 * to the sum of magnitudes, which near cancellation exceeds a relative 1e-5 of the result.
 * Two training steps carry it into the parameters once more. So: 1e-4 relative, plus 1e-4 of
 * the array's largest magnitude (at least 1). A wrong index, operand or epilogue is off by
 * O(1) of the array's scale and still fails.
 */
const WASM_F32: Tolerance = { rel: 1e-4, abs: 1e-4 };

interface WasmOptions {
  readonly batch?: number;
  /** Threshold override (multiply-adds); 0 sends every matmul with a wasm form to wasm. */
  readonly minMacs?: number;
}

/** The spec compiled as the API does, emitted in wasm-simd mode. */
function wasmSource(spec: GraphSpec, o: WasmOptions): { compiled: CompiledModel; source: string } {
  const compiled = compile(spec, {
    dtype: 'f32',
    ...(o.batch === undefined ? {} : { batch: o.batch }),
    kernels: 'wasm-simd',
  });
  if (o.minMacs === undefined) return { compiled, source: compiled.source };
  const source = emitModule(compiled.graph, {
    dtype: 'f32',
    ...(o.batch === undefined ? {} : { batch: o.batch }),
    kernels: 'wasm-simd',
    wasmMinMacs: o.minMacs,
  });
  return { compiled, source };
}

async function wasmModel(
  spec: GraphSpec,
  o: WasmOptions,
  seed: number,
): Promise<{ compiled: CompiledModel; source: string; model: GeneratedModel }> {
  const { compiled, source } = wasmSource(spec, o);
  const mod = await loadModuleSource(source, compiled.name);
  return { compiled, source, model: mod.createModel({ seed }) };
}

/** How many matmuls the module's header says run in wasm. */
function wasmMatmuls(source: string): number {
  const m = /^\/\/ Matmuls: (\d+) of \d+ run as WebAssembly SIMD/m.exec(source);
  if (m === null) throw new Error('no wasm summary line in the module header');
  return Number(m[1]);
}

/** Where the wasm module and the interpreter disagree (see stepProblems), with the wasm f32 tolerance. */
function parity(model: GeneratedModel, spec: GraphSpec, rows: number, seed: number): string[] {
  const { joint } = compileSpec(spec, { dtype: 'f32' });
  return stepProblems(model, joint, randomBatch(joint, rows, rng(seed), 'f32'), WASM_F32);
}

const examples = [...exampleSpecs()];

describe('wasm-simd modules equal the reference interpreter', () => {
  it.each(examples.map(([name]) => name))('%s: every matmul in wasm, run-time and fixed batch', async (name) => {
    const spec = exampleSpec(name);
    for (const batch of [undefined, 6]) {
      const { source, model } = await wasmModel(spec, { minMacs: 0, ...(batch === undefined ? {} : { batch }) }, 3);
      expect(wasmMatmuls(source), 'some matmul must run in wasm').toBeGreaterThan(0);
      expect(parity(model, spec, batch ?? 7, 11)).toEqual([]);
    }
  });

  it('mnist_mlp at the default threshold: its matmuls run in wasm and match', async () => {
    const spec = exampleSpec('mnist_mlp');
    const { source, model } = await wasmModel(spec, { batch: 64 }, 5);
    expect(wasmMatmuls(source)).toBe(5);
    expect(parity(model, spec, 64, 2)).toEqual([]);
  });

  it('a fixed batch copies each input the matmuls read into the wasm memory once per call, not per matmul', async () => {
    const spec = exampleSpec('mnist_mlp');
    const { source, model } = await wasmModel(spec, { batch: 8 }, 5);
    // forward, lossAndGrads and trainStep each copy x once; the two matmuls reading it (fc1 and
    // d(fc1.weight)) take the copy in place.
    expect(source.match(/^ {4}t0_xInWasm\.set\(t0_x\);$/gm)).toHaveLength(3);
    expect(source).not.toMatch(/heap\.set\(t0_x/);
    expect(source.match(/t0_xInWasm\.byteOffset/g)?.length).toBeGreaterThanOrEqual(2);
    // Each call sees its own input: B after A gives what B gives a fresh model.
    const { joint } = compileSpec(spec, { dtype: 'f32' });
    const [a, b] = [1, 2].map((seed) => randomBatch(joint, 8, rng(seed), 'f32'));
    const bInputs = Object.fromEntries(Object.entries(b!.inputs).map(([k, v]) => [k, Float32Array.from(v)]));
    model.forward(a!.inputs);
    const after = Float32Array.from(model.forward(b!.inputs)['probs'] ?? []);
    const fresh = (await wasmModel(spec, { batch: 8 }, 5)).model;
    expect(after).toEqual(Float32Array.from(fresh.forward(b!.inputs)['probs'] ?? []));
    expect(after.length).toBe(80);
    expect(b!.inputs).toEqual(bInputs); // the caller's arrays are read, never written
  });

  it('mixed paths: matmuls below a raised threshold stay JS (and say so), the rest run in wasm', async () => {
    const spec = exampleSpec('mnist_mlp');
    // 64×784×128 products (fc1 forward and d(fc1.weight)) are ≥ 6.4M multiply-adds; the fc2 ones are 82k.
    const { source, model } = await wasmModel(spec, { batch: 64, minMacs: 1_000_000 }, 5);
    expect(wasmMatmuls(source)).toBe(2);
    // fc2 forward, d(h1), and d(fc2.weight) in its lossAndGrads and trainStep variants.
    expect(source.match(/\/\/ JS gemm: .*below the wasm threshold 1000000/g)).toHaveLength(4);
    expect(parity(model, spec, 64, 2)).toEqual([]);
  });

  it('random specs: forward, lossAndGrads, two trainSteps (f32, wasm tolerance)', async () => {
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(
        randomSpec({ maxWidth: 10, maxDepth: 5, train: 'always' }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat({ max: 1000 }),
        async (spec, batch, rows, seed) => {
          const { source, model } = await wasmModel(
            spec,
            { minMacs: 0, ...(batch === undefined ? {} : { batch }) },
            seed,
          );
          reached += wasmMatmuls(source);
          expect(parity(model, spec, batch ?? rows, seed)).toEqual([]);
        },
      ),
      { numRuns: 20, seed: 2025 },
    );
    expect(reached, 'the random specs must exercise wasm matmuls').toBeGreaterThan(20);
  });
});

describe('wasm-simd modules are standalone strict TypeScript', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainrule-wasm-tsc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tsc = new URL('../../../node_modules/.bin/tsc', import.meta.url).pathname;
  const IMPORT = /^\s*import[\s{*'"]|\bimport\s*\(|\brequire\s*\(/m;

  it('every example (train and inference, run-time and fixed batch) and random specs in one tsc --strict run, no imports', () => {
    const files = new Map<string, string>();
    for (const [name, spec] of examples) {
      for (const [mode, s] of [
        ['train', spec],
        ['infer', inferenceOnly(spec)],
      ] as const) {
        for (const batch of [undefined, 8]) {
          const tag = `${name}.${mode}.${batch === undefined ? 'batchB' : `batch${batch}`}`;
          files.set(`${tag}.ts`, wasmSource(s, { minMacs: 0, ...(batch === undefined ? {} : { batch }) }).source);
        }
      }
    }
    files.set('mnist_mlp.default.ts', wasmSource(exampleSpec('mnist_mlp'), {}).source);
    fc.sample(randomSpec({ maxWidth: 12, maxDepth: 5, train: 'always' }), { numRuns: 5, seed: 43 }).forEach(
      (spec, i) => {
        files.set(`random${i}.ts`, wasmSource(spec, { minMacs: 0 }).source);
      },
    );
    const withImports = [...files].filter(([, source]) => IMPORT.test(source)).map(([file]) => file);
    expect(withImports).toEqual([]);
    expect([...files.values()].filter((s) => wasmMatmuls(s) > 0).length).toBeGreaterThan(files.size / 2);
    for (const [file, source] of files) writeFileSync(join(dir, file), source);
    // `strict` rejects an untyped parameter: proves the run checked strictly.
    writeFileSync(join(dir, 'control.ts'), 'export function control(x) { return x; }\n');
    const tsconfig = {
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        lib: ['ES2022'],
        types: [],
        noEmit: true,
      },
      include: ['*.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const run = spawnSync(tsc, ['-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
    const diagnostics = `${run.stdout}${run.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(diagnostics.filter((l) => l.startsWith('control.ts'))).toHaveLength(1);
    expect(diagnostics.filter((l) => !l.startsWith('control.ts'))).toEqual([]);
  });
});

// The meter (heap.ts) is shown to see one Float32Array per call in zero-allocation.test.ts.
describe('wasm-simd modules allocate nothing per call', () => {
  it.each([
    ['iris_mlp, every matmul in wasm, run-time batch', 'iris_mlp', { minMacs: 0 }],
    ['iris_mlp, every matmul in wasm, fixed batch', 'iris_mlp', { minMacs: 0, batch: 5 }],
  ] as const)('%s: 10,000 trainStep calls', async (_label, name, options) => {
    const { compiled, source, model } = await wasmModel(exampleSpec(name), options, 1);
    expect(wasmMatmuls(source)).toBeGreaterThan(0);
    const { inputs, targets } = randomBatch(compiled.graph, 5, rng(9), 'f32');
    const params = Object.values(model.params);
    let loss = 0;
    const perCall = {
      trainStep: bytesPerCall(() => {
        loss = model.trainStep(inputs, targets);
      }),
      forward: bytesPerCall(() => model.forward(inputs)),
    };
    expect(Number.isFinite(loss)).toBe(true);
    expect(perCall.trainStep, 'trainStep B/call').toBeLessThanOrEqual(RETURNS_A_DOUBLE);
    expect(perCall.forward, 'forward B/call').toBeLessThan(1);
    Object.values(model.params).forEach((p, i) => expect(p, 'params stay the same arrays').toBe(params[i]));
  });
});

describe('wasm-simd run-time batch', () => {
  it('batch 3, then 70 (past the initial scratch), then 5: each matches the interpreter', async () => {
    const spec = exampleSpec('mnist_mlp');
    const { source, model } = await wasmModel(spec, {}, 4);
    expect(wasmMatmuls(source)).toBe(5);
    for (const rows of [3, 70, 5]) expect(parity(model, spec, rows, rows), `batch ${rows}`).toEqual([]);
  });
});

describe('wasm-simd options', () => {
  it('is deterministic: the same spec gives the same bytes, and differs from the js mode', () => {
    const spec = exampleSpec('mnist_mlp');
    const a = compile(spec, { kernels: 'wasm-simd' }).source;
    compile(exampleSpec('iris_mlp'), { kernels: 'wasm-simd', batch: 3 });
    const b = compile(spec, { kernels: 'wasm-simd' }).source;
    expect(a).toBe(b);
    expect(a).not.toBe(compile(spec, { kernels: 'js' }).source);
    expect(compile(spec, { kernels: 'auto' }).source).toBe(compile(spec).source);
  });

  it('a matmul past 2 GiB stays in TS and says so (found by npm run fuzz: units 1e9 crashed compile)', () => {
    const spec: GraphSpec = {
      name: 'huge',
      // A weight of exactly 2 GiB (8 × 2²⁶ floats): the most check allows per tensor (units 1e9
      // is a check error now: test/compiler/frontend/limits.test.ts), past what wasm32 addresses.
      inputs: { x: [null, 8] },
      nodes: [{ name: 'fc', op: 'linear', input: 'x', units: 2 ** 26 }],
      outputs: ['fc'],
    };
    for (const kernels of ['auto', 'wasm-simd'] as const) {
      const { source } = compile(spec, { kernels });
      expect(source).toMatch(/\d+ bytes exceed WebAssembly's 2 GiB memory/);
    }
  });

  it('f64 with wasm-simd is an error that says why (API and CLI)', async () => {
    expect(() => compile(exampleSpec('iris_mlp'), { dtype: 'f64', kernels: 'wasm-simd' })).toThrow(
      /wasm-simd' needs dtype 'f32'/,
    );
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array): boolean => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main([
        'compile',
        'examples/iris_mlp.json',
        '--out',
        join(tmpdir(), 'chainrule-never-written'),
        '--dtype',
        'f64',
        '--kernels',
        'wasm-simd',
      ]);
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(2);
    expect(written.join('')).toMatch(/--kernels wasm-simd needs --dtype f32/);
  });
});

/** The `Kernels: auto → W matmuls WebAssembly SIMD, T TS` header line, as numbers. */
function autoLine(source: string): { wasm: number; ts: number } {
  const m = /^\/\/ Kernels: auto → (\d+) matmuls? WebAssembly SIMD, (\d+) TS/m.exec(source);
  if (m === null) throw new Error('no auto summary line in the module header');
  return { wasm: Number(m[1]), ts: Number(m[2]) };
}

describe("kernels 'auto' (the default)", () => {
  it('mnist_mlp: every matmul is big enough for wasm; header, counts and results agree', async () => {
    const compiled = compile(exampleSpec('mnist_mlp'), { batch: 16 });
    expect(compiled.kernels).toBe('auto');
    expect(compiled.matmuls).toEqual({ wasm: 5, ts: 0 });
    expect(autoLine(compiled.source)).toEqual(compiled.matmuls);
    const model = (await loadModuleSource(compiled.source, compiled.name)).createModel({ seed: 4 });
    expect(parity(model, exampleSpec('mnist_mlp'), 16, 9)).toEqual([]);
  });

  it('iris_mlp: the k = 4 input layer stays TS (measured faster), the rest wasm; results match', async () => {
    const spec = exampleSpec('iris_mlp');
    for (const batch of [undefined, 8]) {
      const compiled = compile(spec, batch === undefined ? {} : { batch });
      const { wasm, ts } = compiled.matmuls;
      expect(wasm, 'some matmul in wasm').toBeGreaterThan(0);
      expect(ts, 'some matmul in TS').toBeGreaterThan(0);
      expect(autoLine(compiled.source)).toEqual(compiled.matmuls);
      // fc1 = [B,4]·[4,16]: k = 4 is below the calibrated minK, so the TS gemm says why.
      expect(compiled.source).toMatch(/\/\/ JS gemm: \[B?\d*,4\]·\[4,\d+\]: nn, .*measured faster in TS/);
      const model = (await loadModuleSource(compiled.source, compiled.name)).createModel({ seed: 2 });
      expect(parity(model, spec, batch ?? 5, 3)).toEqual([]);
    }
  });

  it('f64 just works: every matmul TS, the header says why', () => {
    const compiled = compile(exampleSpec('mnist_mlp'), { dtype: 'f64' });
    expect(compiled.matmuls).toEqual({ wasm: 0, ts: 5 });
    expect(compiled.source).toMatch(
      /^\/\/ Kernels: auto → 0 matmuls WebAssembly SIMD, 5 TS \(Float64Array: .*float32 only\)/m,
    );
    // No matmul bytes; WebAssembly.Memory only as the threads' shared memory.
    expect(compiled.source).not.toMatch(/decodeBase64|WASM_MATMULS|WebAssemblyApi\.(Module|Instance|compile)/);
  });

  it('js keeps every matmul TS with the header of before; wasm-simd keeps its own', () => {
    const spec = exampleSpec('iris_mlp');
    const js = compile(spec, { kernels: 'js' });
    expect(js.matmuls.wasm).toBe(0);
    expect(js.source).not.toMatch(/Kernels: auto|decodeBase64|WASM_MATMULS|WebAssemblyApi\.(Module|Instance|compile)/);
    const wasm = compile(spec, { kernels: 'wasm-simd' });
    expect(wasm.matmuls.wasm).toBe(wasmMatmuls(wasm.source));
    expect(wasm.matmuls.wasm + wasm.matmuls.ts).toBe(js.matmuls.ts);
  });
});
