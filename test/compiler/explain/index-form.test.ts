// `explain --notation index` prints sums that mean something: this test reads the printed text
// back — every parameter line, each σ' expansion and the loss head — evaluates the sums by loops
// over the indices, and compares the numbers with the backward graph's gradients (f64, 1e-12).
// Also the `--steps` chains and the labels' super/subscripts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainIndexGraph, explainStepsGraph } from '../../../compiler/explain/index-form.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { renderLabel, specLabels } from '../../../compiler/frontend/labels.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { interpret } from '../../../compiler/interp/interpret.js';
import type { Tensor } from '../../../compiler/ops/op-def.js';
import { randomFeeds, randomParams } from '../../support/data.js';
import { exampleSpec, learnSpecs } from '../../support/examples.js';
import { compileSpec } from '../../support/pipeline.js';
import { randomSpec } from '../../support/random-spec.js';
import { rng } from '../../support/rng.js';

const SUB_LETTERS: Readonly<Record<string, string>> = {
  ₛ: 's',
  ᵢ: 'i',
  ⱼ: 'j',
  ₗ: 'l',
  ₖ: 'k',
  ₘ: 'm',
  ᵣ: 'r',
  ₜ: 't',
  ᵤ: 'u',
  ᵥ: 'v',
  ₐ: 'a',
  ₑ: 'e',
};
const SUBS = Object.keys(SUB_LETTERS).join('');
/** A printed entry: a name, then its index letters as subscripts. */
const ENTRY = new RegExp(`^([^\\s${SUBS}()]+?)([${SUBS}]+)$`);

type Env = Readonly<Record<string, number>>;

/** A printed tensor: its data and shape (batch resolved). */
interface Value {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** The printed σ' expansion as a function of z: the printed words, turned into JavaScript. */
function primeFunction(expansion: string, z: string): (v: number) => number {
  const js = (words: string): string =>
    words
      .replaceAll(z, 'Z')
      .replaceAll('½·', '½')
      .replaceAll('½', '0.5*')
      .replaceAll('√(2/π)', 'Math.sqrt(2 / Math.PI)*')
      .replaceAll('tanh²(Z)', 'Math.tanh(Z)**2')
      .replaceAll('tanh²u', 'Math.tanh(u)**2')
      .replaceAll('tanh u', 'Math.tanh(u)')
      .replaceAll('σ(', 'sig(')
      .replaceAll(/𝟙\[([^\]]*)\]/g, '(($1) ? 1 : 0)')
      .replaceAll('≤', '<=')
      .replaceAll('−', '-')
      .replaceAll('·', '*')
      .replaceAll('²', '**2')
      .replaceAll('³', '**3')
      .replaceAll(')(', ')*(')
      .replaceAll('*)', ')')
      .replaceAll('**(', '*(');
  // gelu's words end with ", u = …": u is a local of the formula.
  const [formula = '', u] = expansion.split(', u = ');
  const body = u === undefined ? js(formula) : `((u) => ${js(formula)})(${js(u)})`;
  const f = new Function('Z', 'sig', `return ${body};`) as (z: number, sig: (v: number) => number) => number;
  return (v) => f(v, (t) => 1 / (1 + Math.exp(-t)));
}

/** Evaluates every printed parameter line; returns gradients by printed name (row-major). */
function evaluatePrinted(text: string, values: ReadonlyMap<string, Value>, n: number): Map<string, number[]> {
  const lines = text.split('\n');
  const head = lines.find((l) => l.startsWith('  ∂Lₛ/∂'));
  const headMatch = head?.match(/^ {2}∂Lₛ\/∂(\S+) = (\S+) − (\S+) {4}/);
  if (headMatch === null || headMatch === undefined) throw new Error(`no head line in:\n${text}`);
  const [, logitsEntry = '', predEntry = '', targetEntry = ''] = headMatch;
  const pred = values.get(predEntry.match(ENTRY)?.[1] ?? '');
  const target = values.get(targetEntry.match(ENTRY)?.[1] ?? '');
  if (pred === undefined || target === undefined) throw new Error(`unknown head tensors in ${head}`);
  const logitsLetter = SUB_LETTERS[[...logitsEntry].at(-1) ?? ''] ?? '';
  const width = pred.shape[1] ?? 0;
  const headValue = (e: Env): number => {
    const s = e.s ?? 0;
    const l = e[logitsLetter] ?? 0;
    return (pred.data[s * width + l] ?? Number.NaN) - ((target.data[s] ?? -1) === l ? 1 : 0);
  };
  const out = new Map<string, number[]>();
  for (let i = 0; i < lines.length; i++) {
    const m = (lines[i] ?? '').match(/^ {2}∂L\/∂(\S+) = (.*)$/);
    if (m === null) continue;
    const [, lhs = '', rhs = ''] = m;
    const lhsEntry = lhs.match(ENTRY);
    const param = values.get(lhsEntry?.[1] ?? '');
    if (lhsEntry === null || param === undefined) throw new Error(`unknown parameter in ${lines[i]}`);
    const primes = new Map<string, (v: number) => number>();
    for (let k = i + 1; (lines[k] ?? '').startsWith('      '); k++) {
      const line = (lines[k] ?? '').trim();
      const cut = line.indexOf(' = ');
      const [factor, expansion] = [line.slice(0, cut), line.slice(cut + 3)];
      const z = factor.match(/\((.*)\)$/)?.[1] ?? '';
      primes.set(factor, primeFunction(expansion, z));
    }
    const range = new Map<string, number>([['s', n]]);
    const factors: ((e: Env) => number)[] = [];
    const sums: string[] = [];
    let scale = 1;
    for (const token of rhs.split(' ')) {
      if (token === '(1/n)') scale = 1 / n;
      else if (token.startsWith('Σ')) sums.push(SUB_LETTERS[token.slice(1)] ?? '?');
      else if (token.startsWith('(∂L')) factors.push(headValue);
      else {
        const prime = primes.get(token);
        const entry = (prime === undefined ? token : (token.match(/\((.*)\)$/)?.[1] ?? '')).match(ENTRY);
        const v = values.get(entry?.[1] ?? '');
        if (entry === null || v === undefined) throw new Error(`cannot read factor '${token}' of ${lines[i]}`);
        const letters = [...(entry[2] ?? '')].map((c) => SUB_LETTERS[c] ?? '?');
        letters.forEach((q, axis) => {
          if (q !== 's') range.set(q, v.shape[axis] ?? 0);
        });
        const read = (e: Env): number => {
          const flat = letters.reduce((acc, q, axis) => acc * (v.shape[axis] ?? 1) + (e[q] ?? 0), 0);
          return v.data[flat] ?? Number.NaN;
        };
        factors.push(prime === undefined ? read : (e) => prime(read(e)));
      }
    }
    const free = [...(lhsEntry[2] ?? '')].map((c) => SUB_LETTERS[c] ?? '?');
    free.forEach((q, axis) => range.set(q, param.shape[axis] ?? 0));
    const sum = (e: Env, rest: readonly string[]): number => {
      const [q, ...more] = rest;
      if (q === undefined) return factors.reduce((p, f) => p * f(e), 1);
      let t = 0;
      for (let v = 0; v < (range.get(q) ?? 0); v++) t += sum({ ...e, [q]: v }, more);
      return t;
    };
    const grad: number[] = [];
    const each = (e: Env, rest: readonly string[]): void => {
      const [q, ...more] = rest;
      if (q === undefined) grad.push(scale * sum(e, sums));
      else for (let v = 0; v < (range.get(q) ?? 0); v++) each({ ...e, [q]: v }, more);
    };
    each({}, free);
    out.set(lhsEntry[1] ?? '', grad);
  }
  return out;
}

function twoLayer(activation: string): GraphSpec {
  const spec = learnSpecs().get('learn/two_layer');
  if (spec === undefined) throw new Error('examples/learn/two_layer.json is missing');
  return {
    ...spec,
    nodes: spec.nodes.map((node) => (node.name === 'h' ? { ...node, op: activation as 'relu' } : node)),
  };
}

/** Every tensor by its printed name (label or spec name), from one interpreter run. */
function printedValues(graph: Graph, labels: ReadonlyMap<string, string>, values: ReadonlyMap<number, Tensor>) {
  const out = new Map<string, Value>();
  for (const node of graph.nodes) {
    const v = values.get(node.id);
    if (v !== undefined) out.set(labels.get(node.name) ?? node.name, { data: v.data, shape: v.shape });
  }
  return out;
}

describe('explain --notation index', () => {
  it.each(['sigmoid', 'tanh', 'relu', 'leaky_relu', 'gelu', 'softplus'])(
    'the printed sums equal the gradients of the 2-layer %s network (f64, 1e-12)',
    (activation) => {
      const spec = twoLayer(activation);
      const { forward, joint } = compileSpec(spec, { dtype: 'f64' });
      const labels = specLabels(spec);
      const text = explainIndexGraph(joint, labels);
      expect(text).toContain('∂L/∂W⁽¹⁾ᵢⱼ = (1/n) Σₛ Σₗ (∂Lₛ/∂oₛₗ) W⁽²⁾ⱼₗ ');
      const r = rng(18);
      const n = 5;
      const run = interpret(joint, { feeds: randomFeeds(forward, n, r), params: randomParams(forward, r) });
      const printed = evaluatePrinted(text, printedValues(joint, labels, run.values), n);
      expect(new Set(printed.keys())).toEqual(new Set(['W⁽¹⁾', 'W⁽²⁾', 'b⁽¹⁾', 'b⁽²⁾']));
      for (const [name, tensor] of [
        ['W⁽¹⁾', 'z.weight'],
        ['b⁽¹⁾', 'z.bias'],
        ['W⁽²⁾', 'o.weight'],
        ['b⁽²⁾', 'o.bias'],
      ] as const) {
        const want = [...(run.grads[tensor] ?? [])];
        const got = printed.get(name) ?? [];
        expect(got.length, name).toBe(want.length);
        const worst = Math.max(...got.map((g, i) => Math.abs(g - (want[i] ?? Number.NaN))));
        expect(worst, `${activation} ${name}`).toBeLessThan(1e-12);
      }
    },
  );

  it('expands each activation derivative in its own words', () => {
    const words = (activation: string): string =>
      explainIndexGraph(compileSpec(twoLayer(activation), { dtype: 'f64' }).joint);
    expect(words('sigmoid')).toContain("σ'(zₛⱼ) = σ(zₛⱼ)(1 − σ(zₛⱼ))");
    expect(words('tanh')).toContain("tanh'(zₛⱼ) = 1 − tanh²(zₛⱼ)");
    expect(words('relu')).toContain("relu'(zₛⱼ) = 𝟙[zₛⱼ > 0]");
  });
});

describe('explain --steps', () => {
  it('writes ∂L/∂W⁽¹⁾ as the chain of Jacobians, the diagonal one becoming ⊙', () => {
    const spec = twoLayer('sigmoid');
    const text = explainStepsGraph(compileSpec(spec, { dtype: 'f64' }).joint, specLabels(spec));
    expect(text).toContain('  ∂L/∂W⁽¹⁾ = ∂L/∂o · ∂o/∂h · ∂h/∂z · ∂z/∂W⁽¹⁾\n');
    expect(text).toContain("∂h/∂z: ∂hₛⱼ/∂zₜₖ = δₛₜ δⱼₖ σ'(zₛⱼ): diagonal");
    expect(text).toContain("→ ⊙ σ'(z)");
    expect(text).toContain("    = xᵀ · ((∂L/∂o · W⁽²⁾ᵀ) ⊙ σ'(z))");
  });

  it('keeps a softmax that is not part of the loss head as a full Jacobian block', () => {
    const base = twoLayer('sigmoid');
    const spec: GraphSpec = {
      ...base,
      targets: { y: [null, 3] },
      loss: { op: 'mse', input: 'p', target: 'y' },
    };
    const text = explainStepsGraph(compileSpec(spec, { dtype: 'f64' }).joint, specLabels(spec));
    expect(text).toContain('∂p/∂o: ∂pₛₗ/∂oₜₖ = δₛₜ pₛₗ(δₗₖ − pₛₖ), one full block per row');
  });
});

describe('index form and steps on other graphs', () => {
  it('writes the identity an add passes its gradient through (residual)', () => {
    const text = explainStepsGraph(compileSpec(exampleSpec('residual_mlp'), { dtype: 'f64' }).joint);
    expect(text).toContain('      + ∂L/∂head · ∂head/∂join · ∂join/∂h0 · ∂h0/∂stem · ∂stem/∂stem.weight\n');
    expect(text).toContain('∂join/∂h0: ∂joinₛⱼ/∂h0ₜₖ = δₛₜ δⱼₖ, the identity');
  });

  it('has one line per parameter in both forms on random specs', () => {
    fc.assert(
      fc.property(randomSpec({ maxWidth: 6 }), (spec) => {
        const { joint } = compileSpec(spec);
        const index = explainIndexGraph(joint);
        const steps = explainStepsGraph(joint);
        for (const p of joint.nodes.filter((n) => n.op === 'param')) {
          expect(index).toMatch(new RegExp(`\\n {2}∂L/∂${p.name.replace('.', '\\.')}\\S* = `));
          expect(steps).toContain(`\n  ∂L/∂${p.name} = `);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('labels', () => {
  it('writes ^(…) and _(…) as super- and subscripts when every character has one', () => {
    expect(renderLabel('W^(1)')).toBe('W⁽¹⁾');
    expect(renderLabel('b_1')).toBe('b₁');
    expect(renderLabel('W^T')).toBe('Wᵀ');
    expect(renderLabel('W^(q)')).toBe('W^(q)');
    expect(renderLabel('H')).toBe('H');
  });
});
