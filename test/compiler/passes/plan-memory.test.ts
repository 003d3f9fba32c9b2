// The memory plan: no two live values share a float (property test over random graphs, with
// and without fusion, run-time and fixed batch), pinned values never share, every stored value
// has a region inside its arena; in place only where the kernel allows it; the plan as golden
// text per example; MNIST's arena shrinks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naiveLayout, perRow, staticSize } from '../../../compiler/codegen/layout.js';
import { paramGrads } from '../../../compiler/ir/graph.js';
import { kernelsOf } from '../../../compiler/ir/kernel-list.js';
import type { Graph, Kernel, OpName, Storage } from '../../../compiler/ir/types.js';
import { compileGraph, type CompileGraphOptions } from '../../../compiler/passes/pipeline.js';
import { inPlaceOps, memoryPlanText, planMemory } from '../../../compiler/passes/plan-memory.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { compile } from '../../../src/api.js';
import { baseline } from '../../support/baseline.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { checkedSpec, type SpecOptions } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';

type Options = Partial<CompileGraphOptions> & SpecOptions;

function finalGraph(spec: GraphSpec, options: Options = {}): Graph {
  const { dtype = 'f32', batch, ...passes } = options;
  const r = compileGraph(checkedSpec(spec, { dtype, ...(batch === undefined ? {} : { batch }) }), passes);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.graph;
}

// The oracle below recomputes liveness from the kernels on its own (not with the planner's
// code): writer = the kernel listing a value in `writes` (or `updates`), last use = the last
// kernel with a node (or fused update) reading it from outside the kernel.
interface Interval {
  readonly first: number;
  readonly last: number;
}

function intervals(graph: Graph, kernels: readonly Kernel[]): Map<number, Interval> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const writer = new Map<number, number>();
  const lastRead = new Map<number, number>();
  kernels.forEach((k, i) => {
    const inside = new Set([...k.nodes, ...(k.updates ?? [])]);
    for (const id of [...k.writes, ...(k.updates ?? [])]) writer.set(id, i);
    for (const id of inside)
      for (const input of byId.get(id)?.inputs ?? []) if (!inside.has(input)) lastRead.set(input, i);
  });
  return new Map([...writer].map(([id, w]) => [id, { first: w, last: Math.max(w, lastRead.get(id) ?? w) }]));
}

/**
 * Ops whose kernel reads element i before storing element i: the in-place table derived from the
 * ops' `inPlace` traits (the per-op kernel tests run each of those templates).
 */
const ELEMENTWISE: ReadonlySet<OpName> = new Set(inPlaceOps.keys());

interface Region {
  readonly id: number;
  readonly arena: 'fixed' | 'batch';
  readonly start: number;
  readonly end: number;
}

function regionOf(id: number, s: Storage | undefined): Region | undefined {
  if (s?.kind === 'fixed') return { id, arena: 'fixed', start: s.offset, end: s.offset + s.size };
  if (s?.kind === 'batch') return { id, arena: 'batch', start: s.rowOffset, end: s.rowOffset + s.rowSize };
  return undefined;
}

/** Every rule the plan must obey, as a list of violations (empty when the plan is sound). */
function planViolations(graph: Graph): string[] {
  const plan = graph.memory;
  if (plan === undefined) return ['no memory plan'];
  const out: string[] = [];
  const kernels = kernelsOf(graph);
  const live = intervals(graph, kernels);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const name = (id: number): string => byId.get(id)?.name ?? `%${id}`;
  const written = new Set(kernels.flatMap((k) => k.writes));
  const grads = new Set(paramGrads(graph).values());
  const pinned = new Set(
    graph.nodes
      .filter(
        (n) =>
          ['param', 'state', 'const'].includes(n.role) ||
          graph.outputs.includes(n.id) ||
          n.id === graph.loss ||
          grads.has(n.id),
      )
      .map((n) => n.id),
  );
  const regions: Region[] = [];
  for (const n of graph.nodes) {
    const s = plan.storage.get(n.id);
    const leaf = ['input', 'target', 'param', 'state', 'const'].includes(n.role);
    if (!leaf && n.assigns === undefined && !written.has(n.id)) continue;
    if (s === undefined) {
      out.push(`${n.name} is stored but has no storage`);
      continue;
    }
    if (n.role === 'input' || n.role === 'target') {
      if (s.kind !== 'external') out.push(`${n.name} should be the caller's array, is ${s.kind}`);
      continue;
    }
    if (n.assigns !== undefined) {
      if (s.kind !== 'alias' || s.of !== n.assigns) out.push(`${n.name} should alias ${name(n.assigns)}`);
      continue;
    }
    const r = regionOf(n.id, s);
    if (r === undefined) {
      out.push(`${n.name} has storage ${s.kind}`);
      continue;
    }
    const row = perRow(n.type.shape);
    const expected =
      row === undefined ? { arena: 'fixed', size: staticSize(n.type.shape) } : { arena: 'batch', size: row };
    if (r.arena !== expected.arena || r.end - r.start !== expected.size)
      out.push(`${n.name}: ${r.arena} size ${r.end - r.start}, expected ${expected.arena} size ${expected.size}`);
    const limit = r.arena === 'fixed' ? plan.fixedSize : plan.batchRowSize;
    if (r.start < 0 || r.end > limit)
      out.push(`${n.name}: [${r.start}, ${r.end}) outside the ${r.arena} arena of ${limit}`);
    regions.push(r);
  }
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i];
      const b = regions[j];
      if (a === undefined || b === undefined || a.arena !== b.arena || a.end <= b.start || b.end <= a.start) continue;
      if (pinned.has(a.id) || pinned.has(b.id)) {
        out.push(
          `pinned ${pinned.has(a.id) ? name(a.id) : name(b.id)} shares memory with ${pinned.has(a.id) ? name(b.id) : name(a.id)}`,
        );
        continue;
      }
      const la = live.get(a.id);
      const lb = live.get(b.id);
      if (la === undefined || lb === undefined) {
        out.push(`${name(a.id)} / ${name(b.id)} share memory without live ranges`);
        continue;
      }
      if (la.last < lb.first || lb.last < la.first) continue;
      if (!inPlaceAllowed(graph, kernels, a, la, b, lb) && !inPlaceAllowed(graph, kernels, b, lb, a, la)) {
        out.push(
          `${name(a.id)} [${la.first},${la.last}] and ${name(b.id)} [${lb.first},${lb.last}] are live together and share memory`,
        );
      }
    }
  }
  return out;
}

/** `result` may overwrite `operand` when the operand dies in the single elementwise kernel computing result. */
function inPlaceAllowed(
  graph: Graph,
  kernels: readonly Kernel[],
  operand: Region,
  lo: Interval,
  result: Region,
  lr: Interval,
): boolean {
  const k = kernels[lr.first];
  const node = graph.nodes.find((n) => n.id === result.id);
  return (
    lo.last === lr.first &&
    operand.start === result.start &&
    operand.end === result.end &&
    k?.pattern === 'single' &&
    k.nodes.length === 1 &&
    k.nodes[0] === result.id &&
    node !== undefined &&
    ELEMENTWISE.has(node.op) &&
    node.inputs.includes(operand.id)
  );
}

const specs = randomSpec({ maxWidth: 16, maxDepth: 6 });

describe('plan-memory: soundness on random graphs', () => {
  const cases: [string, Options][] = [
    ['fused, run-time batch', {}],
    ['fused, fixed batch', { batch: 3 }],
    ['unfused (one kernel per node, in-place chains), run-time batch', { disable: ['fuse'] }],
    ['unfused, fixed batch, f64', { disable: ['fuse'], batch: 2, dtype: 'f64' }],
  ];
  it.each(cases)('%s', (_label, options) => {
    fc.assert(
      fc.property(specs, (spec) => {
        const graph = finalGraph(spec, options);
        expect(planViolations(graph)).toEqual([]);
        const plan = graph.memory;
        const naive = naiveLayout(graph);
        expect(plan?.fixedSize).toBeLessThanOrEqual(naive.fixedSize);
        expect(plan?.batchRowSize).toBeLessThanOrEqual(naive.batchRowSize);
      }),
      { numRuns: 60, seed: 6 },
    );
  });

  it('the oracle catches an overlapping plan', () => {
    const graph = finalGraph(exampleSpec('mnist_mlp'));
    const plan = graph.memory;
    if (plan === undefined) throw new Error('no plan');
    // Put every batch value at row offset 0: live values now collide.
    const storage = new Map(
      [...plan.storage].map(([id, s]): [number, Storage] => [id, s.kind === 'batch' ? { ...s, rowOffset: 0 } : s]),
    );
    const broken = planViolations({ ...graph, memory: { ...plan, storage } });
    expect(broken.some((v) => v.includes('pinned probs shares memory'))).toBe(true);
    expect(broken.some((v) => v.includes('are live together'))).toBe(true);
  });
});

describe('plan-memory: packing quality', () => {
  // No packing can use fewer floats than the most memory live during one kernel (values sharing
  // a region in place counted once); on the examples, greedy best-fit reaches that bound.
  const cases = [...exampleSpecs().keys()].flatMap((name) =>
    [{}, { disable: ['fuse'] }]
      .flatMap((o) => [o, { ...o, batch: 8 }])
      .map((options): [string, Options] => [name, options]),
  );
  it.each(cases)('%s %o', (name, options) => {
    const graph = finalGraph(exampleSpec(name), options);
    const plan = graph.memory;
    if (plan === undefined) throw new Error('no plan');
    const live = intervals(graph, kernelsOf(graph));
    const grads = new Set(paramGrads(graph).values());
    const arena = options.batch === undefined ? 'batch' : 'fixed';
    const pinned = (id: number): boolean => graph.outputs.includes(id) || id === graph.loss || grads.has(id);
    const regions = graph.nodes.flatMap((n) => {
      const r = regionOf(n.id, plan.storage.get(n.id));
      return r?.arena === arena
        ? [{ r, pinned: pinned(n.id) || ['param', 'state', 'const'].includes(n.role), live: live.get(n.id) }]
        : [];
    });
    const pinnedSize = regions.filter((x) => x.pinned).reduce((a, x) => a + x.r.end - x.r.start, 0);
    let bound = 0;
    for (let k = 0; k < kernelsOf(graph).length; k++) {
      const at = new Map<string, number>();
      for (const x of regions)
        if (!x.pinned && x.live && x.live.first <= k && k <= x.live.last)
          at.set(`${x.r.start}:${x.r.end}`, x.r.end - x.r.start);
      bound = Math.max(
        bound,
        [...at.values()].reduce((a, b) => a + b, 0),
      );
    }
    const size = arena === 'batch' ? plan.batchRowSize : plan.fixedSize;
    expect(bound).toBeGreaterThan(0);
    expect(size - pinnedSize).toBe(bound);
  });
});

describe('plan-memory: decisions', () => {
  it('writes an elementwise result over an operand that dies there (unfused residual_mlp)', () => {
    const graph = finalGraph(exampleSpec('residual_mlp'), { disable: ['fuse'] });
    const at = (name: string): Storage | undefined =>
      graph.memory?.storage.get(graph.nodes.find((n) => n.name === name)?.id ?? -1);
    // branch_act = tanh(branch_fc) is branch_fc's only reader; d(h0) = add(d(h0)@branch_fc, d(join)).
    expect(at('branch_act')).toEqual(at('branch_fc'));
    expect(at('d(h0)')).toEqual(at('d(h0)@branch_fc'));
    expect(memoryPlanText(graph)).toMatch(/^branch_act .* in place of branch_fc$/m);
    // h0 = relu(stem) cannot overwrite stem: without fusion, relu_grad reads stem later.
    expect(at('h0')).not.toEqual(at('stem'));
  });

  it('never computes a pinned output in place, even when its operand dies there', () => {
    const spec: GraphSpec = {
      name: 'pinned_out',
      inputs: { x: [null, 3] },
      targets: { y: [null, 2] },
      nodes: [
        { name: 'fc', op: 'linear', input: 'x', units: 2 },
        { name: 'out', op: 'sigmoid', input: 'fc' },
      ],
      outputs: ['out'],
      loss: { op: 'binary_cross_entropy', input: 'out', target: 'y' },
    };
    const graph = finalGraph(spec, { disable: ['fuse'] });
    const id = (name: string): number => graph.nodes.find((n) => n.name === name)?.id ?? -1;
    const out = regionOf(id('out'), graph.memory?.storage.get(id('out')));
    const fcRegion = regionOf(id('fc'), graph.memory?.storage.get(id('fc')));
    expect(out && fcRegion && (out.end <= fcRegion.start || fcRegion.end <= out.start)).toBe(true);
    expect(planViolations(graph)).toEqual([]);
  });

  it('gives values internal to a fused kernel no storage', () => {
    const graph = finalGraph(exampleSpec('mnist_mlp'));
    const internal = kernelsOf(graph).flatMap((k) =>
      k.nodes.filter((id) => !k.writes.includes(id) && !(k.updates ?? []).includes(id)),
    );
    expect(internal.length).toBeGreaterThan(0);
    for (const id of internal) {
      const node = graph.nodes.find((n) => n.id === id);
      if (node?.assigns === undefined) expect(graph.memory?.storage.has(id)).toBe(false);
    }
  });

  it('says which kernel breaks the contract when a kernel reads a value nobody stores', () => {
    const graph = finalGraph(exampleSpec('mnist_mlp'), { disable: ['plan-memory'] });
    const kernels = kernelsOf(graph).map((k) => (k.name === 'fc1_linear_relu' ? { ...k, writes: [] } : k));
    expect(() => planMemory.run({ ...graph, kernels }, { dtype: 'f32', train: { optimizer: 'sgd', lr: 0.1 } })).toThrow(
      /kernel #1 reads 'h1', which no kernel stores/,
    );
  });
});

describe('plan-memory: the plan as text', () => {
  it.each([...exampleSpecs().keys()])('%s', (name) => {
    const graph = finalGraph(exampleSpec(name));
    const text = memoryPlanText(graph);
    expect(memoryPlanText(finalGraph(exampleSpec(name)))).toBe(text);
    const file = `${name}.plan.txt`;
    const { reference } = baseline(file, text);
    expect(reference, `missing test/baselines/reference/${file}: run npm run baseline:accept`).toBeDefined();
    expect(text, `${file} differs from its reference`).toBe(reference);
  });

  it('reports the unplanned layout when the pass did not run', () => {
    const graph = finalGraph(exampleSpec('xor_mlp'), { disable: ['plan-memory'] });
    expect(memoryPlanText(graph)).toContain('no plan: the plan-memory pass did not run');
  });

  it('mnist_mlp: the planned arena is smaller than the unplanned one', () => {
    const { stats } = compile(exampleSpec('mnist_mlp'), { dtype: 'f32' });
    expect(stats.arena.bytesPerRow).toBeLessThan(stats.unplannedArena.bytesPerRow);
    expect(stats.arena.fixedBytes).toBeLessThanOrEqual(stats.unplannedArena.fixedBytes);
    const fixed = compile(exampleSpec('mnist_mlp'), { dtype: 'f32', batch: 64 }).stats;
    expect(fixed.arena.fixedBytes).toBeLessThan(fixed.unplannedArena.fixedBytes);
  });
});
