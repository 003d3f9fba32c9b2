// Cross-peer correctness: before a peer's speed counts, what it computed from the shared initial
// weights must match the reference peer's (losses of the first two steps, or forward outputs).
import type { Validation } from './job.js';
import type { PeerId } from './peers/peer.js';

/** Relative tolerance on losses; on outputs, absolute for values up to 1 (probabilities) and relative above. */
export const TOLERANCE = 1e-4;

/** Why `candidate` disagrees with `reference`, or undefined when it agrees. */
export function disagreement(reference: Validation, candidate: Validation, tolerance = TOLERANCE): string | undefined {
  if (reference.losses) {
    if (!candidate.losses || candidate.losses.length !== reference.losses.length) return 'reported no training losses';
    for (let i = 0; i < reference.losses.length; i++) {
      const want = reference.losses[i]!;
      const got = candidate.losses[i]!;
      // `!(a <= b)` so that NaN fails too.
      if (!(Math.abs(got - want) <= tolerance * Math.abs(want))) {
        return `loss after ${i} step(s) is ${got}, expected ${want} (relative error ${relativeError(got, want).toExponential(1)} > ${tolerance})`;
      }
    }
  }
  if (reference.output) {
    if (!candidate.output || candidate.output.length !== reference.output.length) {
      return `output has ${candidate.output?.length ?? 0} values, expected ${reference.output.length}`;
    }
    for (let i = 0; i < reference.output.length; i++) {
      const want = reference.output[i]!;
      const got = candidate.output[i]!;
      if (!(Math.abs(got - want) <= tolerance * Math.max(1, Math.abs(want)))) {
        return `output[${i}] is ${got}, expected ${want} (|Δ| ${Math.abs(got - want).toExponential(1)} > ${tolerance})`;
      }
    }
  }
  return undefined;
}

function relativeError(got: number, want: number): number {
  return Math.abs(got - want) / Math.max(Math.abs(want), Number.MIN_VALUE);
}

/** The largest deviation from the reference, for the report (relative for losses, absolute for outputs). */
export function maxDeviation(reference: Validation, candidate: Validation): number {
  const pairs = (a?: readonly number[], b?: readonly number[]): number[][] =>
    a && b ? a.map((v, i) => [v, b[i] ?? NaN]) : [];
  const losses = pairs(reference.losses, candidate.losses).map(([want, got]) => relativeError(got!, want!));
  const outputs = pairs(reference.output, candidate.output).map(([want, got]) => Math.abs(got! - want!));
  return Math.max(0, ...losses, ...outputs);
}

export interface Verdicts {
  /** The peer the others were compared with; undefined when no peer produced a validation. */
  readonly reference: PeerId | undefined;
  /** Disagreement message per peer that failed. */
  readonly failed: ReadonlyMap<PeerId, string>;
}

/**
 * The reference is the first peer (in table order) that agrees with the most peers: normally the
 * first peer (chainrule), but a wrong first peer cannot make every correct peer look failed.
 */
export function judge(validations: ReadonlyArray<readonly [PeerId, Validation]>, tolerance = TOLERANCE): Verdicts {
  let best: { peer: PeerId; validation: Validation; agreeing: number } | undefined;
  for (const [peer, validation] of validations) {
    const agreeing = validations.filter(([, other]) => disagreement(validation, other, tolerance) === undefined).length;
    if (!best || agreeing > best.agreeing) best = { peer, validation, agreeing };
  }
  const failed = new Map<PeerId, string>();
  if (best) {
    for (const [peer, validation] of validations) {
      const why = disagreement(best.validation, validation, tolerance);
      if (why !== undefined) failed.set(peer, `disagrees with ${best.peer}: ${why}`);
    }
  }
  return { reference: best?.peer, failed };
}
