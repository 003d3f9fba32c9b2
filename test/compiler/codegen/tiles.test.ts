// The per-shape register tiles: every tile the rules can choose, in every matmul form (X·W,
// dY·Wᵀ, Xᵀ·dY), equals the reference interpreter's matmul on shapes that hit every edge tile
// (1, primes, non-multiples), f64 to 1e-12 and f32 to 1e-5, with static and run-time rows.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { chooseTile, type Tile } from '../../../compiler/codegen/gemm.js';
import { matmul } from '../../../compiler/ops/matmul.js';
import { compileGemm, type FloatArray, type Form, randomArray } from './gemm-support.js';

/** Every tile `chooseTile` returns over a grid of shapes wider than any rule's thresholds. */
function reachableTiles(): Tile[] {
  const seen = new Map<string, Tile>();
  const sizes = [undefined, ...Array.from({ length: 40 }, (_, i) => i + 1), 64, 128, 784];
  for (const m of sizes) {
    for (const k of sizes) {
      for (let n = 1; n <= 600; n++) {
        const t = chooseTile(m, n, k);
        seen.set(`${t.rows}x${t.cols}`, t);
      }
    }
  }
  return [...seen.values()];
}

/** The reference interpreter's matmul (op(A) is [m,k]: A stored [k,m] when transposed). */
function reference(form: Form, a: FloatArray, b: FloatArray, m: number, k: number, n: number, out: FloatArray): void {
  const transA = form === 'tn';
  const transB = form === 'nt';
  matmul.reference(
    [
      { shape: transA ? [k, m] : [m, k], data: a },
      { shape: transB ? [n, k] : [k, n], data: b },
    ],
    { transA, transB },
    { shape: [m, n], data: out },
  );
}

/** |got − want| ≤ tolerance · max(1, |want|) for every element. */
function expectClose(got: FloatArray, want: FloatArray, tolerance: number): void {
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? Number.NaN;
    expect(Math.abs((got[i] ?? Number.NaN) - w)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(w)));
  }
}

const tiles = reachableTiles();
const dims = fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31);

describe('per-shape register tiles', () => {
  test('the rules choose several tiles, each at least 1×1 and at most 4×8', () => {
    expect(tiles.length).toBeGreaterThanOrEqual(4);
    for (const t of tiles) {
      expect(t.rows).toBeGreaterThanOrEqual(1);
      expect(t.cols).toBeGreaterThanOrEqual(1);
      expect(t.rows * t.cols).toBeLessThanOrEqual(32);
    }
  });

  test('batch 1 gets one-row tiles; narrow outputs tiles that divide them; long k and wide n get 4×8', () => {
    expect(chooseTile(1, 128, 784)).toEqual({ rows: 1, cols: 8 });
    expect(chooseTile(1, 10, 128)).toEqual({ rows: 1, cols: 5 });
    expect(chooseTile(64, 10, 128)).toEqual({ rows: 2, cols: 5 });
    expect(chooseTile(16, 3, 16)).toEqual({ rows: 4, cols: 3 });
    expect(chooseTile(16, 16, 3)).toEqual({ rows: 2, cols: 4 });
    expect(chooseTile(64, 128, 784)).toEqual({ rows: 4, cols: 8 });
    expect(chooseTile(undefined, 128, 784)).toEqual({ rows: 4, cols: 8 });
    expect(chooseTile(784, 128, undefined)).toEqual({ rows: 4, cols: 8 });
  });

  for (const tile of tiles) {
    test.prop(
      [fc.constantFrom<Form>('nn', 'nt', 'tn'), dims, dims, dims, fc.boolean(), fc.constantFrom('f32', 'f64')],
      { numRuns: 60, seed: tile.rows * 100 + tile.cols },
    )(
      `tile ${tile.rows}×${tile.cols} equals the reference matmul (f64 1e-12, f32 1e-5)`,
      (form, m, k, n, runtimeRows, dtype) => {
        const array = dtype === 'f32' ? Float32Array : Float64Array;
        const a = randomArray(m * k, m * 31 + k, array);
        const b = randomArray(k * n, n * 17 + k, array);
        const got = new array(m * n).fill(Number.NaN);
        compileGemm(form, m, k, n, tile, runtimeRows)(a, b, got, form === 'tn' ? k : m);
        const want = new array(m * n);
        reference(form, a, b, m, k, n, want);
        expectClose(got, want, dtype === 'f32' ? 1e-5 : 1e-12);
      },
    );
  }

  test.prop(
    [fc.constantFrom<Form>('nn', 'nt', 'tn'), dims, dims, fc.constantFrom(1, 3, 10, 16, 17, 33, 40), fc.boolean()],
    { numRuns: 120, seed: 11 },
  )(
    'the tile chosen for the shape (no override) equals the reference matmul, f64 to 1e-12',
    (form, m, k, n, runtimeRows) => {
      const a = randomArray(m * k, m * 7 + k, Float64Array);
      const b = randomArray(k * n, n * 5 + k, Float64Array);
      const got = new Float64Array(m * n).fill(Number.NaN);
      compileGemm(form, m, k, n, undefined, runtimeRows)(a, b, got, form === 'tn' ? k : m);
      const want = new Float64Array(m * n);
      reference(form, a, b, m, k, n, want);
      expectClose(got, want, 1e-12);
    },
  );
});
