import { describe, expect, it } from 'vitest';
import { randomShift } from '../../runtime/augment.js';
import { Rng } from '../../runtime/rng.js';

/** A 4×3 image whose pixel (x, y) holds 10·y + x + 1, so every value says where it came from. */
const W = 4;
const H = 3;
const image = Float32Array.from({ length: W * H }, (_, i) => 10 * Math.floor(i / W) + (i % W) + 1);

describe('randomShift', () => {
  it('moves the image by (dx, dy) within ±maxShift, filling with zeros', () => {
    const rng = new Rng(5);
    const shift = randomShift({ width: W, height: H, maxShift: 1 }, rng);
    const seen = new Set<string>();
    for (let trial = 0; trial < 200; trial++) {
      const dst = new Float32Array(W * H + 2).fill(-1);
      shift(image, 0, dst, 1);
      expect(dst[0]).toBe(-1); // writes exactly one row at the offset
      expect(dst[W * H + 1]).toBe(-1);
      // Recover the shift from any non-zero pixel and check every pixel against it.
      const i = dst.findIndex((v, k) => k > 0 && v > 0) - 1;
      const v = dst[i + 1]!;
      const dx = (i % W) - ((v - 1) % 10);
      const dy = Math.floor(i / W) - Math.floor((v - 1) / 10);
      expect(Math.abs(dx)).toBeLessThanOrEqual(1);
      expect(Math.abs(dy)).toBeLessThanOrEqual(1);
      seen.add(`${dx},${dy}`);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const sx = x - dx;
          const sy = y - dy;
          const want = sx >= 0 && sx < W && sy >= 0 && sy < H ? image[sy * W + sx]! : 0;
          expect(dst[1 + y * W + x]).toBe(want);
        }
      }
    }
    expect(seen.size).toBe(9); // all of (−1..1)², uniformly drawn
  });

  it('is deterministic for a seed and reads from the source offset', () => {
    const two = new Float32Array(2 * W * H);
    two.set(image, W * H);
    const a = new Float32Array(W * H);
    const b = new Float32Array(W * H);
    randomShift({ width: W, height: H, maxShift: 2 }, new Rng(9))(two, W * H, a, 0);
    randomShift({ width: W, height: H, maxShift: 2 }, new Rng(9))(image, 0, b, 0);
    expect(a).toEqual(b);
  });
});
