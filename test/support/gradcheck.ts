// Gradient checks by central finite differences in float64 (JAX `check_vjp` style): for a
// function f and its VJP, ⟨t, vjp(c)⟩ must equal ⟨(f(x + h·t) − f(x − h·t))/2h, c⟩ for random
// directions t and cotangents c. One cheap scalar check per direction, whatever the sizes.
import type { Rng } from './rng.js';

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

export function randomDirection(r: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => r.normal());
}

/** Relative error |a − b| / max(|a|, |b|, floor). */
export function relErr(a: number, b: number, floor = 1e-12): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
}

/**
 * ⟨f'(x)·t, c⟩ by central differences, where `f` maps a flat point to a flat output. The step
 * `h` is relative to the size of x (default 1e-6, good for float64 and smooth f).
 */
export function numericJvpDot(
  f: (x: Float64Array) => ArrayLike<number>,
  x: Float64Array,
  t: Float64Array,
  c: ArrayLike<number>,
  h = 1e-6,
): number {
  const plus = x.map((v, i) => v + h * (t[i] ?? 0));
  const minus = x.map((v, i) => v - h * (t[i] ?? 0));
  const fp = f(plus);
  const fm = f(minus);
  let s = 0;
  for (let i = 0; i < fp.length; i++) s += (((fp[i] ?? 0) - (fm[i] ?? 0)) / (2 * h)) * (c[i] ?? 0);
  return s;
}

/** Richardson extrapolation of two central differences: error O(h⁴) instead of O(h²). */
export function richardsonJvpDot(
  f: (x: Float64Array) => ArrayLike<number>,
  x: Float64Array,
  t: Float64Array,
  c: ArrayLike<number>,
  h: number,
): number {
  return (4 * numericJvpDot(f, x, t, c, h / 2) - numericJvpDot(f, x, t, c, h)) / 3;
}

export interface VjpCheck {
  readonly analytic: number;
  readonly numeric: number;
  readonly relErr: number;
  /** The difference scheme that agreed best, e.g. `central h=1e-6`. */
  readonly scheme: string;
}

/**
 * Difference schemes tried, small steps first. No single step suits every graph: a small step
 * keeps finite differences off the kinks of relu-like ops, but loses to rounding when the loss
 * is ill-conditioned (BCE on a saturated sigmoid reads 1 − p with p ≈ 1); a large step with
 * Richardson extrapolation is the reverse. The check takes the best agreement: a wrong gradient
 * is off by an amount that does not depend on the step, so it fails under every scheme.
 */
const SCHEMES: readonly { name: string; h: number; richardson: boolean }[] = [
  { name: 'central h=1e-6', h: 1e-6, richardson: false },
  { name: 'central h=1e-5', h: 1e-5, richardson: false },
  { name: 'richardson h=1e-4', h: 1e-4, richardson: true },
  { name: 'richardson h=1e-3', h: 1e-3, richardson: true },
];

/**
 * One random-direction check of `vjp` (the gradient of ⟨c, f⟩ w.r.t. x) against finite
 * differences; `floor` is the magnitude below which errors count as absolute.
 */
export function checkVjp(
  f: (x: Float64Array) => ArrayLike<number>,
  vjp: ArrayLike<number>,
  x: Float64Array,
  c: ArrayLike<number>,
  r: Rng,
  floor = 1e-12,
): VjpCheck {
  const t = randomDirection(r, x.length);
  const analytic = dot(t, vjp);
  let best: VjpCheck | undefined;
  for (const s of SCHEMES) {
    const numeric = s.richardson ? richardsonJvpDot(f, x, t, c, s.h) : numericJvpDot(f, x, t, c, s.h);
    const err = relErr(analytic, numeric, floor);
    if (best === undefined || err < best.relErr) best = { analytic, numeric, relErr: err, scheme: s.name };
    if (err <= 1e-9) break;
  }
  if (best === undefined) throw new Error('no difference scheme');
  return best;
}
