// The one in-memory dataset shape every loader produces, and the seeded operations on it:
// validation, subsets, train/validation split, standardization.
import type { FloatArray } from '../model.js';
import { RuntimeError } from '../errors.js';
import { Rng, permutation } from '../rng.js';

export interface Dataset {
  /** Where the rows came from: a built-in name (`iris`) or a file path; used in messages. */
  readonly source: string;
  /** `numRows × numFeatures`, row-major. */
  readonly features: FloatArray;
  /** One class index per row, in `[0, numClasses)`. */
  readonly labels: Int32Array;
  readonly numRows: number;
  readonly numFeatures: number;
  readonly numClasses: number;
  /** Class index → name (`setosa`, or `'7'` for MNIST digits). */
  readonly classNames: readonly string[];
  readonly featureNames?: readonly string[];
  /** Source line of each row (CSV files), so errors can point at it. */
  readonly rowLines?: Int32Array;
}

/** `data.csv:14 (row 13)` or `iris row 13`, for error messages (rows are 1-based for people). */
export function describeRow(ds: Dataset, row: number): string {
  const line = ds.rowLines?.[row];
  return line !== undefined ? `${ds.source}:${line} (row ${row + 1})` : `${ds.source} row ${row + 1}`;
}

/**
 * Checks what a loader cannot be trusted to have checked: sizes agree, every feature is finite,
 * every label is a class index. Throws a RuntimeError naming the first bad row.
 */
export function validateDataset(ds: Dataset): void {
  if (ds.features.length !== ds.numRows * ds.numFeatures || ds.labels.length !== ds.numRows) {
    throw new RuntimeError(
      `${ds.source}: ${ds.numRows} rows × ${ds.numFeatures} features needs ${ds.numRows * ds.numFeatures} values and ${ds.numRows} labels, ` +
        `got ${ds.features.length} and ${ds.labels.length}`,
    );
  }
  if (ds.numRows === 0)
    throw new RuntimeError(`${ds.source} has no data rows`, 'add at least one row below the header');
  const f = ds.numFeatures;
  for (let r = 0; r < ds.numRows; r++) {
    for (let c = 0; c < f; c++) {
      const v = ds.features[r * f + c]!;
      if (!Number.isFinite(v)) {
        const col = ds.featureNames?.[c] !== undefined ? `'${ds.featureNames[c]}'` : `${c + 1}`;
        throw new RuntimeError(
          `${describeRow(ds, r)}: feature ${col} is ${v} (features must be finite numbers)`,
          'fix or drop that row; missing values must be filled in before training',
        );
      }
    }
    const y = ds.labels[r]!;
    if (y < 0 || y >= ds.numClasses) {
      throw new RuntimeError(
        `${describeRow(ds, r)}: label ${y} is out of range: there are ${ds.numClasses} classes (0..${ds.numClasses - 1})`,
        'labels must be class indices from 0 to numClasses-1',
      );
    }
  }
}

/** The rows at `indices`, in that order (copied). */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const f = ds.numFeatures;
  const n = indices.length;
  const features = ds.features instanceof Float32Array ? new Float32Array(n * f) : new Float64Array(n * f);
  const labels = new Int32Array(n);
  const lines = ds.rowLines ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const r = indices[i]!;
    features.set(ds.features.subarray(r * f, r * f + f), i * f);
    labels[i] = ds.labels[r]!;
    if (lines) lines[i] = ds.rowLines![r]!;
  }
  return { ...ds, features, labels, numRows: n, ...(lines ? { rowLines: lines } : {}) };
}

export interface Split {
  readonly train: Dataset;
  /** Held-out rows; absent when the validation fraction is 0. */
  readonly val?: Dataset;
}

/**
 * Seeded, stratified split: from each class, `round(count·valFraction)` rows are held out, so the
 * validation set has the class mix of the whole. The same seed and data always give the same
 * split, so `eval --split val` can rebuild the held-out set of a training run.
 */
export function splitDataset(ds: Dataset, valFraction: number, seed: number): Split {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RuntimeError(`validation fraction must be in [0, 1), got ${valFraction}`, 'use e.g. --val-split 0.2');
  }
  if (valFraction === 0) return { train: ds };
  // NOTE: its own stream, so the split does not depend on how many numbers training draws.
  const rng = new Rng(seed ^ 0x5f3759df);
  const order = permutation(ds.numRows, rng);
  const byClass = new Map<number, number[]>();
  for (const r of order) {
    const y = ds.labels[r]!;
    const rows = byClass.get(y) ?? [];
    rows.push(r);
    byClass.set(y, rows);
  }
  const train: number[] = [];
  const val: number[] = [];
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(y)!;
    const nVal = Math.round(rows.length * valFraction);
    // NOTE: a loop, not a spread into push: a spread of 100k+ rows overflows the stack.
    for (let i = 0; i < rows.length; i++) (i < nVal ? val : train).push(rows[i]!);
  }
  if (val.length === 0) return { train: ds };
  if (train.length === 0)
    throw new RuntimeError(`${ds.source}: a validation split of ${valFraction} leaves no training rows`);
  // Keep the shuffled order rather than class blocks (matters only for people reading the rows).
  const rank = new Int32Array(ds.numRows);
  order.forEach((r, i) => (rank[r] = i));
  const byRank = (a: number, b: number): number => rank[a]! - rank[b]!;
  return { train: subset(ds, train.sort(byRank)), val: subset(ds, val.sort(byRank)) };
}

/** Per-feature mean and standard deviation, fitted on the training rows only. */
export interface Standardizer {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export function fitStandardizer(ds: Dataset): Standardizer {
  const f = ds.numFeatures;
  const mean = new Array<number>(f).fill(0);
  const sq = new Array<number>(f).fill(0);
  for (let r = 0; r < ds.numRows; r++) {
    for (let c = 0; c < f; c++) mean[c]! += ds.features[r * f + c]!;
  }
  for (let c = 0; c < f; c++) mean[c]! /= ds.numRows;
  for (let r = 0; r < ds.numRows; r++) {
    for (let c = 0; c < f; c++) sq[c]! += (ds.features[r * f + c]! - mean[c]!) ** 2;
  }
  // A constant column would divide by zero; leave it centred but unscaled.
  const std = sq.map((s) => Math.sqrt(s / ds.numRows) || 1);
  return { mean, std };
}

export function applyStandardizer(ds: Dataset, s: Standardizer): Dataset {
  const f = ds.numFeatures;
  if (s.mean.length !== f) {
    throw new RuntimeError(`standardization was fitted on ${s.mean.length} features but ${ds.source} has ${f}`);
  }
  const features =
    ds.features instanceof Float32Array ? new Float32Array(ds.features.length) : new Float64Array(ds.features.length);
  for (let r = 0; r < ds.numRows; r++) {
    for (let c = 0; c < f; c++) features[r * f + c] = (ds.features[r * f + c]! - s.mean[c]!) / s.std[c]!;
  }
  return { ...ds, features };
}

/**
 * `applyStandardizer` without the copy: overwrites `ds.features`. Only for rows the caller owns
 * (e.g. `splitDataset`'s subsets, which are fresh copies), never a loader's possibly cached data.
 */
export function standardizeInPlace(ds: Dataset, s: Standardizer): Dataset {
  const f = ds.numFeatures;
  if (s.mean.length !== f) {
    throw new RuntimeError(`standardization was fitted on ${s.mean.length} features but ${ds.source} has ${f}`);
  }
  const x = ds.features;
  for (let r = 0; r < ds.numRows; r++) {
    for (let c = 0; c < f; c++) x[r * f + c] = (x[r * f + c]! - s.mean[c]!) / s.std[c]!;
  }
  return ds;
}
