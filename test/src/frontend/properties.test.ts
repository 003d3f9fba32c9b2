// Property tests of the spec layer: (a) random valid DAG specs round-trip builder -> JSON text ->
// loader -> IR -> printer, unchanged and deterministic; (b) random corruptions of valid spec
// text never make the loader throw: the result is a spec or located errors.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertNever } from '../../../compiler/ir/types.js';
import { buildGraph } from '../../../compiler/frontend/build-graph.js';
import { printGraph } from '../../../compiler/ir/print.js';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { renderLoadReport } from '../../../src/cli/spec-input.js';
import { graph, type GraphBuilder } from '../../../src/frontend/builder.js';
import { loadSpecText } from '../../../src/frontend/load.js';
import { randomSpec } from '../../support/random-spec.js';

/** Rebuilds `spec` through the builder's typed methods (explicit operands, so any DAG works). */
function viaBuilder(spec: GraphSpec): GraphBuilder {
  let b = graph(spec.name);
  for (const [name, shape] of Object.entries(spec.inputs)) b = b.input(name, shape);
  for (const [name, shape] of Object.entries(spec.targets ?? {})) b = b.target(name, shape);
  for (const n of spec.nodes) {
    const from = { input: n.input ?? '' };
    switch (n.op) {
      case 'linear':
        b = b.linear(n.name, n.units ?? 0, { ...from, ...(n.bias !== undefined ? { bias: n.bias } : {}) });
        break;
      case 'leaky_relu':
        b = b.leakyRelu(n.name, { ...from, ...(n.alpha !== undefined ? { alpha: n.alpha } : {}) });
        break;
      case 'relu':
        b = b.relu(n.name, from);
        break;
      case 'sigmoid':
        b = b.sigmoid(n.name, from);
        break;
      case 'tanh':
        b = b.tanh(n.name, from);
        break;
      case 'gelu':
        b = b.gelu(n.name, from);
        break;
      case 'identity':
        b = b.identity(n.name, from);
        break;
      case 'softmax':
        b = b.softmax(n.name, from);
        break;
      case 'log_softmax':
        b = b.logSoftmax(n.name, from);
        break;
      case 'add':
        b = b.add(n.name, { inputs: n.inputs ?? [] });
        break;
      default:
        // Ops without a method of their own (added to compiler/ops/ later) go through apply().
        b = b.apply(n.name, n.op, { ...from, ...(n.alpha !== undefined ? { alpha: n.alpha } : {}) });
    }
  }
  b = b.output(...spec.outputs);
  if (spec.loss !== undefined) b = b.loss(spec.loss.op, spec.loss.input, spec.loss.target);
  if (spec.train !== undefined) b = b.train(spec.train);
  return b;
}

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('round trip: builder -> JSON -> loader -> IR -> printer', () => {
  it('preserves random valid DAG specs and prints the same IR every time', () => {
    fc.assert(
      fc.property(randomSpec(), (spec) => {
        const built = viaBuilder(spec).build();
        expect(built).toStrictEqual(plain(spec));
        const text = JSON.stringify(built, null, 2);
        const loaded = loadSpecText(text, 'random.json');
        if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
        expect(loaded.spec).toStrictEqual(built);
        const direct = buildGraph(spec, { dtype: 'f32' });
        if (!direct.ok) throw new Error('random spec must build');
        const printed = printGraph(loaded.graph);
        expect(printed).toBe(printGraph(direct.graph));
        const again = loadSpecText(text, 'random.json');
        expect(again.ok && printGraph(again.graph)).toBe(printed);
      }),
      { numRuns: 150 },
    );
  });
});

// ---- corruptions ------------------------------------------------------------------------------

const TOKEN = /"(?:[^"\\\n]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[{}[\]:,]|true|false|null|\s+|./g;

type Mutation =
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'replace'; readonly at: number; readonly with: string }
  | { readonly kind: 'number'; readonly at: number; readonly with: string }
  | { readonly kind: 'rename'; readonly at: number; readonly with: string }
  | { readonly kind: 'truncate'; readonly at: number };

const junk = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '"',
  'null',
  'true',
  '0',
  '-1',
  '1e999',
  '"x"',
  '"relu"',
  '"inputs"',
  '[]',
  '{}',
  '//',
  '/*',
  "'a'",
  'NaN',
];
const numbers = ['0', '-1', '2.5', '1e999', '-0', '1e-400', '4294967296', '"128"', 'null', '[]'];
const names = [
  'x',
  'y',
  'fc1',
  'h1',
  'probs',
  'units',
  'unit',
  'input',
  'inputs',
  'op',
  'name',
  'nodes',
  'lr',
  'adam',
  'relu',
  'add',
  'linear',
  '__proto__',
  'constructor',
  'bias',
  '',
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), with: fc.constantFrom(...junk) }),
  fc.record({ kind: fc.constant('number' as const), at: fc.nat(), with: fc.constantFrom(...numbers) }),
  fc.record({ kind: fc.constant('rename' as const), at: fc.nat(), with: fc.constantFrom(...names) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Applies a mutation to the token list, aiming at tokens of the kind it changes. */
function mutate(tokens: readonly string[], m: Mutation): string[] {
  const out = [...tokens];
  const pick = (ok: (t: string) => boolean): number | undefined => {
    const idx = out.flatMap((t, i) => (ok(t) ? [i] : []));
    return idx.length === 0 ? undefined : idx[m.at % idx.length];
  };
  const meaningful = (t: string): boolean => t.trim() !== '';
  switch (m.kind) {
    case 'delete': {
      const i = pick(meaningful);
      if (i !== undefined) out.splice(i, m.length);
      return out;
    }
    case 'duplicate': {
      const i = pick(meaningful);
      if (i !== undefined) out.splice(i, 0, ...out.slice(i, i + m.length));
      return out;
    }
    case 'replace': {
      const i = pick(meaningful);
      if (i !== undefined) out[i] = m.with;
      return out;
    }
    case 'number': {
      const i = pick((t) => /^-?\d/.test(t));
      if (i !== undefined) out[i] = m.with;
      return out;
    }
    case 'rename': {
      const i = pick((t) => t.startsWith('"'));
      if (i !== undefined) out[i] = JSON.stringify(m.with);
      return out;
    }
    case 'truncate':
      return out.slice(0, m.at % (out.length + 1));
    default:
      return assertNever(m, 'mutation');
  }
}

const exampleTexts = ['mnist_mlp', 'residual_mlp', 'xor_mlp', 'two_layer_sigmoid'].map((name) =>
  readFileSync(new URL(`../../../examples/${name}.json`, import.meta.url), 'utf8'),
);
const validText = fc.oneof(
  fc.constantFrom(...exampleTexts),
  randomSpec({ maxDepth: 4, maxWidth: 8 }).map((s) => JSON.stringify(s, null, 2)),
);

describe('corrupted specs', () => {
  it('never throw from the loader: a spec, or located errors with hints', () => {
    fc.assert(
      fc.property(validText, fc.array(mutation, { minLength: 1, maxLength: 4 }), (text, mutations) => {
        const tokens = text.match(TOKEN) ?? [];
        const corrupted = mutations.reduce<string[]>((t, m) => mutate(t, m), tokens).join('');
        const result = loadSpecText(corrupted, 'corrupt.json');
        const lineCount = corrupted.split('\n').length;
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) {
            expect(e.message.length).toBeGreaterThan(0);
            expect(e.hint, e.message).toBeTruthy();
            expect(e.loc?.file).toBe('corrupt.json');
            expect(e.loc?.line).toBeGreaterThanOrEqual(1);
            expect(e.loc?.line).toBeLessThanOrEqual(lineCount);
            expect(e.loc?.col).toBeGreaterThanOrEqual(1);
          }
        }
        // The terminal rendering of any result must not throw either.
        expect(typeof renderLoadReport(result, 'corrupt.json', () => corrupted)).toBe('string');
      }),
      { numRuns: Number(process.env.CHAINRULE_FUZZ_RUNS ?? 600) },
    );
  });
});
