// The fuse pass: which kernels it forms, that their order respects every read (and the in-place
// parameter updates), and that fused code computes exactly what the unfused code computes.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nodeIndex, paramGrads } from '../../../compiler/ir/graph.js';
import { isLeaf, kernelReads, kernelsOf, printKernels } from '../../../compiler/ir/kernel-list.js';
import { baseline } from '../../support/baseline.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { compileGraph } from '../../../compiler/passes/pipeline.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { loadModuleSource } from '../../../runtime/load-module.js';
import type { GeneratedModel } from '../../../runtime/model.js';
import { compile } from '../../../src/api.js';
import { randomFeeds } from '../../support/data.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { checkedSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';

function fused(spec: GraphSpec, batch?: number): Graph {
  const r = compileGraph(checkedSpec(spec, { dtype: 'f64', ...(batch === undefined ? {} : { batch }) }));
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.graph;
}

/** Every value a kernel reads is a leaf or was produced by an earlier kernel. */
function checkOrder(graph: Graph): string[] {
  const index = nodeIndex(graph);
  const produced = new Set<number>();
  const problems: string[] = [];
  for (const k of kernelsOf(graph)) {
    for (const id of kernelReads(graph, k)) {
      const n = index.get(id);
      if (n !== undefined && !isLeaf(n) && !produced.has(id))
        problems.push(`${k.name} reads ${n.name} before it is computed`);
    }
    for (const id of [...k.nodes, ...(k.updates ?? [])]) produced.add(id);
  }
  return problems;
}

/** A fused update overwrites its parameter: every other reader of that parameter must run first. */
function checkUpdatesLast(graph: Graph): string[] {
  const index = nodeIndex(graph);
  const kernels = kernelsOf(graph);
  const problems: string[] = [];
  kernels.forEach((k, i) => {
    for (const u of k.updates ?? []) {
      const leaf = index.get(u)?.assigns;
      kernels.forEach((other, j) => {
        const reads = other.nodes.some((id) => leaf !== undefined && index.get(id)?.inputs.includes(leaf));
        if (j > i && reads)
          problems.push(`${other.name} reads ${index.get(leaf ?? -1)?.name} after ${k.name} updated it`);
      });
    }
  });
  return problems;
}

describe('fuse', () => {
  it('forms the MLP kernels: linear+relu, derivative in the backward matmul, weight+bias gradients with the update', () => {
    const g = fused(exampleSpec('mnist_mlp'));
    const kernels = kernelsOf(g);
    const index = nodeIndex(g);
    const patterns = kernels.map((k) => k.pattern);
    expect(patterns).toContain('linear_activation');
    expect(patterns).toContain('matmul_activation_grad');
    expect(patterns.filter((p) => p === 'weight_bias_grad')).toHaveLength(2);
    // No separate bias-gradient, activation or activation-derivative kernels; no transpose op.
    const single = kernels.filter((k) => k.pattern === 'single').map((k) => index.get(k.nodes[0] ?? -1)?.op);
    for (const op of [
      'sum_rows',
      'relu',
      'relu_grad',
      'sgd_update',
      'momentum_velocity',
      'softmax',
      'linear',
      'cross_entropy',
    ]) {
      expect(single).not.toContain(op);
    }
    // The logits go straight into the softmax's buffer; loss and (p − y)/n share one kernel.
    const softmax = kernels.find((k) => k.pattern === 'linear_softmax');
    expect(softmax?.writes.map((id) => index.get(id)?.name)).toEqual(['probs']);
    const lossGrad = kernels.find((k) => k.pattern === 'loss_grad');
    expect(lossGrad?.nodes.map((id) => index.get(id)?.op)).toEqual(['cross_entropy', 'softmax_cross_entropy_grad']);
    expect(patterns).toEqual([
      'linear_activation',
      'linear_softmax',
      'loss_grad',
      'matmul_activation_grad',
      'weight_bias_grad',
      'weight_bias_grad',
    ]);
    expect(g.nodes.some((n) => (n.op as string) === 'transpose')).toBe(false);
    // Every parameter's update runs inside its gradient kernel.
    const updated = new Set(kernels.flatMap((k) => k.updates ?? []).map((id) => index.get(id)?.assigns));
    for (const p of g.nodes.filter((n) => n.role === 'param')) expect(updated.has(p.id)).toBe(true);
    expect(kernels.length).toBeLessThan(g.nodes.filter((n) => !isLeaf(n)).length / 2);
  });

  it.each([...exampleSpecs().keys()])('%s: kernel order respects reads and in-place updates', (name) => {
    const g = fused(exampleSpec(name));
    expect(checkOrder(g)).toEqual([]);
    expect(checkUpdatesLast(g)).toEqual([]);
    // Every non-leaf node is computed by exactly one kernel.
    const computed = kernelsOf(g).flatMap((k) => [...k.nodes, ...(k.updates ?? [])]);
    expect(new Set(computed).size).toBe(computed.length);
    expect(computed.length).toBe(g.nodes.filter((n) => !isLeaf(n)).length);
  });

  it.each([...exampleSpecs().keys()])('%s: golden kernel list', (name) => {
    const file = `${name}.kernels.txt`;
    const { reference } = baseline(file, printKernels(fused(exampleSpec(name))));
    expect(reference, `missing test/baselines/reference/${file}: run npm run baseline:accept`).toBeDefined();
    expect(printKernels(fused(exampleSpec(name))), `${file} differs from its reference`).toBe(reference);
  });

  it('keeps a gradient stored and the derivative reading the activation output', () => {
    const g = fused(exampleSpec('mnist_mlp'));
    const grads = new Set(paramGrads(g).values());
    for (const k of kernelsOf(g)) for (const id of k.nodes) if (grads.has(id)) expect(k.writes).toContain(id);
    const reluGrad = g.nodes.find((n) => n.op === 'relu_grad');
    expect(nodeIndex(g).get(reluGrad?.inputs[1] ?? -1)?.op).toBe('relu');
  });

  test.prop([randomSpec({ maxWidth: 12, maxDepth: 5 })], { numRuns: 60, seed: 11 })(
    'random specs: order and coverage',
    (spec) => {
      const g = fused(spec);
      expect(checkOrder(g)).toEqual([]);
      expect(checkUpdatesLast(g)).toEqual([]);
    },
  );
});

describe('fused code equals unfused code', () => {
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
    expect(a.length, what).toBe(b.length);
    for (let i = 0; i < a.length; i++) {
      const x = a[i] ?? NaN;
      const y = b[i] ?? NaN;
      const scale = Math.max(1e-300, Math.abs(x), Math.abs(y));
      if (Math.abs(x - y) / scale > 1e-12) expect.fail(`${what}[${i}]: fused ${x} vs unfused ${y}`);
    }
  };
  async function model(spec: GraphSpec, optimize: boolean): Promise<GeneratedModel> {
    const c = compile(spec, { dtype: 'f64', optimize });
    return (await loadModuleSource(c.source, c.name)).createModel({ seed: 5 });
  }

  test.prop([randomSpec({ maxWidth: 10, maxDepth: 4, train: 'always' }), fc.integer({ min: 1, max: 7 })], {
    numRuns: 25,
    seed: 3,
  })('random specs, float64: 3 training steps and lossAndGrads', async (spec, batch) => {
    const [a, b] = await Promise.all([model(spec, true), model(spec, false)]);
    const graph = fused(spec);
    const feeds = randomFeeds(graph, batch, rng(batch));
    const inputs = Object.fromEntries(
      graph.nodes.filter((n) => n.role === 'input').map((n) => [n.name, feeds[n.name] ?? new Float64Array()]),
    );
    const targets = Object.fromEntries(
      graph.nodes.filter((n) => n.role === 'target').map((n) => [n.name, feeds[n.name] ?? new Float64Array()]),
    );
    for (let step = 0; step < 3; step++)
      close([a.trainStep(inputs, targets)], [b.trainStep(inputs, targets)], `loss at step ${step}`);
    for (const key of Object.keys(b.params)) {
      close(a.params[key] ?? [], b.params[key] ?? [], key);
      close(a.grads[key] ?? [], b.grads[key] ?? [], `grad ${key}`);
    }
    close([a.lossAndGrads(inputs, targets)], [b.lossAndGrads(inputs, targets)], 'lossAndGrads');
    const fa = a.forward(inputs);
    const fb = b.forward(inputs);
    for (const key of Object.keys(fb)) close(fa[key] ?? [], fb[key] ?? [], `output ${key}`);
  });
});
