// The README's "Use it in your app" examples, run as written: the Node snippet with plain `node`
// in a folder holding what `chainrule train` wrote, the browser snippet as a page in headless
// Chromium (Debian's, driven by playwright-core) served next to the same files. Both must print
// the classes `chainrule predict` gives for the same raw rows. A second page imports an emitted
// wasm-simd `.js` (MNIST's, far above the 4 KB browsers compile synchronously on the main
// thread), creates the model with createModelAsync, runs forward and one trainStep, and its
// numbers must match the reference interpreter.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpret } from '../../compiler/interp/interpret.js';
import { compile } from '../../src/api.js';
import { mismatches, randomBatch, TOLERANCE } from '../compiler/codegen/support.js';
import { exampleSpec } from '../support/examples.js';
import { compileSpec } from '../support/pipeline.js';
import { rng } from '../support/rng.js';
import { cli, root } from './cli-harness.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';

const browser = chromiumAvailable;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The fenced block of `lang` right after the `<!-- app:NAME … -->` marker. */
function snippet(name: string, lang: string): string {
  const m = new RegExp(`<!-- app:${name}[^>]*-->\\n\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (m?.[1] === undefined) throw new Error(`README.md has no app:${name} ${lang} block`);
  return m[1];
}

const app = mkdtempSync(join(tmpdir(), 'chainrule-app-'));
const irisDir = join(app, 'out', 'iris');
const rows = '5.1,3.5,1.4,0.2\n6.7,3.1,4.7,1.5\n';
let predicted = '';

beforeAll(async () => {
  const train = await cli(['train', 'examples/iris_mlp.json', '--data', 'iris', '--out', irisDir, '--no-diagrams']);
  expect(train.code, train.stderr).toBe(0);
  const csv = join(app, 'rows.csv');
  writeFileSync(csv, `a,b,c,d\n${rows}`);
  const predict = await cli([
    'predict',
    'examples/iris_mlp.json',
    '--weights',
    join(irisDir, 'weights.safetensors'),
    '--data',
    csv,
  ]);
  expect(predict.code).toBe(0);
  predicted = predict.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[1])
    .join(' ');
}, 120_000);

describe('README: use it in your app', () => {
  it('the Node example prints what chainrule predict prints (and what its comment says)', () => {
    const code = snippet('node', 'js');
    expect(code.replace(/\s/g, '')).toContain(rows.trim().split('\n').join(','));
    writeFileSync(join(app, 'app.mjs'), code);
    const run = spawnSync(process.execPath, ['app.mjs'], { cwd: app, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(predicted);
    expect(code).toContain(`// ${predicted}`);
  });

  describe.skipIf(!browser)('in headless Chromium', () => {
    let context: BrowserContext;
    let server: Server;
    let base = '';
    const errors: string[] = [];
    const pages = new Map<string, string>();

    beforeAll(async () => {
      server = createServer((req, res) => {
        const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
        if (path === '/favicon.ico') {
          res.writeHead(204).end();
          return;
        }
        const page = pages.get(path);
        const file = join(app, path);
        if (page === undefined && (!file.startsWith(app) || !existsSync(file))) {
          res.writeHead(404).end();
          return;
        }
        const type = { '.html': 'text/html', '.js': 'text/javascript' }[extname(path)] ?? 'application/octet-stream';
        res.writeHead(200, { 'content-type': type }).end(page ?? readFileSync(file));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      context = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await new Promise((resolve) => server?.close(resolve));
    });

    async function open(path: string): Promise<import('playwright-core').Page> {
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      await page.goto(`${base}${path}`);
      return page;
    }

    it('the browser example shows what chainrule predict prints', async () => {
      pages.set('/out/iris/index.html', `<!doctype html>\n<body></body>\n${snippet('browser', 'html')}\n`);
      const page = await open('/out/iris/index.html');
      await page.waitForFunction('document.body.textContent.trim().length > 0', undefined, { timeout: 30_000 });
      expect(errors).toEqual([]);
      expect((await page.textContent('body'))?.trim()).toBe(predicted);
    }, 60_000);

    it('an emitted wasm-simd .js: createModelAsync, forward and one trainStep match the interpreter', async () => {
      const spec = exampleSpec('mnist_mlp');
      const compiled = compile(spec, { kernels: 'wasm-simd', emit: 'js' });
      expect(compiled.js).toMatch(/const WASM_MATMULS = ["'][A-Za-z0-9+/=]{3000,}["']/);
      // Chromium has relaxed SIMD: this runs the relaxed_madd build.
      expect(compiled.js).toMatch(/const WASM_MATMULS_RELAXED = ["'][A-Za-z0-9+/=]{3000,}["']/);
      mkdirSync(join(app, 'mnist'), { recursive: true });
      writeFileSync(join(app, 'mnist', 'mnist_mlp.js'), compiled.js ?? '');
      const { joint } = compileSpec(spec, { dtype: 'f32' });
      const { inputs, targets } = randomBatch(joint, 3, rng(21), 'f32');
      pages.set(
        '/mnist/index.html',
        [
          '<!doctype html><script type="module">',
          "import { createModelAsync } from './mnist_mlp.js';",
          `const x = Float32Array.from(${JSON.stringify(Array.from(inputs['x'] ?? []))});`,
          `const y = Int32Array.from(${JSON.stringify(Array.from(targets['y'] ?? []))});`,
          'const model = await createModelAsync({ seed: 4, threads: 1 });',
          'const params = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v)]));',
          'const probs = Array.from(model.forward({ x }).probs);',
          'const loss = model.trainStep({ x }, { y });',
          'const after = Array.from(model.params["fc2.bias"]);',
          'model.dispose();',
          'let disposed = false;',
          'try { model.forward({ x }); } catch { disposed = true; }',
          'window.result = JSON.stringify({ params, probs, loss, after, disposed });',
          '</script>',
        ].join('\n'),
      );
      const page = await open('/mnist/index.html');
      await page.waitForFunction('typeof window.result === "string"', undefined, { timeout: 30_000 });
      expect(errors).toEqual([]);
      const result = JSON.parse(String(await page.evaluate('window.result'))) as {
        params: Record<string, number[]>;
        probs: number[];
        loss: number;
        after: number[];
        disposed: boolean;
      };
      const params = Object.fromEntries(Object.entries(result.params).map(([k, v]) => [k, Float32Array.from(v)]));
      const reference = interpret(joint, { feeds: { ...inputs, ...targets }, params, state: {} });
      expect(mismatches(result.probs, reference.outputs['probs']?.data ?? [], 'probs', TOLERANCE.f32)).toEqual([]);
      expect(mismatches([result.loss], [reference.loss ?? Number.NaN], 'loss', TOLERANCE.f32)).toEqual([]);
      const bias = reference.params['fc2.bias'] ?? [];
      expect(mismatches(result.after, bias, 'fc2.bias after trainStep', TOLERANCE.f32)).toEqual([]);
      expect(result.disposed).toBe(true);
    }, 60_000);
  });
});
