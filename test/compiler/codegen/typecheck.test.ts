// Generated modules are standalone strict TypeScript: every example (f32 and f64, run-time and
// fixed batch, training and inference-only) and a few random specs are written to one folder
// and type-checked by a single `tsc --strict` run, with no ambient types and no imports.
// A control file with a strict-only error proves the run really checked strictly.
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
import { inferenceOnly } from './support.js';

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
        const options: CompileOptions = { dtype, ...(batch === undefined ? {} : { batch }) };
        out.push({
          file: `${label}.${mode}.${dtype}.${batch === undefined ? 'batchB' : `batch${batch}`}.ts`,
          spec: s,
          options,
        });
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
  ...randomSpecs.flatMap((spec, i) => variants(`random${i}`, spec).filter((c) => RANDOM_VARIANTS.test(c.file))),
];

// `strict` rejects an untyped parameter (implicit any); without it this file would pass.
const CONTROL = 'export function control(x) { return x; }\n';

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
    expect(control, 'the control file must fail with an implicit any (strict is on)').toEqual([
      expect.stringMatching(/^control\.ts\(1,25\): error TS7006: Parameter 'x' implicitly has an 'any' type\./),
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
