// Training-time data augmentation. For small image sets (MNIST's 8,000 training digits) random
// small translations are the classic cheap regularizer: the MLP sees a slightly different
// digit every epoch and generalizes better. Draws come from the training RNG, so runs stay
// deterministic and resumable.
import type { FloatArray } from './model.js';
import type { Rng } from './rng.js';

/** Copies row `src[srcStart…]` to `dst[dstStart…]`, possibly transformed. */
export type RowTransform = (src: FloatArray, srcStart: number, dst: FloatArray, dstStart: number) => void;

export interface ShiftOptions {
  readonly width: number;
  readonly height: number;
  /** Largest shift in pixels along each axis (uniform in [-maxShift, maxShift]). */
  readonly maxShift: number;
}

/**
 * Random translation of a row-major `height × width` image; pixels shifted in are 0 (the
 * background of raw, unstandardized images).
 */
export function randomShift(o: ShiftOptions, rng: Rng): RowTransform {
  const { width: w, height: h, maxShift: m } = o;
  return (src, s0, dst, d0) => {
    const dx = rng.int(2 * m + 1) - m;
    const dy = rng.int(2 * m + 1) - m;
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      const rowOut = d0 + y * w;
      if (sy < 0 || sy >= h) {
        dst.fill(0, rowOut, rowOut + w);
        continue;
      }
      const rowIn = s0 + sy * w;
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        dst[rowOut + x] = sx >= 0 && sx < w ? src[rowIn + sx]! : 0;
      }
    }
  };
}
