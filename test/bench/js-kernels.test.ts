// The hand-written JS peer's kernels against naive loops, on shapes that hit every edge tile
// (1, primes, non-multiples of the 4×4 and 1×8 tiles).
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../bench/data.js';
import {
  crossEntropyGrad,
  denseBackwardInput,
  denseForward,
  denseSgdUpdate,
  softmaxRows,
} from '../../bench/peers/js-kernels.js';

function random(length: number, next: () => number, shift = 0.5): Float32Array {
  return Float32Array.from({ length }, () => next() - shift);
}

function naiveMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return out;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)))) {
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const shapes: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 1],
  [1, 7, 13],
  [1, 5, 10],
  [2, 3, 6],
  [3, 5, 7],
  [4, 4, 4],
  [5, 11, 3],
  [6, 10, 2],
  [7, 2, 14],
  [8, 13, 9],
  [16, 4, 16],
  [13, 17, 19],
];

describe.each(shapes)('js kernels at m=%i k=%i n=%i', (m, k, n) => {
  const next = seededRandom(m * 1000 + k * 10 + n);
  const x = random(m * k, next);
  const w = random(k * n, next);
  const b = random(n, next);

  it('denseForward = x·w + b, with and without the relu epilogue', () => {
    const ref = naiveMatmul(x, w, m, k, n).map((v, i) => v + b[i % n]!);
    const y = new Float32Array(m * n);
    denseForward(x, w, b, y, m, k, n, false);
    expectClose(y, ref);
    denseForward(x, w, b, y, m, k, n, true);
    expectClose(
      y,
      ref.map((v) => Math.max(v, 0)),
    );
  });

  it("denseBackwardInput = (dz·wᵀ) ⊙ [h > 0], relu'(0) = 0", () => {
    const dz = random(m * n, next);
    const h = random(m * k, next).map((v, i) => (i % 5 === 0 ? 0 : v));
    const dx = new Float32Array(m * k);
    denseBackwardInput(dz, w, h, dx, m, k, n);
    const ref = naiveMatmul(dz, transpose(w, k, n), m, n, k).map((v, i) => (h[i]! > 0 ? v : 0));
    expectClose(dx, ref);
  });

  it('denseSgdUpdate: w -= lr·xᵀ·dz and b -= lr·Σ dz', () => {
    const dz = random(m * n, next);
    const w2 = Float32Array.from(w);
    const b2 = Float32Array.from(b);
    denseSgdUpdate(x, dz, w2, b2, m, k, n, 0.1);
    const grad = naiveMatmul(transpose(x, m, k), dz, k, m, n);
    expectClose(
      w2,
      Array.from(w, (v, i) => v - 0.1 * grad[i]!),
    );
    const biasGrad = Array.from(b, (_v, j) =>
      Array.from({ length: m }, (_u, i) => dz[i * n + j]!).reduce((s, v) => s + v, 0),
    );
    expectClose(
      b2,
      Array.from(b, (v, j) => v - 0.1 * biasGrad[j]!),
    );
  });
});

describe('softmax + cross-entropy', () => {
  it('is stable for large logits and its gradient is (p − y)/m', () => {
    const logits = Float32Array.from([1000, 1001, 999, -3, 0, 3]);
    const probs = new Float32Array(6);
    softmaxRows(logits, probs, 2, 3);
    const e = [Math.exp(-1), 1, Math.exp(-2)];
    const s = e[0]! + e[1]! + e[2]!;
    expectClose(
      probs.subarray(0, 3),
      e.map((v) => v / s),
    );
    expect(probs.every(Number.isFinite)).toBe(true);

    const dlogits = new Float32Array(6);
    const loss = crossEntropyGrad(probs, Int32Array.from([1, 2]), dlogits, 2, 3);
    expect(loss).toBeCloseTo((-Math.log(probs[1]!) - Math.log(probs[5]!)) / 2, 6);
    expectClose(dlogits, [
      probs[0]! / 2,
      (probs[1]! - 1) / 2,
      probs[2]! / 2,
      probs[3]! / 2,
      probs[4]! / 2,
      (probs[5]! - 1) / 2,
    ]);
  });
});
