// wasm-simd modules on an engine with relaxed SIMD: the module instantiates its relaxed_madd build
// (WASM_MATMULS_RELAXED) and still computes what the reference interpreter computes, within the
// tolerance wasm-mode.test.ts uses (derivation there). Node 20 has relaxed SIMD behind a V8 flag,
// set below; vitest's forks pool runs each test file in its own process, so no other file sees it.
// Without the flag (wasm-mode.test.ts) the same modules run their plain-SIMD build.
import v8 from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { loadModuleSource } from '../../../runtime/load-module.js';
import { compile } from '../../../src/api.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';
import { wasm } from '../../support/wasm-api.js';
import { randomBatch, stepProblems, type Tolerance } from './support.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const WASM_F32: Tolerance = { rel: 1e-4, abs: 1e-4 };

/** The embedded base64 string `name` of a module's source, decoded. */
function embedded(source: string, name: string): Uint8Array {
  const m = new RegExp(`const ${name} = ["']([A-Za-z0-9+/=]+)["']`).exec(source);
  if (m === null) throw new Error(`no ${name} in the module`);
  return Uint8Array.from(Buffer.from(m[1]!, 'base64'));
}

async function parity(spec: GraphSpec, batch: number | undefined, rows: number, seed: number): Promise<string[]> {
  const compiled = compile(spec, { dtype: 'f32', kernels: 'wasm-simd', ...(batch === undefined ? {} : { batch }) });
  const relaxed = embedded(compiled.source, 'WASM_MATMULS_RELAXED');
  // The relaxed build is the one this engine instantiates (the prelude's wasmMatmulBytes), and it differs.
  expect(wasm.validate(relaxed)).toBe(true);
  expect(relaxed).not.toEqual(embedded(compiled.source, 'WASM_MATMULS'));
  const mod = await loadModuleSource(compiled.source, compiled.name);
  const model = mod.createModel({ seed });
  const { joint } = compileSpec(spec, { dtype: 'f32' });
  return stepProblems(model, joint, randomBatch(joint, rows, rng(seed + 1), 'f32'), WASM_F32);
}

describe('wasm-simd modules with relaxed SIMD equal the reference interpreter', () => {
  const withMatmuls = [...exampleSpecs()].filter(([name]) =>
    compile(exampleSpec(name), { dtype: 'f32', kernels: 'wasm-simd' }).source.includes('WASM_MATMULS_RELAXED'),
  );

  it.each(withMatmuls.map(([name]) => name))(
    '%s: run-time and fixed batch (130 rows: every tile kind)',
    async (name) => {
      const spec = exampleSpec(name);
      expect(await parity(spec, undefined, 7, 3)).toEqual([]);
      expect(await parity(spec, 130, 130, 4)).toEqual([]);
    },
  );

  it('random specs: forward, lossAndGrads, two trainSteps', async () => {
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(
        randomSpec({ maxWidth: 10, maxDepth: 4, train: 'always' }),
        fc.integer({ min: 1, max: 9 }),
        fc.nat({ max: 1000 }),
        async (spec, rows, seed) => {
          const source = compile(spec, { dtype: 'f32', kernels: 'wasm-simd' }).source;
          if (!source.includes('WASM_MATMULS_RELAXED')) return;
          reached++;
          expect(await parity(spec, undefined, rows, seed)).toEqual([]);
        },
      ),
      { numRuns: 10, seed: 16 },
    );
    expect(reached, 'the random specs must have wasm matmuls').toBeGreaterThan(3);
  });
});
