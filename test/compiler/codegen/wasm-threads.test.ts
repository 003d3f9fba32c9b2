// Threads in `wasm-simd` modules (`createModelAsync({ threads })`): for every example and random
// specs, at batch sizes 1, 7, 64 and 130, models on 1, 2 and 3 threads (3 splits unevenly) agree
// with the reference interpreter and with each other bit for bit: forward outputs, loss,
// gradients, and parameters after training steps. The thread threshold is lowered to 0 so every
// matmul that can be split is (the default keeps small ones on the calling thread). Also: the
// shared memory is really in use, `createModel` refuses threads, and a Node process that creates,
// uses and disposes a threaded model exits by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModule } from '../../../compiler/codegen/emit-module.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { loadModuleSource } from '../../../runtime/load-module.js';
import type { ModelModule } from '../../../runtime/model.js';
import { compile, load } from '../../../src/api.js';
import { graph } from '../../../src/frontend/builder.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { randomSpec } from '../../support/random-spec.js';
import type { Tolerance } from './support.js';
import { checkThreads, create, exitsAfterDispose, type ThreadCheck } from './threads-support.js';

/** As in wasm-mode.test.ts: the wasm matmuls sum in f32 (the derivation is there). */
const WASM_F32: Tolerance = { rel: 1e-4, abs: 1e-4 };

/** The spec's wasm-simd module with every matmul in wasm and every splittable one threaded. */
async function threadedModule(
  spec: GraphSpec,
  batch: number | undefined,
): Promise<{ mod: ModelModule; source: string }> {
  const compiled = compile(spec, { dtype: 'f32', ...(batch === undefined ? {} : { batch }), kernels: 'wasm-simd' });
  const source = emitModule(compiled.graph, {
    dtype: 'f32',
    ...(batch === undefined ? {} : { batch }),
    kernels: 'wasm-simd',
    wasmMinMacs: 0,
    threadMinMacs: 0,
  });
  return { mod: await loadModuleSource(source, compiled.name), source };
}

const wasmCheck: ThreadCheck = {
  build: threadedModule,
  dtype: 'f32',
  tolerance: WASM_F32,
  splits: /split(Rows|Cols|Blocks)\(threadPool/,
};

const examples = [...exampleSpecs()];

describe('threaded wasm-simd modules: 1, 2 and 3 threads agree bit for bit and with the interpreter', () => {
  // mnist_mlp runs at fixed batches below (its interpreter runs at batch 130 are the slow part).
  it.each(examples.map(([name]) => name).filter((n) => n !== 'mnist_mlp'))(
    '%s, run-time batch 1, 7, 64, 130',
    async (name) => {
      await checkThreads(exampleSpec(name), false, 3, wasmCheck);
    },
  );

  it.each(['mnist_mlp', 'residual_mlp', 'two_layer_sigmoid'])('%s, fixed batch 1, 7, 64, 130', async (name) => {
    await checkThreads(exampleSpec(name), true, 5, wasmCheck);
  });

  // Widths 100 and 70 split into column blocks of 32 with a narrower last block (nn forward, nt
  // backward), relu's bias and activation in the wasm store, tanh's in TypeScript.
  const columns: GraphSpec = graph('column_blocks')
    .input('x', [null, 20])
    .target('y', [null])
    .linear('fc1', 100)
    .relu('h1')
    .linear('fc2', 70)
    .tanh('h2')
    .linear('fc3', 3)
    .softmax('p')
    .output('p')
    .loss('cross_entropy', 'p', 'y')
    .train({ optimizer: 'sgd', lr: 0.1, seed: 4 })
    .build();

  it.each([false, true])('column blocks with a tail block, fused relu store (fixed batch: %s)', async (fixed) => {
    const { source } = await threadedModule(columns, fixed ? 64 : undefined);
    // fc1: 3 blocks of 32 columns and a tail of 4 (the tail function's index, not −1).
    expect(source).toMatch(/splitCols\(threadPool, \d+, \d+, [^;]*, 3, 128, 128,/);
    expect(source).toContain('bias and relu in its store');
    await checkThreads(columns, fixed, 11, wasmCheck);
  });

  // relu' in the store of a narrow backward matmul (nt, 40 columns): split by rows, the saved
  // activation advancing with C's rows.
  const narrow: GraphSpec = graph('narrow_relu')
    .input('x', [null, 20])
    .target('y', [null])
    .linear('fc1', 40)
    .relu('h1')
    .linear('fc2', 10)
    .softmax('p')
    .output('p')
    .loss('cross_entropy', 'p', 'y')
    .train({ optimizer: 'sgd', lr: 0.1, seed: 6 })
    .build();

  it("relu' in the store, split by rows (fixed batches)", async () => {
    const { source } = await threadedModule(narrow, 64);
    expect(source).toContain("relu' of the saved");
    expect(source).toMatch(/splitRows\(threadPool, \d+, [^;]*\.byteOffset, 160, 64,/);
    await checkThreads(narrow, true, 13, wasmCheck);
  });

  it('random specs, run-time batch', async () => {
    const specs = fc.sample(randomSpec({ maxWidth: 24, maxDepth: 4, train: 'always' }), { numRuns: 4, seed: 16 });
    for (const [i, spec] of specs.entries()) {
      const source = (await threadedModule(spec, undefined)).source;
      if (!/split(Rows|Cols|Blocks)\(threadPool/.test(source)) continue;
      await checkThreads(spec, false, 100 + i, wasmCheck);
    }
  });
});

describe('threads: memory, options, lifetime', () => {
  it('a threaded model keeps its arena in shared memory; a 1-thread model does not', async () => {
    const { mod } = await threadedModule(exampleSpec('mnist_mlp'), 64);
    const two = await create(mod, 2, 1);
    const one = await create(mod, 1, 1);
    expect(two.params['fc1.weight']?.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(one.params['fc1.weight']?.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    two.dispose?.();
    one.dispose?.();
  });

  it('the API: load(spec, { threads: 2 }) creates the threaded model', async () => {
    const model = await load(exampleSpec('mnist_mlp'), { kernels: 'wasm-simd', batch: 64, threads: 2, seed: 1 });
    expect(model.params['fc1.weight']?.buffer).toBeInstanceOf(SharedArrayBuffer);
    model.dispose?.();
  });

  it('createModel refuses threads > 1 and names createModelAsync; bad counts are refused', async () => {
    const { mod } = await threadedModule(exampleSpec('mnist_mlp'), 64);
    expect(() => mod.createModel({ threads: 2 })).toThrow(/threads: 2 needs createModelAsync/);
    await expect(create(mod, 0, 1)).rejects.toThrow(/threads: expected a positive integer/);
    await expect(create(mod, 1.5, 1)).rejects.toThrow(/threads: expected a positive integer/);
  });

  const dir = mkdtempSync(join(tmpdir(), 'chainrule-threads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a Node process that creates, trains and disposes a 2-thread model exits by itself with code 0', async () => {
    const compiled = compile(exampleSpec('mnist_mlp'), { batch: 64, kernels: 'wasm-simd', emit: 'js' });
    await exitsAfterDispose(dir, compiled.js ?? '', 'Float32Array');
  });
});
