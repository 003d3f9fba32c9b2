// chainrule studio in a real browser: headless Chromium (Debian's, driven by playwright-core)
// edits a spec, reads the located diagnostic, sees both graphs and an equation, trains xor and
// spirals in the page's worker, and downloads a module and weights that reproduce the page's
// predictions in Node. CHAINRULE_SCREENSHOTS=1 also writes docs/images/studio*.png.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelModule } from '../../runtime/model.js';
import { readSafetensors } from '../../runtime/safetensors.js';
import type { DatasetPayload } from '../../src/studio/protocol.js';
import { type Studio, startStudio } from '../../src/studio/server.js';
import { root } from './cli-harness.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';

const screenshots = process.env['CHAINRULE_SCREENSHOTS'] === '1';
const available = chromiumAvailable;

let studio: Studio;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

async function shot(name: string): Promise<void> {
  if (!screenshots) return;
  mkdirSync(join(root, 'docs/images'), { recursive: true });
  await page.screenshot({ path: join(root, 'docs/images', name) });
}

async function setSpec(text: string): Promise<void> {
  await page.click('[data-testid=spec-editor] .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

async function number(testid: string): Promise<number> {
  return Number(await page.textContent(`[data-testid=${testid}]`));
}

async function loadExample(name: string): Promise<void> {
  await page.click(`#examples button:text-is("${name}")`);
  await page.waitForFunction(
    `document.querySelector('[data-testid=diagnostics]')?.textContent?.includes('ok: ${name}') === true`,
  );
}

/** Trains until the accuracy reaches `target` % and returns the seconds it took. */
async function trainTo(target: number, limitMs: number): Promise<number> {
  const start = Date.now();
  await page.click('[data-testid=train]');
  // Page-side expressions are strings: this file is type-checked without the DOM library.
  const metric = (id: string): string => `Number(document.querySelector('[data-testid=${id}]')?.textContent)`;
  await page.waitForFunction(`${metric('accuracy')} >= ${target} && ${metric('epoch')} >= 1`, undefined, {
    timeout: limitMs,
    polling: 100,
  });
  const seconds = (Date.now() - start) / 1000;
  // Pause, unless the run has just ended by itself (its epochs ran out: the button is disabled
  // then, and a DOM click on a disabled button does nothing); either way training has stopped after.
  await page.evaluate(`document.querySelector('[data-testid=pause]')?.click()`);
  await page.waitForFunction(`document.querySelector('[data-testid=pause]')?.disabled === true`);
  return seconds;
}

describe.skipIf(!available)('chainrule studio in Chromium', () => {
  beforeAll(async () => {
    studio = await startStudio({ host: '127.0.0.1', port: 0, spec: join(root, 'examples/spirals_mlp.json') });
    context = await launchChromium({ acceptDownloads: true, viewport: { width: 1600, height: 1000 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(studio.url);
    await page.waitForSelector('[data-testid=diagram-backward] svg g.node', { state: 'attached', timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await studio?.close();
  });

  it('shows a located diagnostic for a broken spec, and the graphs again once it is fixed', async () => {
    const good = readFileSync(join(root, 'examples/spirals_mlp.json'), 'utf8');
    await setSpec(good.replace('"op": "relu", "input": "fc1"', '"op": "relux", "input": "fc1"'));
    const diagnostics = page.locator('[data-testid=diagnostics]');
    await expect.poll(() => diagnostics.textContent(), { timeout: 10_000 }).toContain("error: unknown op 'relux'");
    const text = (await diagnostics.textContent()) ?? '';
    expect(text).toMatch(/spirals_mlp\.json:8:\d+: error: unknown op 'relux' \(node 'h1'\)/);
    expect(text).toContain("hint: did you mean 'relu'?");
    await expect.poll(() => page.locator('.cm-lintRange-error').count()).toBeGreaterThan(0);

    await setSpec(good);
    await page.click('[data-testid=view-split]');
    await expect.poll(() => diagnostics.textContent(), { timeout: 10_000 }).toContain('ok: spirals_mlp');
    for (const view of ['diagram-forward', 'diagram-backward']) {
      expect(await page.locator(`[data-testid=${view}] svg g.node`).count()).toBeGreaterThan(5);
    }
    expect(
      await page.locator('[data-testid=diagram-backward] g.node:has(title:text-is("d(fc1.weight)"))').count(),
    ).toBe(1);
  });

  it('clicking fc1.weight shows its gradient equation and lights up its path in both graphs', async () => {
    await page.click('[data-testid=diagram-forward] g.node:has(title:text-is("fc1.weight"))');
    const equations = page.locator('[data-testid=equations]');
    await expect.poll(() => equations.textContent()).toContain('∂L/∂fc1.weight = xᵀ · ');
    expect(await page.locator('[data-testid=equations] .factor').count()).toBeGreaterThan(3);
    expect(await page.locator('[data-testid=diagram-backward] g.node.highlight').count()).toBeGreaterThan(3);
    expect(await page.locator('[data-testid=diagram-forward] g.node.highlight').count()).toBeGreaterThan(3);
    await page.click('[data-testid=view-joint]');
    await page.click('[data-testid=diagram-joint] g.node:has(title:text-is("fc1.weight"))');
    await shot('studio.png');
    await page.click('[data-testid=view-split]');
  });

  it('hovering a backward edge shows its shape and local derivative', async () => {
    await page.hover('[data-testid=diagram-backward] g.edge:has(title:text-is("d(h1)->d(fc1)")) path', { force: true });
    const tip = page.locator('#tooltip');
    await expect.poll(() => tip.textContent()).toContain("local derivative: ⊙relu'(fc1)");
    expect(await tip.textContent()).toContain('shape: [B,64]');
  });

  it('trains xor to 100% in the page', async () => {
    await loadExample('xor_mlp');
    expect(await page.inputValue('[data-testid=dataset]')).toBe('xor');
    // Step mode: one batch, its gradient magnitudes on the backward graph.
    await page.click('[data-testid=step]');
    await expect.poll(() => page.textContent('#step-info'), { timeout: 15_000 }).toContain('rms ∂L/∂fc1.weight');
    expect(await page.locator('[data-testid=diagram-backward] .mark').count()).toBeGreaterThanOrEqual(4);
    // Then every tensor of that batch, from the server's interpreter: forward values too.
    await expect
      .poll(() => page.locator('[data-testid=diagram-joint] .mark:text-matches("^μ")').count(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(3);
    if (screenshots) {
      await page.click('[data-testid=view-joint]');
      await shot('studio-step.png');
      await page.click('[data-testid=view-split]');
    }
    const seconds = await trainTo(100, 30_000);
    expect(await number('accuracy')).toBe(100);
    expect(await number('epoch')).toBeGreaterThan(0);
    expect(await number('loss')).toBeLessThan(0.2);
    expect(seconds).toBeLessThan(30);
  });

  it('trains spirals to 95% in the page, and the downloaded module and weights reproduce its predictions', async () => {
    await loadExample('spirals_mlp');
    expect(await page.inputValue('[data-testid=dataset]')).toBe('spirals');
    await trainTo(95, 30_000);
    expect(await number('accuracy')).toBeGreaterThanOrEqual(95);
    await page.waitForTimeout(400);
    if (screenshots) {
      await page.click('[data-testid=view-joint]');
      await page.click('[data-testid=diagram-joint] g.node:has(title:text-is("fc2.weight"))');
      await shot('studio-train.png');
    }

    const dir = mkdtempSync(join(tmpdir(), 'chainrule-studio-'));
    const [moduleDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=download-module]'),
    ]);
    expect(moduleDownload.suggestedFilename()).toBe('spirals_mlp.js');
    const modulePath = join(dir, 'spirals_mlp.mjs');
    await moduleDownload.saveAs(modulePath);
    const [weightsDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=download-weights]'),
    ]);
    const weightsPath = join(dir, 'weights.safetensors');
    await weightsDownload.saveAs(weightsPath);

    const mod = (await import(pathToFileURL(modulePath).href)) as ModelModule;
    const model = mod.createModel();
    const weights = readSafetensors(weightsPath);
    expect(weights.tensors['fc1.weight']?.shape).toEqual([2, 64]);
    model.loadParams({
      params: Object.fromEntries(Object.entries(weights.tensors).map(([name, t]) => [name, t.data])),
    });
    const data = (await (await fetch(`${studio.url}api/dataset/spirals`)).json()) as DatasetPayload;
    const predicted = model.predict?.({ x: Float32Array.from(data.features) });
    const inPage = (await page.evaluate('window.studio.predictions()')) as number[];
    expect(inPage).toHaveLength(data.numRows);
    expect(Array.from(predicted ?? [])).toEqual(inPage);
    const right = inPage.filter((c, i) => c === data.labels[i]).length;
    expect(right / data.numRows).toBeGreaterThanOrEqual(0.95);

    // The ONNX model with the page's weights predicts the same classes under onnxruntime.
    const [onnxDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=download-onnx]'),
    ]);
    expect(onnxDownload.suggestedFilename()).toBe('spirals_mlp.onnx');
    const onnxPath = join(dir, 'spirals_mlp.onnx');
    await onnxDownload.saveAs(onnxPath);
    const session = await ort.InferenceSession.create(onnxPath);
    const x = new ort.Tensor('float32', Float32Array.from(data.features), [data.numRows, 2]);
    const probs = (await session.run({ x }))['probs']?.data as Float32Array;
    const fromOnnx = Array.from({ length: data.numRows }, (_, r) => (probs[2 * r + 1]! > probs[2 * r]! ? 1 : 0));
    const agree = fromOnnx.filter((c, i) => c === inPage[i]).length;
    expect(agree).toBeGreaterThanOrEqual(data.numRows - 2);
    expect(errors).toEqual([]);
  });
});
