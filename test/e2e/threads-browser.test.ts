import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/api.js';
import { exampleSpec } from '../support/examples.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';

const available = chromiumAvailable;

/** The page: 1 and 2 threads on the same batch; forward, three trainSteps, the parameters. */
const PAGE = [
  '<!doctype html><script type="module">',
  "import { createModelAsync } from './mnist_mlp.js';",
  'const x = new Float32Array(64 * 784).map((_, i) => Math.sin(i * 0.37));',
  'const y = new Int32Array(64).map((_, i) => i % 10);',
  'const run = async (threads) => {',
  '  const model = await createModelAsync({ seed: 4, threads });',
  '  const out = [...model.forward({ x }).probs];',
  '  for (let i = 0; i < 3; i++) out.push(model.trainStep({ x }, { y }));',
  '  for (const v of Object.values(model.params)) out.push(...v);',
  '  const shared = model.params["fc1.weight"].buffer instanceof (globalThis.SharedArrayBuffer ?? class {});',
  '  model.dispose();',
  '  return { out, shared };',
  '};',
  'const one = await run(1);',
  'const two = await run(2);',
  'const same = one.out.length === two.out.length && one.out.every((v, i) => Object.is(v, two.out[i]));',
  'window.result = JSON.stringify({ same, count: one.out.length, shared: two.shared, isolated: crossOriginIsolated });',
  '</script>',
].join('\n');

describe.skipIf(!available)('threads in headless Chromium', () => {
  let context: BrowserContext;
  let server: Server;
  let base = '';
  let js = '';
  /** The same model with TypeScript kernels (served under …/ts/). */
  let ts = '';

  beforeAll(async () => {
    js = compile(exampleSpec('mnist_mlp'), { batch: 64, kernels: 'wasm-simd', emit: 'js' }).js ?? '';
    ts = compile(exampleSpec('mnist_mlp'), { kernels: 'js', emit: 'js' }).js ?? '';
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      // /isolated/… is served cross-origin isolated, /plain/… is not.
      const isolation = url.pathname.startsWith('/isolated/')
        ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
        : {};
      if (url.pathname.endsWith('/index.html'))
        res.writeHead(200, { 'content-type': 'text/html', ...isolation }).end(PAGE);
      else if (url.pathname.endsWith('/mnist_mlp.js'))
        res
          .writeHead(200, { 'content-type': 'text/javascript', ...isolation })
          .end(url.pathname.includes('/ts/') ? ts : js);
      else if (url.pathname === '/favicon.ico') res.writeHead(204).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    context = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function result(
    path: string,
  ): Promise<{ page: Record<string, unknown>; errors: string[]; warnings: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    const warnings: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
      if (msg.type() === 'warning') warnings.push(msg.text());
    });
    await page.goto(`${base}${path}`);
    await page.waitForFunction('typeof window.result === "string"', undefined, { timeout: 45_000 });
    const value = JSON.parse(String(await page.evaluate('window.result'))) as Record<string, unknown>;
    await page.close();
    return { page: value, errors, warnings };
  }

  // The wasm-simd module, and the TS-kernel one whose workers rebuild the row functions from source.
  it.each([
    ['wasm-simd', '/isolated/index.html'],
    ['TypeScript kernels', '/isolated/ts/index.html'],
  ])(
    'cross-origin isolated, %s: 2 threads in shared memory, bit-identical to 1 thread',
    async (_, path) => {
      const { page, errors, warnings } = await result(path);
      expect(errors).toEqual([]);
      expect(warnings).toEqual([]);
      expect(page).toEqual({
        same: true,
        count: 640 + 3 + 784 * 128 + 128 + 128 * 10 + 10,
        shared: true,
        isolated: true,
      });
    },
    60_000,
  );

  it('not isolated: threads 2 falls back to one thread with a one-line warning, same numbers', async () => {
    const { page, errors, warnings } = await result('/plain/index.html');
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^chainrule: threads: 2 needs SharedArrayBuffer .*Cross-Origin-Opener-Policy.*; running on 1 thread$/,
      ),
    ]);
    expect(page).toMatchObject({ same: true, shared: false, isolated: false });
  }, 60_000);
});
