// The studio's built-in datasets, as JSON for the page: the runtime's xor, spirals, iris and MNIST
// (a seeded few-hundred-digit subset, so the page loads it in a moment) plus two more 2-D sets in
// the spirit of TensorFlow Playground, circles and moons.
import { applyStandardizer, type Dataset, fitStandardizer, subset } from '../../runtime/datasets/dataset.js';
import { loadIris, loadMnist, makeSpirals, makeXor } from '../../runtime/datasets/index.js';
import { permutation, Rng } from '../../runtime/rng.js';
import type { DatasetPayload } from './protocol.js';

export const STUDIO_DATASETS = ['xor', 'spirals', 'circles', 'moons', 'iris', 'mnist'] as const;
export type StudioDataset = (typeof STUDIO_DATASETS)[number];

export function isStudioDataset(name: string): name is StudioDataset {
  return (STUDIO_DATASETS as readonly string[]).includes(name);
}

/** MNIST digits per class in the page's subset (10 classes → 600 rows, ~470k numbers). */
const MNIST_PER_CLASS = 60;
const SEED = 1;

/** Builds one dataset (deterministic: the same seed every time). */
export function makeStudioDataset(name: StudioDataset): Dataset {
  switch (name) {
    case 'xor':
      return makeXor({ seed: SEED });
    case 'spirals':
      return makeSpirals({ seed: SEED });
    case 'circles':
      return makeCircles(400, SEED);
    case 'moons':
      return makeMoons(400, SEED);
    case 'iris': {
      // Features in cm differ in scale by 10×; standardized they train at any sane learning rate.
      const iris = loadIris();
      return applyStandardizer(iris, fitStandardizer(iris));
    }
    case 'mnist':
      return mnistSubset(MNIST_PER_CLASS, SEED);
  }
}

/** The dataset as the page receives it; features rounded to 4 decimals to keep the JSON small. */
export function datasetPayload(name: StudioDataset): DatasetPayload {
  const ds = makeStudioDataset(name);
  return {
    name,
    features: Array.from(ds.features, (v) => Math.round(v * 1e4) / 1e4),
    labels: Array.from(ds.labels),
    numRows: ds.numRows,
    numFeatures: ds.numFeatures,
    numClasses: ds.numClasses,
    classNames: ds.classNames,
  };
}

/** Two concentric rings (radius 0.5 and 1, σ = 0.08): class 0 inside, class 1 outside. */
export function makeCircles(rows: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const features = new Float64Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const cls = i & 1;
    const angle = rng.next() * 2 * Math.PI;
    const radius = (cls === 0 ? 0.5 : 1) + 0.08 * rng.normal();
    features[2 * i] = radius * Math.cos(angle);
    features[2 * i + 1] = radius * Math.sin(angle);
    labels[i] = cls;
  }
  return twoD('circles', features, labels);
}

/** Two interleaved half circles (σ = 0.08), centred on the origin and scaled into [-1, 1]. */
export function makeMoons(rows: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const features = new Float64Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const cls = i & 1;
    const t = rng.next() * Math.PI;
    const x = cls === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const y = cls === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    features[2 * i] = (x - 0.5) / 1.5 + 0.08 * rng.normal();
    features[2 * i + 1] = (y - 0.25) / 1.5 + 0.08 * rng.normal();
    labels[i] = cls;
  }
  return twoD('moons', features, labels);
}

function twoD(source: string, features: Float64Array, labels: Int32Array): Dataset {
  return {
    source,
    features,
    labels,
    numRows: labels.length,
    numFeatures: 2,
    numClasses: 2,
    classNames: ['0', '1'],
    featureNames: ['x', 'y'],
  };
}

/** `perClass` digits of each class, drawn with a seeded shuffle, classes interleaved. */
function mnistSubset(perClass: number, seed: number): Dataset {
  const all = loadMnist();
  const taken = new Array<number>(all.numClasses).fill(0);
  const rows: number[] = [];
  for (const r of permutation(all.numRows, new Rng(seed))) {
    const label = all.labels[r]!;
    if (taken[label]! >= perClass) continue;
    taken[label]! += 1;
    rows.push(r);
  }
  return subset(all, rows);
}
