// The `.js` + `.d.ts` pair `compile` writes beside the `.ts` (--emit js|both): deterministic and
// import-free like the `.ts`; plain Node 20 imports the `.js` (a child process, no loader) and
// gets the interpreter's numbers; and the `.d.ts` declares what the `.ts` defines (checked by
// tsc in both directions, under the strict flags a consumer may use). The other codegen tests
// (interpreter parity, zero allocation, gradients, wasm) load the emitted `.js` as well.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, type CompileOptions } from '../../../src/api.js';
import { compileSpec } from '../../support/pipeline.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { rng } from '../../support/rng.js';
import { interpret } from '../../../compiler/interp/interpret.js';
import { mismatches, randomBatch, TOLERANCE } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-js-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tsc = new URL('../../../node_modules/.bin/tsc', import.meta.url).pathname;
const IMPORT = /^\s*import[\s{*'"]|\bimport\s*\(|\brequire\s*\(/m;

const variants: [string, CompileOptions][] = [
  ['js', { emit: 'both' }],
  ['wasm', { emit: 'both', kernels: 'wasm-simd' }],
  ['f64', { emit: 'both', dtype: 'f64' }],
  ['batch4', { emit: 'js', batch: 4 }],
];

describe('the emitted .js and .d.ts', () => {
  it('deterministic and import-free for every example and variant; emit: ts (the API default) leaves them out', () => {
    for (const [name, spec] of exampleSpecs()) {
      for (const [, options] of variants) {
        const a = compile(spec, options);
        const b = compile(spec, options);
        expect(a.js, name).toBe(b.js);
        expect(a.declarations, name).toBe(b.declarations);
        expect(IMPORT.test(a.js ?? 'import x'), name).toBe(false);
        expect(IMPORT.test(a.declarations ?? 'import x'), name).toBe(false);
      }
    }
    for (const tsOnly of [compile(exampleSpec('xor_mlp'), { emit: 'ts' }), compile(exampleSpec('xor_mlp'))]) {
      expect(tsOnly.js).toBeUndefined();
      expect(tsOnly.declarations).toBeUndefined();
    }
  });

  it('plain Node imports the .js: forward and one trainStep match the interpreter (js and wasm-simd)', () => {
    const spec = exampleSpec('iris_mlp');
    for (const [label, options] of variants.slice(0, 2)) {
      const compiled = compile(spec, options);
      const folder = join(dir, `node-${label}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'iris_mlp.js'), compiled.js ?? '');
      const { joint } = compileSpec(spec, { dtype: 'f32' });
      const { inputs, targets } = randomBatch(joint, 5, rng(4), 'f32');
      const script = [
        "import { createModel, createModelAsync } from './iris_mlp.js';",
        `const inputs = { x: Float32Array.from(${JSON.stringify(Array.from(inputs['x'] ?? []))}) };`,
        `const targets = { y: Int32Array.from(${JSON.stringify(Array.from(targets['y'] ?? []))}) };`,
        'const model = createModel({ seed: 3 });',
        'const params = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v)]));',
        'const probs = Array.from(model.forward(inputs).probs);',
        'const loss = model.trainStep(inputs, targets);',
        'const after = await createModelAsync({ seed: 3 });',
        'after.trainStep(inputs, targets);',
        'const same = Object.keys(model.params).every((k) => model.params[k].every((v, i) => v === after.params[k][i]));',
        'console.log(JSON.stringify({ params, probs, loss, same }));',
      ].join('\n');
      writeFileSync(join(folder, 'run.mjs'), script);
      const run = spawnSync(process.execPath, ['run.mjs'], { cwd: folder, encoding: 'utf8' });
      expect(run.stderr, label).toBe('');
      const out = JSON.parse(run.stdout) as {
        params: Record<string, number[]>;
        probs: number[];
        loss: number;
        same: boolean;
      };
      const params = Object.fromEntries(Object.entries(out.params).map(([k, v]) => [k, Float32Array.from(v)]));
      const reference = interpret(joint, { feeds: { ...inputs, ...targets }, params, state: {} });
      const probs = reference.outputs['probs']?.data ?? [];
      expect(mismatches(out.probs, probs, 'probs', TOLERANCE.f32), label).toEqual([]);
      expect(mismatches([out.loss], [reference.loss ?? Number.NaN], 'loss', TOLERANCE.f32), label).toEqual([]);
      expect(out.same, `${label}: createModelAsync trains exactly like createModel`).toBe(true);
    }
  });

  it('the .d.ts declares what the .ts defines, and type-checks under strict consumer flags', () => {
    const check = join(dir, 'types');
    const cases: [string, CompileOptions][] = [
      ['xor_mlp', { emit: 'both' }],
      ['mnist_mlp', { emit: 'both', kernels: 'wasm-simd', batch: 8 }],
      ['iris_mlp', { emit: 'both', dtype: 'f64' }],
    ];
    const lines: string[] = ['type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;'];
    for (const [name, options] of cases) {
      const compiled = compile(exampleSpec(name), options);
      mkdirSync(join(check, 'ts'), { recursive: true });
      mkdirSync(join(check, 'js'), { recursive: true });
      writeFileSync(join(check, 'ts', `${name}.ts`), compiled.source);
      writeFileSync(join(check, 'js', `${name}.js`), compiled.js ?? '');
      writeFileSync(join(check, 'js', `${name}.d.ts`), compiled.declarations ?? '');
      const t = `T_${name}`;
      const j = `J_${name}`;
      lines.push(`import type * as ${t} from './ts/${name}';`, `import type * as ${j} from './js/${name}.js';`);
      for (const what of ['createModel', 'createModelAsync', 'modelInfo']) {
        lines.push(`export const ${name}_${what}: Same<typeof ${t}.${what}, typeof ${j}.${what}> = true;`);
      }
      for (const type of ['Model', 'Inputs', 'Targets', 'Outputs', 'CreateModelOptions', 'Preprocessing']) {
        lines.push(`export const ${name}_${type}: Same<${t}.${type}, ${j}.${type}> = true;`);
      }
    }
    // A consumer's use of the declarations, from the README.
    lines.push(
      "import { createModel } from './js/xor_mlp.js';",
      'const model = createModel({ seed: 1 });',
      'export const p: Float32Array = model.forward({ x: new Float32Array([0, 1]) }).p;',
    );
    writeFileSync(join(check, 'consumer.ts'), `${lines.join('\n')}\n`);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        noPropertyAccessFromIndexSignature: true,
        verbatimModuleSyntax: true,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        lib: ['ES2022'],
        types: [],
        noEmit: true,
      },
      include: ['consumer.ts', 'js/*.d.ts'],
    };
    writeFileSync(join(check, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const run = spawnSync(tsc, ['-p', 'tsconfig.json', '--pretty', 'false'], { cwd: check, encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l))).toEqual([]);
    expect(run.status).toBe(0);
  });
});
