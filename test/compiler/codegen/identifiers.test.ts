// Emitted identifiers are unique by construction: a spec whose names collide once sanitized
// (`x`, `_x`, `x_`), or clash with reserved words and the module's own identifiers, compiles to
// a module that transpiles, loads and computes what the interpreter computes (js and wasm-simd,
// run-time and fixed batch). Its strict type check is in typecheck.test.ts.
import { describe, expect, it } from 'vitest';
import type { KernelMode } from '../../../compiler/codegen/wasm/module-wasm.js';
import { compileSpec } from '../../support/pipeline.js';
import { rng } from '../../support/rng.js';
import { collidingNames, compiledModel, randomBatch, stepProblems, TOLERANCE } from './support.js';

describe('emitted identifiers', () => {
  for (const kernels of ['js', 'wasm-simd'] as const satisfies readonly KernelMode[]) {
    for (const batch of [undefined, 4]) {
      it(`x, _x, x_, reserved words and the module's own names: ${kernels}, ${batch === undefined ? 'run-time' : 'fixed'} batch`, async () => {
        const { model, compiled } = await compiledModel(
          collidingNames,
          { kernels, ...(batch === undefined ? {} : { batch }) },
          5,
        );
        expect(Object.keys(compiled.graph.nodes.filter((n) => n.role === 'input'))).toHaveLength(3);
        const { joint } = compileSpec(collidingNames, { dtype: 'f32' });
        const data = randomBatch(joint, batch ?? 6, rng(9), 'f32');
        expect(stepProblems(model, joint, data, TOLERANCE.f32)).toEqual([]);
      });
    }
  }
});
