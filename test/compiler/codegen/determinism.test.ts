// The generated module is a pure function of the spec and options: compiling again (after other
// compiles, in another order) gives byte-identical source, and each example's f32 module is a
// golden file (test/baselines/reference/<example>.module.ts.txt; a reviewed change is accepted
// with `npm run baseline:accept`). The golden diff is where a codegen change shows its effect.
import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { compile, type CompileOptions } from '../../../src/api.js';
import { baseline } from '../../support/baseline.js';
import { exampleSpecs } from '../../support/examples.js';
import { inferenceOnly } from './support.js';

const examples = [...exampleSpecs()];

describe('generated source is deterministic', () => {
  it('compiling every example twice, in reverse order the second time, gives identical bytes', () => {
    const variants: [string, GraphSpec, CompileOptions][] = examples.flatMap(
      ([name, spec]): [string, GraphSpec, CompileOptions][] => [
        [`${name} f32`, spec, {}],
        [`${name} f64 batch 4`, spec, { dtype: 'f64', batch: 4 }],
        [`${name} inference`, inferenceOnly(spec), {}],
      ],
    );
    const first = variants.map(([label, spec, options]) => [label, compile(spec, options).source] as const);
    const second = new Map(
      [...variants].reverse().map(([label, spec, options]) => [label, compile(spec, options).source] as const),
    );
    const differing = first.filter(([label, source]) => second.get(label) !== source).map(([label]) => label);
    expect(differing).toEqual([]);
    // And the variants are really different modules (the comparison is not of one constant text).
    expect(new Set(first.map(([, source]) => source)).size).toBe(first.length);
  });

  it.each(examples.map(([name]) => name))('%s: golden f32 module', (name) => {
    const spec = exampleSpecs().get(name);
    if (spec === undefined) throw new Error(`no example ${name}`);
    const file = `${name}.module.ts.txt`;
    const { local, reference } = baseline(file, compile(spec).source);
    expect(reference, `missing test/baselines/reference/${file}: run npm run baseline:accept`).toBeDefined();
    expect(local, `${file} differs from its reference: diff test/baselines/local/${file} against reference/`).toBe(
      reference,
    );
  });
});

describe('golden TS-kernel module', () => {
  // The default modules above are mostly wasm; this one shows the TypeScript kernels (with their
  // row functions for threads) as `--kernels js` writes them.
  it('two_layer_sigmoid --kernels js', () => {
    const spec = exampleSpecs().get('two_layer_sigmoid');
    if (spec === undefined) throw new Error('no example two_layer_sigmoid');
    const file = 'two_layer_sigmoid.js-kernels.module.ts.txt';
    const { local, reference } = baseline(file, compile(spec, { kernels: 'js' }).source);
    expect(reference, `missing test/baselines/reference/${file}: run npm run baseline:accept`).toBeDefined();
    expect(local, `${file} differs from its reference: diff test/baselines/local/${file} against reference/`).toBe(
      reference,
    );
  });
});
