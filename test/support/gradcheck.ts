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

export interface VjpCheck {
  readonly analytic: number;
  readonly numeric: number;
  readonly relErr: number;
}

/** One random-direction check of `vjp` (the gradient ⟨c, f⟩ w.r.t. x) against central differences. */
export function checkVjp(
  f: (x: Float64Array) => ArrayLike<number>,
  vjp: Float64Array | ArrayLike<number>,
  x: Float64Array,
  c: ArrayLike<number>,
  r: Rng,
  h = 1e-6,
): VjpCheck {
  const t = randomDirection(r, x.length);
  const analytic = dot(t, vjp);
  const numeric = numericJvpDot(f, x, t, c, h);
  return { analytic, numeric, relErr: relErr(analytic, numeric) };
}
