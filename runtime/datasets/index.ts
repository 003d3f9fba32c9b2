// `--data` names: a built-in dataset or a CSV file.
import { RuntimeError } from '../errors.js';
import { loadCsv, type CsvOptions } from './csv.js';
import { validateDataset, type Dataset } from './dataset.js';
import { loadIris } from './iris.js';
import { loadMnist } from './mnist.js';
import { makeSpirals, makeXor } from './synthetic.js';

export * from './dataset.js';
export { loadCsv, type CsvOptions } from './csv.js';
export { loadIris } from './iris.js';
export { loadMnist, MNIST_PIXELS } from './mnist.js';
export { makeSpirals, makeXor } from './synthetic.js';

export const BUILTIN_DATASETS = ['mnist', 'iris', 'xor', 'spirals'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];

export interface LoadOptions extends CsvOptions {
  /** Seed for the synthetic datasets (the same seed gives the same points). */
  readonly seed: number;
}

function isBuiltin(name: string): name is BuiltinDataset {
  return (BUILTIN_DATASETS as readonly string[]).includes(name);
}

function loadBuiltin(name: BuiltinDataset, seed: number): Dataset {
  switch (name) {
    case 'mnist':
      return loadMnist();
    case 'iris':
      return loadIris();
    case 'xor':
      return makeXor({ seed });
    case 'spirals':
      return makeSpirals({ seed });
  }
}

/** Loads and validates `--data`: `mnist`, `iris`, `xor`, `spirals`, or a `.csv` path. */
export function loadDataset(name: string, options: LoadOptions): Dataset {
  let ds: Dataset;
  if (isBuiltin(name)) ds = loadBuiltin(name, options.seed);
  else if (/\.(csv|txt)$/i.test(name)) ds = loadCsv(name, options);
  else {
    throw new RuntimeError(
      `unknown dataset '${name}'`,
      `use one of ${BUILTIN_DATASETS.join(', ')}, or a path ending in .csv`,
    );
  }
  validateDataset(ds);
  return ds;
}
