// Seeded synthetic classification problems: XOR and two interleaved spirals. Small, fast, and
// not linearly separable, so they show whether a hidden layer actually learns.
import { Rng } from '../rng.js';
import type { Dataset } from './dataset.js';

/**
 * XOR: points scattered (σ = 0.1) around the four corners of the unit square; the class is
 * the XOR of the corner's coordinates. Clusters never overlap, so 100% accuracy is reachable.
 */
export function makeXor(options: { rows?: number; seed: number }): Dataset {
  const n = options.rows ?? 400;
  const rng = new Rng(options.seed);
  const features = new Float64Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = i & 1;
    const b = (i >> 1) & 1;
    features[2 * i] = a + 0.1 * rng.normal();
    features[2 * i + 1] = b + 0.1 * rng.normal();
    labels[i] = a ^ b;
  }
  return {
    source: 'xor',
    features,
    labels,
    numRows: n,
    numFeatures: 2,
    numClasses: 2,
    classNames: ['0', '1'],
    featureNames: ['a', 'b'],
  };
}

/**
 * Two spirals: 1.5 turns each, the second the first rotated by 180°, radius growing from 0 to 1,
 * with a little noise (σ = 0.02). Half the rows per class.
 */
export function makeSpirals(options: { rows?: number; seed: number }): Dataset {
  const n = options.rows ?? 1000;
  const rng = new Rng(options.seed);
  const features = new Float64Array(n * 2);
  const labels = new Int32Array(n);
  const turns = 1.5;
  for (let i = 0; i < n; i++) {
    const cls = i & 1;
    // sqrt spreads points evenly along the arc instead of crowding the centre.
    const t = Math.sqrt(rng.next());
    const angle = t * turns * 2 * Math.PI + cls * Math.PI;
    features[2 * i] = t * Math.cos(angle) + 0.02 * rng.normal();
    features[2 * i + 1] = t * Math.sin(angle) + 0.02 * rng.normal();
    labels[i] = cls;
  }
  return {
    source: 'spirals',
    features,
    labels,
    numRows: n,
    numFeatures: 2,
    numClasses: 2,
    classNames: ['0', '1'],
    featureNames: ['x', 'y'],
  };
}
