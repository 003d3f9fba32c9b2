// Recognizes which activation an elementwise function of one tensor computes, by sampling it.
// Importers turn a chain of elementwise ONNX ops over one tensor (Tanh, or GELU's
// Mul/Pow/Add/Tanh/Erf decompositions as PyTorch and chainrule write them) into a number →
// number function, then ask which spec activation it equals. Any spelling of the same math is
// recognized, and anything else is refused rather than guessed.
import type { NodeSpec } from '../../compiler/frontend/graph-spec.js';

export type Activation =
  | { readonly op: Exclude<NodeSpec['op'], 'linear' | 'add' | 'softmax' | 'log_softmax' | 'leaky_relu'> }
  | { readonly op: 'leaky_relu'; readonly alpha: number };

/** Where the functions are compared: both sides of 0, the kink, and the tails. */
const SAMPLES = [-6, -3, -2, -1.5, -1, -0.7, -0.3, -0.1, 0, 0.1, 0.3, 0.7, 1, 1.5, 2, 3, 6];
/** Relative tolerance: float32 constants in the decompositions round at ~1e-7. */
const TOLERANCE = 1e-5;

const C = Math.sqrt(2 / Math.PI);
const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(C * (x + 0.044715 * x * x * x)));

/** erf to ~1e-7 (Abramowitz & Stegun 7.1.26 is 1.5e-7; enough to tell erf GELU from tanh GELU at 1e-5). */
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}

const geluErf = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

function matches(f: (x: number) => number, g: (x: number) => number): boolean {
  return SAMPLES.every((x) => {
    const [a, b] = [f(x), g(x)];
    return Number.isFinite(a) && Math.abs(a - b) <= TOLERANCE * (1 + Math.abs(b));
  });
}

/** The shortest decimal that rounds to the same float32 (0.009999999776 → 0.01), as specs write it. */
export function cleanFloat32(v: number): number {
  const f = Math.fround(v);
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

export interface ActivationMatch {
  readonly activation: Activation;
  /** Set when the match is close but not exact (erf GELU as chainrule's tanh GELU). */
  readonly note?: string;
}

/** The spec activation `f` computes, or undefined. */
export function matchActivation(f: (x: number) => number): ActivationMatch | undefined {
  const exact: readonly [Activation, (x: number) => number][] = [
    [{ op: 'identity' }, (x) => x],
    [{ op: 'relu' }, (x) => (x > 0 ? x : 0)],
    [{ op: 'sigmoid' }, (x) => 1 / (1 + Math.exp(-x))],
    [{ op: 'tanh' }, Math.tanh],
    [{ op: 'gelu' }, geluTanh],
  ];
  for (const [activation, g] of exact) if (matches(f, g)) return { activation };
  const alpha = -f(-1);
  if (alpha > 0 && alpha < 1 && matches(f, (x) => (x > 0 ? x : alpha * x))) {
    return { activation: { op: 'leaky_relu', alpha: cleanFloat32(alpha) } };
  }
  if (SAMPLES.every((x) => Math.abs(f(x) - geluErf(x)) <= 1e-4 * (1 + Math.abs(x)))) {
    return {
      activation: { op: 'gelu' },
      note: "an exact (erf) GELU becomes chainrule's gelu, the tanh approximation (they differ by at most 5e-4)",
    };
  }
  return undefined;
}
