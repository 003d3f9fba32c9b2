// What the thread tests of both backends share (wasm-threads.test.ts, js-threads.test.ts): a
// trace of every number a model produces over a few calls, and the check that models on 1, 2
// and 3 threads agree with the interpreter and with each other bit for bit.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import type { FloatDType } from '../../../compiler/ir/types.js';
import type { Feed, GeneratedModel, ModelModule } from '../../../runtime/model.js';
import { compileSpec } from '../../support/pipeline.js';
import { rng } from '../../support/rng.js';
import { randomBatch, stepProblems, type Tolerance } from './support.js';

export const BATCHES = [1, 7, 64, 130] as const;
export const THREADS = [1, 2, 3] as const;

/** A spec's threaded module at a batch (undefined: run-time), and its source. */
export type ThreadedModule = (
  spec: GraphSpec,
  batch: number | undefined,
) => Promise<{ readonly mod: ModelModule; readonly source: string }>;

/** What a backend's thread check needs besides the spec. */
export interface ThreadCheck {
  readonly build: ThreadedModule;
  readonly dtype: FloatDType;
  readonly tolerance: Tolerance;
  /** Matches a source that splits some product among threads. */
  readonly splits: RegExp;
}

export async function create(mod: ModelModule, threads: number, seed: number): Promise<GeneratedModel> {
  if (mod.createModelAsync === undefined) throw new Error('the module has no createModelAsync');
  return mod.createModelAsync({ seed, threads });
}

/** Every number a few calls produce, in order: outputs, loss, gradients, then losses and parameters of two steps. */
function trace(model: GeneratedModel, batch: { inputs: Feed; targets: Feed }): Float64Array {
  const out: number[] = [];
  const take = (record: Readonly<Record<string, ArrayLike<number>>>): void => {
    for (const key of Object.keys(record).sort()) out.push(...Array.from(record[key] as ArrayLike<number>));
  };
  take(model.forward(batch.inputs));
  out.push(model.lossAndGrads(batch.inputs, batch.targets));
  take(model.grads);
  for (let i = 0; i < 2; i++) out.push(model.trainStep(batch.inputs, batch.targets));
  take(model.params);
  return Float64Array.from(out);
}

/** Index of the first value that differs bit for bit (NaN included), or −1. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/**
 * Interpreter parity on 3 threads at every batch size (a fresh model each time, so the parameters
 * are the seeded ones); then, for each thread count, one model run through every batch size in
 * turn, whose trace must equal the 1-thread trace exactly.
 */
export async function checkThreads(spec: GraphSpec, fixed: boolean, seed: number, check: ThreadCheck): Promise<void> {
  const { joint } = compileSpec(spec, { dtype: check.dtype });
  const runs = fixed
    ? await Promise.all(BATCHES.map(async (b) => ({ batches: [b], ...(await check.build(spec, b)) })))
    : [{ batches: [...BATCHES], ...(await check.build(spec, undefined)) }];
  for (const { batches, mod, source } of runs) {
    if (batches.some((b) => b >= 64)) expect(source, 'something must be split among threads').toMatch(check.splits);
    const data = batches.map((b) => randomBatch(joint, b, rng(seed + b), check.dtype));
    const traces: Float64Array[] = [];
    // Parity on 3 threads (uneven chunks, two workers); the others must then match it bit for bit.
    for (const batch of data) {
      const model = await create(mod, 3, seed);
      expect(stepProblems(model, joint, batch, check.tolerance), '3 threads').toEqual([]);
      model.dispose?.();
    }
    for (const threads of THREADS) {
      const model = await create(mod, threads, seed);
      const parts = data.map((batch) => trace(model, batch));
      model.dispose?.();
      traces.push(Float64Array.from(parts.flatMap((p) => Array.from(p))));
    }
    for (const [i, t] of traces.entries()) {
      expect(firstDifference(t, traces[0] as Float64Array), `${THREADS[i]} threads vs 1, batches ${batches}`).toBe(-1);
    }
  }
}

/**
 * A Node process that imports the MNIST module `js` (batch 64), creates a 2-thread model, trains
 * three steps and disposes it must exit by itself with code 0 (no live worker handles).
 */
export async function exitsAfterDispose(
  dir: string,
  js: string,
  floats: 'Float32Array' | 'Float64Array',
): Promise<void> {
  const modulePath = join(dir, `mnist_mlp_${floats}.mjs`);
  writeFileSync(modulePath, js);
  const script = join(dir, `run_${floats}.mjs`);
  writeFileSync(
    script,
    [
      `const { createModelAsync } = await import(${JSON.stringify(pathToFileURL(modulePath).href)});`,
      'const model = await createModelAsync({ seed: 1, threads: 2 });',
      `const x = new ${floats}(64 * 784).map((_, i) => Math.sin(i));`,
      'const y = new Int32Array(64).map((_, i) => i % 10);',
      'for (let i = 0; i < 3; i++) model.trainStep({ x }, { y });',
      'model.dispose();',
      "console.log('disposed');",
    ].join('\n'),
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('still running after 20 s');
    }, 20_000);
    child.on('exit', (c, signal) => {
      clearTimeout(timer);
      resolve(c ?? `signal ${signal}`);
    });
  });
  expect(output).toContain('disposed');
  expect(code, output).toBe(0);
}
