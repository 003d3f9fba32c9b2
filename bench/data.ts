// Seeded weights and data shared by every peer: each worker regenerates them from the same seed,
// so peers start from bit-identical parameters and see the same batch.
import type { Network } from './workloads.js';

/** Parameters keyed like a generated module's `params`: `<node>.weight` ([in, out] row-major), `<node>.bias`. */
export type Weights = Readonly<Record<string, Float32Array>>;

export interface Batch {
  readonly size: number;
  /** [size, inputSize] row-major. */
  readonly x: Float32Array;
  /** Class index per row. */
  readonly y: Int32Array;
}

/** xorshift32: tiny, fast and identical on every platform; quality is ample for test data. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

function uniform(length: number, limit: number, next: () => number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (2 * next() - 1) * limit;
  return out;
}

/** Glorot-uniform weights and small non-zero biases (so a dropped bias term would show up). */
export function initialWeights(net: Network, seed: number): Weights {
  const next = seededRandom(seed);
  const weights: Record<string, Float32Array> = {};
  for (const layer of net.layers) {
    const limit = Math.sqrt(6 / (layer.inputs + layer.units));
    weights[`${layer.name}.weight`] = uniform(layer.inputs * layer.units, limit, next);
    weights[`${layer.name}.bias`] = uniform(layer.units, 0.1, next);
  }
  return weights;
}

/** Inputs in [0, 1) like normalized pixels, and uniformly drawn classes. */
export function makeBatch(net: Network, size: number, seed: number): Batch {
  const next = seededRandom(seed ^ 0x5bd1e995);
  const x = new Float32Array(size * net.inputSize);
  for (let i = 0; i < x.length; i++) x[i] = next();
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) y[i] = Math.floor(next() * net.classes);
  return { size, x, y };
}

export function weightOf(weights: Weights, key: string): Float32Array {
  const w = weights[key];
  if (!w) throw new Error(`missing parameter '${key}' in the benchmark weights`);
  return w;
}
