// The register-blocked matmul generator against a naive triple loop, for every variant
// (X·W, dY·Wᵀ, Xᵀ·dY), odd shapes (primes and 1, so every edge tile runs), static and run-time
// row counts, and several tile sizes.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { gemm } from '../../../compiler/codegen/gemm.js';
import { compileGemm, type FloatArray, type Form, gemmSpec, randomArray } from './gemm-support.js';

type Variant = Form;

function naive(variant: Variant, a: FloatArray, b: FloatArray, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = variant === 'tn' ? a[p * m + i]! : a[i * k + p]!;
        const bv = variant === 'nt' ? b[j * k + p]! : b[p * n + j]!;
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

const dims = fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31);
const rand = (n: number, seed: number): FloatArray => randomArray(n, seed, Float64Array);

describe('gemm microkernels', () => {
  test.prop(
    [
      fc.constantFrom<Variant>('nn', 'nt', 'tn'),
      dims,
      dims,
      dims,
      fc.record({ rows: fc.constantFrom(1, 2, 3, 4), cols: fc.constantFrom(1, 2, 4, 5, 8) }),
      fc.boolean(),
    ],
    { numRuns: 150, seed: 7 },
  )('equal the naive product for every variant, shape and tile', (variant, m, k, n, tile, runtimeRows) => {
    const a = rand(m * k, m * 31 + k);
    const b = rand(k * n, n * 17 + k);
    const out = new Float64Array(m * n).fill(Number.NaN);
    compileGemm(variant, m, k, n, tile, runtimeRows)(a, b, out, variant === 'tn' ? k : m);
    const want = naive(variant, a, b, m, k, n);
    for (let i = 0; i < want.length; i++) expect(out[i]).toBeCloseTo(want[i]!, 12);
  });

  // A thread's slice (rowRange): three slices with uneven cuts give the full product bit for bit,
  // and the ones row (column sums, here stored into S) is computed once, by the slice ending at m.
  test.prop(
    [
      fc.constantFrom<Variant>('nn', 'nt', 'tn'),
      dims,
      dims,
      dims,
      fc.record({ rows: fc.constantFrom(1, 2, 4), cols: fc.constantFrom(1, 4, 5, 8) }),
      fc.boolean(),
      fc.tuple(fc.nat(), fc.nat()),
    ],
    { numRuns: 100, seed: 11 },
  )(
    'row slices equal the whole product bit for bit; the ones row runs once',
    (variant, m, k, n, tile, runtimeRows, cuts) => {
      const a = randomArray(m * k, m * 13 + k, Float32Array);
      const b = randomArray(k * n, n * 7 + k, Float32Array);
      const batch = variant === 'tn' ? k : m;
      const spec = gemmSpec(variant, m, k, n, tile, runtimeRows);
      const sums = { store: (j: string, acc: string) => [`S[${j}] += Math.fround(${acc});`] };
      const whole = new Function('A', 'Bm', 'O', 'S', 'B', gemm({ ...spec, onesRow: sums })) as (
        ...args: [FloatArray, FloatArray, FloatArray, FloatArray, number]
      ) => void;
      const slice = new Function(
        'A',
        'Bm',
        'O',
        'S',
        'B',
        'rowFrom',
        'rowTo',
        gemm({ ...spec, onesRow: sums, rowRange: { from: 'rowFrom', to: 'rowTo' } }),
      ) as (...args: [FloatArray, FloatArray, FloatArray, FloatArray, number, number, number]) => void;
      const want = new Float32Array(m * n);
      const wantSums = new Float32Array(n);
      whole(a, b, want, wantSums, batch);
      const got = new Float32Array(m * n).fill(Number.NaN);
      const gotSums = new Float32Array(n);
      const [c1, c2] = [cuts[0] % (m + 1), cuts[1] % (m + 1)].sort((x, y) => x - y) as [number, number];
      for (const [from, to] of [
        [c2, m],
        [0, c1],
        [c1, c2],
      ] as const)
        slice(a, b, got, gotSums, batch, from, to);
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(Array.from(gotSums)).toEqual(Array.from(wantSums));
    },
  );

  test('applies the epilogue once per element (bias add)', () => {
    const code = gemm({
      c: 'O',
      a: 'A',
      b: 'Bm',
      m: '3',
      n: 5,
      k: '2',
      ai: '2',
      ap: '1',
      bp: '5',
      bj: '1',
      tile: { rows: 2, cols: 4 },
      epilogue: (acc, j) => `${acc} + bias[${j}]`,
    });
    const f = new Function('A', 'Bm', 'O', 'bias', code) as (
      a: FloatArray,
      b: FloatArray,
      o: Float64Array,
      bias: Float64Array,
    ) => void;
    const a = rand(6, 1);
    const b = rand(10, 2);
    const bias = Float64Array.from([1, 2, 3, 4, 5]);
    const out = new Float64Array(15);
    f(a, b, out, bias);
    const want = naive('nn', a, b, 3, 2, 5);
    for (let i = 0; i < 15; i++) expect(out[i]).toBeCloseTo(want[i]! + bias[i % 5]!, 12);
  });
});
