// The studio server's API: the same diagnostics as `chainrule check`, diagrams whose edges carry
// the ids the page hovers, chain-rule paths, the compiled module as JavaScript, datasets, weights.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from '../../e2e/cli-harness.js';
import { decodeSafetensors } from '../../../runtime/safetensors.js';
import { load } from '../../../src/api.js';
import type { Analysis, DatasetPayload, ModuleResponse, TraceResponse } from '../../../src/studio/protocol.js';
import { mergeTrain, type Studio, startStudio } from '../../../src/studio/server.js';

let studio: Studio;
const xor = readFileSync(join(root, 'examples/xor_mlp.json'), 'utf8');

async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(new URL(path, studio.url), { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  studio = await startStudio({ host: '127.0.0.1', port: 0, spec: join(root, 'examples/xor_mlp.json') });
});
afterAll(() => studio.close());

describe('studio server', () => {
  it('listens on 127.0.0.1 and serves the built page', async () => {
    expect(studio.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(studio.url)).text();
    expect(html).toContain('data-testid="spec-editor"');
    const app = await fetch(new URL('/app.js', studio.url));
    expect(app.headers.get('content-type')).toContain('javascript');
    expect((await app.text()).length).toBeGreaterThan(10_000);
    const start = (await (await fetch(new URL('/api/start', studio.url))).json()) as { file: string; text: string };
    expect(start).toMatchObject({ file: 'xor_mlp.json', text: xor });
  });

  it('reports the diagnostics of `chainrule check`, located in the text', async () => {
    const broken = xor.replace('"units": 8', '"unitz": 8');
    const analysis = await post<Analysis>('/api/analyze', { text: broken, file: 'xor_mlp.json' });
    expect(analysis.ok).toBe(false);
    const file = join(root, '.tmp-studio-broken.json');
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(file, broken);
    try {
      const check = await cli(['check', file]);
      const first = analysis.diagnostics[0];
      expect(first).toBeDefined();
      // Same message, hint and place as the terminal (the terminal also quotes the line).
      expect(check.stderr).toContain(first!.text.replace('xor_mlp.json', file).split('\n')[0]);
      expect(check.stderr).toContain(first!.hint);
      expect(first!.line).toBe(7);
    } finally {
      rmSync(file);
    }
  });

  it('draws three views with edge ids and tooltips, and explains every parameter', async () => {
    const a = await post<Analysis>('/api/analyze', { text: xor });
    expect(a.ok).toBe(true);
    expect(a.summary).toBe('ok: xor_mlp — 4 nodes, 33 parameters, outputs p [B,1], loss binary_cross_entropy');
    const edge = a.backward?.edges.find((e) => e.from === 'd(h1)' && e.to === 'd(fc1)');
    expect(edge).toMatchObject({ kind: 'backward', shape: '[B,8]', factor: "⊙tanh'(fc1)" });
    expect(a.backward?.svg).toContain(`id="${edge?.id}"`);
    expect(a.forward?.svg).toContain('<title>fc1.weight</title>');
    expect(a.joint?.svg).toContain('<svg');
    const path = a.paths?.['fc1.weight'];
    expect(path?.equation).toBe("∂L/∂fc1.weight = xᵀ · ((∂L/∂fc2 · fc2.weightᵀ) ⊙ tanh'(fc1))");
    expect(path?.chain.slice(-4).map((s) => s.factor)).toEqual(['(p − y)/N', '·fc2.weightᵀ', "⊙tanh'(fc1)", 'xᵀ·']);
    expect(path?.nodes).toEqual(expect.arrayContaining(['fc1.weight', 'fc1', 'h1', 'loss', 'd(fc1)', 'd(fc1.weight)']));
    expect(path?.nodes).not.toContain('fc2.bias');
    expect(a.paths?.['d(fc1.weight)']).toEqual(path);
  });

  it('lists the chain as the backward diagram draws it: the simplified head, no skipped ∂L/∂p step', async () => {
    const spirals = readFileSync(join(root, 'examples/spirals_mlp.json'), 'utf8');
    const a = await post<Analysis>('/api/analyze', { text: spirals });
    if (!a.ok) throw new Error(JSON.stringify(a.diagnostics));
    const drawn = new Map(a.backward!.edges.filter((e) => e.factor !== '').map((e) => [e.to, e.factor]));
    const chains = (a.params ?? []).map((p) => a.paths?.[p.name]?.chain ?? []);
    expect(chains.length).toBe(6);
    for (const chain of chains) {
      expect(chain[0]?.factor).toBe('(probs − onehot(y))/n');
      for (const step of chain) {
        expect(step.factor).not.toMatch(/J_softmax|⊘/);
        expect(drawn.get(step.node)).toBe(step.factor);
      }
    }
  });

  it('compiles the module to JavaScript that imports nothing, with the page overriding the optimizer', async () => {
    const m = await post<ModuleResponse>('/api/module', { text: xor, train: { optimizer: 'sgd', lr: 0.5 } });
    if (!m.ok) throw new Error(JSON.stringify(m.diagnostics));
    expect(m.name).toBe('xor_mlp');
    expect(m.js).not.toMatch(/^import /m);
    expect(m.ts).toContain('export function createModel');
    expect(m.ts).toContain('0.5');
    const bad = await post<ModuleResponse>('/api/module', { text: '{' });
    expect(bad.ok).toBe(false);
  });

  it('traces one batch: the loss of the compiled module, a value for every forward node and gradient', async () => {
    const model = await load(join(root, 'examples/xor_mlp.json'));
    const x = Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
    const y = Float32Array.from([0, 1, 1, 0]);
    const params = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v)]));
    const loss = model.lossAndGrads({ x }, { y });
    const traced = await post<TraceResponse>('/api/trace', {
      text: xor,
      params,
      feeds: { x: Array.from(x), y: Array.from(y) },
    });
    if (!traced.ok) throw new Error(traced.message);
    expect(traced.loss).toBeCloseTo(loss, 5);
    const rms = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0) / a.length);
    expect(traced.tensors['d(fc1.weight)']?.rms).toBeCloseTo(rms(model.grads['fc1.weight']!), 5);
    expect(Object.keys(traced.tensors)).toEqual(expect.arrayContaining(['x', 'fc1', 'h1', 'p', 'loss', 'd(h1)']));
  });

  it("keeps the spec's momentum and betas unless the page picks another optimizer", () => {
    const sgd = { optimizer: 'sgd', lr: 0.1, momentum: 0.9, seed: 3 } as const;
    expect(mergeTrain(sgd, { optimizer: 'sgd', lr: 0.02 })).toEqual({ ...sgd, lr: 0.02 });
    expect(mergeTrain(sgd, { optimizer: 'adam', lr: 0.001 })).toEqual({ optimizer: 'adam', lr: 0.001, seed: 3 });
    expect(mergeTrain(undefined, { lr: 0.5 })).toEqual({ optimizer: 'sgd', lr: 0.5 });
    expect(mergeTrain(sgd, {})).toBe(sgd);
  });

  it('serves the datasets, and writes weights as safetensors', async () => {
    for (const name of ['xor', 'spirals', 'circles', 'moons', 'iris']) {
      const d = (await (await fetch(new URL(`/api/dataset/${name}`, studio.url))).json()) as DatasetPayload;
      expect(d.features).toHaveLength(d.numRows * d.numFeatures);
      expect(new Set(d.labels).size).toBe(d.numClasses);
    }
    expect((await fetch(new URL('/api/dataset/nope', studio.url))).status).toBe(404);
    const response = await fetch(new URL('/api/weights', studio.url), {
      method: 'POST',
      body: JSON.stringify({ model: 'm', epoch: 3, params: [{ name: 'fc1.weight', shape: [2, 1], data: [1.5, -2] }] }),
    });
    const file = decodeSafetensors(new Uint8Array(await response.arrayBuffer()));
    expect(Array.from(file.tensors['fc1.weight']?.data ?? [])).toEqual([1.5, -2]);
    expect(file.tensors['fc1.weight']?.shape).toEqual([2, 1]);
    expect(file.metadata).toMatchObject({ format: 'chainrule', model: 'm', epoch: '3' });
  });
});
