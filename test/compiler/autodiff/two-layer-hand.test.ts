// The classic lecture derivation of the 2-layer sigmoid network, by explicit loops:
//   z = x·W1 + b1,  h = σ(z),  o = h·W2 + b2,  p = softmax(o),  L = (1/n) Σ_rows −Σ_l y_l log p_l
//   ∂L/∂o_l      = (p_l − y_l)/n
//   ∂L/∂W2_jl    = Σ_rows h_j · ∂L/∂o_l
//   ∂L/∂b2_l     = Σ_rows ∂L/∂o_l
//   ∂L/∂W1_ij    = Σ_rows Σ_l ∂L/∂o_l · W2_jl · σ'(z_j) · x_i,   σ'(z) = σ(z)(1 − σ(z))
//   ∂L/∂b1_j     = Σ_rows Σ_l ∂L/∂o_l · W2_jl · σ'(z_j)
// The autodiff pass (naive chain: cross_entropy_grad, softmax_grad, ...) must give the same numbers.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../../compiler/interp/interpret.js';
import { randomFeeds, randomParams } from '../../support/data.js';
import { exampleSpec } from '../../support/examples.js';
import { gradientGraph } from '../../support/pipeline.js';
import { rng } from '../../support/rng.js';
import { closeTo } from '../../support/run-op.js';

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));

function handGradients(
  x: Float64Array,
  y: Float64Array,
  n: number,
  P: Record<string, Float64Array>,
): Record<string, number[]> {
  const [d, H, K] = [3, 4, 2];
  const W1 = P['z.weight'] ?? new Float64Array();
  const b1 = P['z.bias'] ?? new Float64Array();
  const W2 = P['o.weight'] ?? new Float64Array();
  const b2 = P['o.bias'] ?? new Float64Array();
  const g = {
    W1: new Array<number>(d * H).fill(0),
    b1: new Array<number>(H).fill(0),
    W2: new Array<number>(H * K).fill(0),
    b2: new Array<number>(K).fill(0),
  };
  const at = (a: ArrayLike<number>, i: number): number => a[i] ?? Number.NaN;
  for (let r = 0; r < n; r++) {
    const z: number[] = [];
    for (let j = 0; j < H; j++) {
      let s = at(b1, j);
      for (let i = 0; i < d; i++) s += at(x, r * d + i) * at(W1, i * H + j);
      z.push(s);
    }
    const h = z.map(sigma);
    const o: number[] = [];
    for (let l = 0; l < K; l++) {
      let s = at(b2, l);
      for (let j = 0; j < H; j++) s += at(h, j) * at(W2, j * K + l);
      o.push(s);
    }
    const denom = o.reduce((s, v) => s + Math.exp(v), 0);
    const dO = o.map((v, l) => (Math.exp(v) / denom - at(y, r * K + l)) / n);
    for (let l = 0; l < K; l++) {
      g.b2[l] = at(g.b2, l) + at(dO, l);
      for (let j = 0; j < H; j++) g.W2[j * K + l] = at(g.W2, j * K + l) + at(h, j) * at(dO, l);
    }
    for (let j = 0; j < H; j++) {
      const sp = at(h, j) * (1 - at(h, j));
      let back = 0;
      for (let l = 0; l < K; l++) back += at(dO, l) * at(W2, j * K + l) * sp;
      g.b1[j] = at(g.b1, j) + back;
      for (let i = 0; i < d; i++) g.W1[i * H + j] = at(g.W1, i * H + j) + back * at(x, r * d + i);
    }
  }
  return { 'z.weight': g.W1, 'z.bias': g.b1, 'o.weight': g.W2, 'o.bias': g.b2 };
}

describe('two_layer_sigmoid: hand derivation = autodiff pass', () => {
  it.each([1, 5])('batch %i', (n) => {
    const { forward, joint } = gradientGraph(exampleSpec('two_layer_sigmoid'));
    const r = rng(100 + n);
    const params = randomParams(forward, r);
    const feeds = randomFeeds(forward, n, r);
    const x = feeds['x'];
    const y = feeds['y'];
    if (!(x instanceof Float64Array) || !(y instanceof Float64Array)) throw new Error('unexpected feed types');
    const hand = handGradients(x, y, n, params);
    const run = interpret(joint, { feeds, params });
    for (const name of ['z.weight', 'z.bias', 'o.weight', 'o.bias']) {
      expect(closeTo(run.grads[name] ?? [], hand[name] ?? [], 1e-10, 1e-14), name).toBeUndefined();
    }
  });
});
