// Hand-written MLP kernels: the "hand-written JS" row of DESIGN.md's peer table, and a second
// opinion on every other peer's numbers. Each matmul is register-blocked 4×4 (16 accumulators in
// locals, no stores in the inner loop) in the loop order its form needs, so nothing is transposed.
// Edge tiles clamp their row/column indices to the last valid one: the hot loop stays branch-free
// and only the (guarded) stores know about the edge.

/** Index offsets of a 4-wide tile starting at `start` in a dimension of `size`, clamped to the last index. */
function clampedOffsets(start: number, size: number): [number, number, number] {
  const last = size - 1;
  return [Math.min(start + 1, last) - start, Math.min(start + 2, last) - start, Math.min(start + 3, last) - start];
}

/** Writes up to four values of one tile row; `relu` zeroes negatives (the fused epilogue). */
function storeRow(
  out: Float32Array,
  at: number,
  cols: number,
  relu: boolean,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
): void {
  out[at] = relu && v0 < 0 ? 0 : v0;
  if (cols > 1) out[at + 1] = relu && v1 < 0 ? 0 : v1;
  if (cols > 2) out[at + 2] = relu && v2 < 0 ? 0 : v2;
  if (cols > 3) out[at + 3] = relu && v3 < 0 ? 0 : v3;
}

/** `y[m×n] = act(x[m×k] · w[k×n] + b)`, act = relu or identity. */
export function denseForward(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  y: Float32Array,
  m: number,
  k: number,
  n: number,
  relu: boolean,
): void {
  const fullRows = m - (m % 4);
  for (let i = 0; i < fullRows; i += 4) {
    const x0 = i * k,
      x1 = x0 + k,
      x2 = x1 + k,
      x3 = x2 + k;
    for (let j = 0; j < n; j += 4) {
      const [c1, c2, c3] = clampedOffsets(j, n);
      const b0 = b[j]!,
        b1 = b[j + c1]!,
        b2 = b[j + c2]!,
        b3 = b[j + c3]!;
      let s00 = b0,
        s01 = b1,
        s02 = b2,
        s03 = b3;
      let s10 = b0,
        s11 = b1,
        s12 = b2,
        s13 = b3;
      let s20 = b0,
        s21 = b1,
        s22 = b2,
        s23 = b3;
      let s30 = b0,
        s31 = b1,
        s32 = b2,
        s33 = b3;
      for (let p = 0, wp = j; p < k; p++, wp += n) {
        const w0 = w[wp]!,
          w1 = w[wp + c1]!,
          w2 = w[wp + c2]!,
          w3 = w[wp + c3]!;
        const a0 = x[x0 + p]!,
          a1 = x[x1 + p]!,
          a2 = x[x2 + p]!,
          a3 = x[x3 + p]!;
        s00 += a0 * w0;
        s01 += a0 * w1;
        s02 += a0 * w2;
        s03 += a0 * w3;
        s10 += a1 * w0;
        s11 += a1 * w1;
        s12 += a1 * w2;
        s13 += a1 * w3;
        s20 += a2 * w0;
        s21 += a2 * w1;
        s22 += a2 * w2;
        s23 += a2 * w3;
        s30 += a3 * w0;
        s31 += a3 * w1;
        s32 += a3 * w2;
        s33 += a3 * w3;
      }
      const cols = Math.min(4, n - j);
      const at = i * n + j;
      storeRow(y, at, cols, relu, s00, s01, s02, s03);
      storeRow(y, at + n, cols, relu, s10, s11, s12, s13);
      storeRow(y, at + 2 * n, cols, relu, s20, s21, s22, s23);
      storeRow(y, at + 3 * n, cols, relu, s30, s31, s32, s33);
    }
  }
  // Leftover rows (all of them at batch 1) get 1×8 tiles rather than 4×4 tiles of repeated rows.
  for (let i = fullRows; i < m; i++) denseForwardRow(x, w, b, y, i, k, n, relu);
}

function denseForwardRow(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  y: Float32Array,
  i: number,
  k: number,
  n: number,
  relu: boolean,
): void {
  const x0 = i * k;
  for (let j = 0; j < n; j += 8) {
    const [c1, c2, c3] = clampedOffsets(j, n);
    const [c4, c5, c6, c7] = [
      Math.min(j + 4, n - 1) - j,
      Math.min(j + 5, n - 1) - j,
      Math.min(j + 6, n - 1) - j,
      Math.min(j + 7, n - 1) - j,
    ];
    let s0 = b[j]!,
      s1 = b[j + c1]!,
      s2 = b[j + c2]!,
      s3 = b[j + c3]!;
    let s4 = b[j + c4]!,
      s5 = b[j + c5]!,
      s6 = b[j + c6]!,
      s7 = b[j + c7]!;
    for (let p = 0, wp = j; p < k; p++, wp += n) {
      const a = x[x0 + p]!;
      s0 += a * w[wp]!;
      s1 += a * w[wp + c1]!;
      s2 += a * w[wp + c2]!;
      s3 += a * w[wp + c3]!;
      s4 += a * w[wp + c4]!;
      s5 += a * w[wp + c5]!;
      s6 += a * w[wp + c6]!;
      s7 += a * w[wp + c7]!;
    }
    const at = i * n + j;
    storeRow(y, at, Math.min(4, n - j), relu, s0, s1, s2, s3);
    if (n - j > 4) storeRow(y, at + 4, n - j - 4, relu, s4, s5, s6, s7);
  }
}

/**
 * `dx[m×k] = (dz[m×n] · wᵀ) ⊙ relu'(h)`, with `h` the layer's (post-relu) input: `h > 0` is
 * exactly `z > 0`, and relu'(0) = 0.
 */
export function denseBackwardInput(
  dz: Float32Array,
  w: Float32Array,
  h: Float32Array,
  dx: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i += 4) {
    const [ri1, ri2, ri3] = clampedOffsets(i, m);
    const d0 = i * n,
      d1 = d0 + ri1 * n,
      d2 = d0 + ri2 * n,
      d3 = d0 + ri3 * n;
    for (let p = 0; p < k; p += 4) {
      const [rp1, rp2, rp3] = clampedOffsets(p, k);
      const w0 = p * n,
        w1 = w0 + rp1 * n,
        w2 = w0 + rp2 * n,
        w3 = w0 + rp3 * n;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0;
      let s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let j = 0; j < n; j++) {
        const g0 = dz[d0 + j]!,
          g1 = dz[d1 + j]!,
          g2 = dz[d2 + j]!,
          g3 = dz[d3 + j]!;
        const v0 = w[w0 + j]!,
          v1 = w[w1 + j]!,
          v2 = w[w2 + j]!,
          v3 = w[w3 + j]!;
        s00 += g0 * v0;
        s01 += g0 * v1;
        s02 += g0 * v2;
        s03 += g0 * v3;
        s10 += g1 * v0;
        s11 += g1 * v1;
        s12 += g1 * v2;
        s13 += g1 * v3;
        s20 += g2 * v0;
        s21 += g2 * v1;
        s22 += g2 * v2;
        s23 += g2 * v3;
        s30 += g3 * v0;
        s31 += g3 * v1;
        s32 += g3 * v2;
        s33 += g3 * v3;
      }
      const cols = Math.min(4, k - p);
      const at = i * k + p;
      storeMasked(dx, h, at, cols, s00, s01, s02, s03);
      if (i + 1 < m) storeMasked(dx, h, at + k, cols, s10, s11, s12, s13);
      if (i + 2 < m) storeMasked(dx, h, at + 2 * k, cols, s20, s21, s22, s23);
      if (i + 3 < m) storeMasked(dx, h, at + 3 * k, cols, s30, s31, s32, s33);
    }
  }
}

function storeMasked(
  out: Float32Array,
  h: Float32Array,
  at: number,
  cols: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
): void {
  out[at] = h[at]! > 0 ? v0 : 0;
  if (cols > 1) out[at + 1] = h[at + 1]! > 0 ? v1 : 0;
  if (cols > 2) out[at + 2] = h[at + 2]! > 0 ? v2 : 0;
  if (cols > 3) out[at + 3] = h[at + 3]! > 0 ? v3 : 0;
}

function subtractRow(
  w: Float32Array,
  at: number,
  cols: number,
  lr: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
): void {
  w[at] = w[at]! - lr * v0;
  if (cols > 1) w[at + 1] = w[at + 1]! - lr * v1;
  if (cols > 2) w[at + 2] = w[at + 2]! - lr * v2;
  if (cols > 3) w[at + 3] = w[at + 3]! - lr * v3;
}

/**
 * SGD on one layer with the gradient never stored: `w -= lr · aᵀ·dz`, `b -= lr · Σ_rows dz`.
 * `a` is the layer's input [m×k], `dz` the gradient of its pre-activation [m×n].
 */
export function denseSgdUpdate(
  a: Float32Array,
  dz: Float32Array,
  w: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  lr: number,
): void {
  for (let p = 0; p < k; p += 4) {
    const [q1, q2, q3] = clampedOffsets(p, k);
    for (let j = 0; j < n; j += 4) {
      const [c1, c2, c3] = clampedOffsets(j, n);
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0;
      let s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let i = 0, ai = p, di = j; i < m; i++, ai += k, di += n) {
        const a0 = a[ai]!,
          a1 = a[ai + q1]!,
          a2 = a[ai + q2]!,
          a3 = a[ai + q3]!;
        const g0 = dz[di]!,
          g1 = dz[di + c1]!,
          g2 = dz[di + c2]!,
          g3 = dz[di + c3]!;
        s00 += a0 * g0;
        s01 += a0 * g1;
        s02 += a0 * g2;
        s03 += a0 * g3;
        s10 += a1 * g0;
        s11 += a1 * g1;
        s12 += a1 * g2;
        s13 += a1 * g3;
        s20 += a2 * g0;
        s21 += a2 * g1;
        s22 += a2 * g2;
        s23 += a2 * g3;
        s30 += a3 * g0;
        s31 += a3 * g1;
        s32 += a3 * g2;
        s33 += a3 * g3;
      }
      const cols = Math.min(4, n - j);
      const at = p * n + j;
      subtractRow(w, at, cols, lr, s00, s01, s02, s03);
      if (p + 1 < k) subtractRow(w, at + n, cols, lr, s10, s11, s12, s13);
      if (p + 2 < k) subtractRow(w, at + 2 * n, cols, lr, s20, s21, s22, s23);
      if (p + 3 < k) subtractRow(w, at + 3 * n, cols, lr, s30, s31, s32, s33);
    }
  }
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0, di = j; i < m; i++, di += n) s += dz[di]!;
    b[j] = b[j]! - lr * s;
  }
}

/** Row-wise softmax of `logits` into `probs` (may alias); max-shifted so large logits cannot overflow. */
export function softmaxRows(logits: Float32Array, probs: Float32Array, m: number, n: number): void {
  for (let i = 0, r = 0; i < m; i++, r += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, logits[r + j]!);
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(logits[r + j]! - max);
      probs[r + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < n; j++) probs[r + j] = probs[r + j]! * inv;
  }
}

/**
 * Mean cross-entropy of softmax `probs` against class indices, and its gradient w.r.t. the
 * logits, `(p − onehot(y)) / m`, written to `dlogits`.
 */
export function crossEntropyGrad(
  probs: Float32Array,
  y: Int32Array,
  dlogits: Float32Array,
  m: number,
  n: number,
): number {
  let loss = 0;
  const scale = 1 / m;
  for (let i = 0, r = 0; i < m; i++, r += n) {
    const label = y[i]!;
    loss -= Math.log(probs[r + label]!);
    for (let j = 0; j < n; j++) dlogits[r + j] = (probs[r + j]! - (j === label ? 1 : 0)) * scale;
  }
  return loss * scale;
}
