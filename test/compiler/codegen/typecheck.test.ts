// Generated modules are standalone strict TypeScript: every example (f32 and f64, js and
// wasm-simd kernels, run-time and fixed batch, training and inference-only), a spec whose names
// could collide once made identifiers, and a few random specs are written to one folder and
// type-checked by a single `tsc --strict --noUnusedLocals --noUnusedParameters
// --noUncheckedIndexedAccess --exactOptionalPropertyTypes` run, with no ambient types and no
// imports. Control files with errors only those flags report prove the run really used them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { compile, type CompileOptions } from '../../../src/api.js';
import { exampleSpecs } from '../../support/examples.js';
import { randomSpec } from '../../support/random-spec.js';
import { collidingNames, inferenceOnly } from './support.js';

const tsc = new URL('../../../node_modules/.bin/tsc', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chainrule-tsc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  readonly file: string;
  readonly spec: GraphSpec;
  readonly options: CompileOptions;
}

function variants(label: string, spec: GraphSpec): Case[] {
  const out: Case[] = [];
  for (const [mode, s] of [
    ['train', spec],
    ['infer', inferenceOnly(spec)],
  ] as const) {
    if (mode === 'train' && spec.loss === undefined) continue;
    for (const dtype of ['f32', 'f64'] as const) {
      for (const batch of [undefined, 8]) {
        for (const kernels of dtype === 'f32' ? (['js', 'wasm-simd'] as const) : (['js'] as const)) {
          const options: CompileOptions = { dtype, kernels, ...(batch === undefined ? {} : { batch }) };
          out.push({
            file: `${label}.${mode}.${dtype}.${kernels === 'js' ? '' : 'wasm.'}${batch === undefined ? 'batchB' : `batch${batch}`}.ts`,
            spec: s,
            options,
          });
        }
      }
    }
  }
  return out;
}

// Random specs reach ops and heads no example uses (mse, log_softmax, gelu, add joins); three
// variants each keep the compile time down (compiling is most of this test's time).
const randomSpecs = fc.sample(randomSpec({ maxWidth: 12, maxDepth: 5, train: 'always' }), { numRuns: 5, seed: 42 });
const RANDOM_VARIANTS = /\.(train\.f32\.batchB|train\.f64\.batch8|infer\.f32\.batchB)\.ts$/;
const cases: Case[] = [
  ...[...exampleSpecs()].flatMap(([name, spec]) => variants(name, spec)),
  ...variants('names', collidingNames),
  ...randomSpecs.flatMap((spec, i) => variants(`random${i}`, spec).filter((c) => RANDOM_VARIANTS.test(c.file))),
];

// Each line is an error under exactly one of the flags (implicit any, unused local, unused
// parameter, unchecked index, an explicit undefined in an optional property); without them
// this file would pass.
const CONTROL = [
  'export function control(x) { return x; }',
  'export function unusedLocal(): void { const y = 1; }',
  'export function unusedParameter(z: number): void {}',
  'export function unchecked(a: Float32Array): number { return a[0]; }',
  'export const exact: { readonly o?: number } = { o: undefined };',
  '',
].join('\n');

const IMPORT = /^\s*import[\s{*'"]|\bimport\s*\(|\brequire\s*\(/m;

describe('generated modules type-check under tsc --strict', () => {
  it(`${cases.length} modules in one tsc run, no imports`, () => {
    const withImports: string[] = [];
    for (const c of cases) {
      const { source } = compile(c.spec, c.options);
      if (IMPORT.test(source)) withImports.push(c.file);
      writeFileSync(join(dir, c.file), source);
    }
    expect(withImports).toEqual([]);
    writeFileSync(join(dir, 'control.ts'), CONTROL);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        lib: ['ES2022'],
        types: [],
        noEmit: true,
      },
      include: ['*.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const run = spawnSync(tsc, ['-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
    const diagnostics = `${run.stdout}${run.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
    const control = diagnostics.filter((l) => l.startsWith('control.ts'));
    expect(control, 'the control file must fail once per flag (the flags are on)').toEqual([
      expect.stringMatching(/^control\.ts\(1,25\): error TS7006: Parameter 'x' implicitly has an 'any' type\./),
      expect.stringMatching(/^control\.ts\(2,45\): error TS6133: 'y' is declared but its value is never read\./),
      expect.stringMatching(/^control\.ts\(3,33\): error TS6133: 'z' is declared but its value is never read\./),
      expect.stringMatching(/^control\.ts\(4,54\): error TS2322: Type 'number \| undefined' is not assignable/),
      expect.stringMatching(/^control\.ts\(5,14\): error TS2375: /),
    ]);
    expect(diagnostics.filter((l) => !l.startsWith('control.ts'))).toEqual([]);
  });

  it('the import check catches imports and requires', () => {
    for (const bad of [
      "import { a } from './/a.js';",
      "import * as fs from 'node:fs';",
      "const m = await import('x');",
      "const r = require('x');",
    ]) {
      expect(IMPORT.test(`// header\n${bad}\n`), bad).toBe(true);
    }
    expect(IMPORT.test('// nothing imported here; important values\nconst important = 1;\n')).toBe(false);
  });
});
