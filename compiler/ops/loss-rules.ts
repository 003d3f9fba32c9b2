// Shape rules and helpers shared by the loss ops and their gradient ops. A loss reduces to a
// scalar (shape []) by a mean; its gradient op takes the seed dL (a scalar) first.
import type { TensorType } from '../ir/types.js';
import { at, formatShape, formatType, isFloat, sameShape } from './shape.js';

/**
 * Probabilities below this are treated as this value inside log and division, so a probability
 * that underflowed to 0 gives a large finite loss and gradient instead of ∞/NaN. It is as small
 * as float32 allows: 1/(n·PROB_FLOOR) must stay below f32's max (3.4e38), and above it the naive
 * gradient chain is exact. (The simplify pass replaces the chains by the fused (p − y)/n.)
 */
export const PROB_FLOOR = 1e-37;

/** Prediction and target of the same float shape (mse, binary_cross_entropy). */
export function sameShapeTargetRule(
  pred: TensorType,
  target: TensorType,
  labels: readonly [string, string],
): TensorType | string {
  const [pl, tl] = labels;
  if (!isFloat(pred.dtype)) return `${pl} is ${formatType(pred)} but must be a float tensor`;
  if (target.dtype !== pred.dtype) return `${tl} is ${formatType(target)} but must be ${pred.dtype} like ${pl}`;
  if (!sameShape(pred.shape, target.shape)) {
    return `${pl} is ${formatShape(pred.shape)} but target ${tl} is ${formatShape(target.shape)}: they must have the same shape`;
  }
  return { shape: [], dtype: pred.dtype };
}

/** Cross-entropy: predictions [n,k] and class indices (i32 [n]) or probability rows (float [n,k]). */
export function crossEntropyRule(
  pred: TensorType,
  target: TensorType,
  labels: readonly [string, string],
): TensorType | string {
  const [pl, tl] = labels;
  if (!isFloat(pred.dtype)) return `${pl} is ${formatType(pred)} but must be a float tensor`;
  if (pred.shape.length !== 2)
    return `${pl} is ${formatShape(pred.shape)} but cross_entropy needs rows of class scores [n,k]`;
  const rows = at(pred.shape, 0);
  if (target.dtype === 'i32') {
    if (target.shape.length !== 1 || target.shape[0] !== rows) {
      return `${pl} is ${formatShape(pred.shape)} but class-index target ${tl} is ${formatShape(target.shape)}: it must be [${rows}]`;
    }
  } else if (target.dtype !== pred.dtype || !sameShape(pred.shape, target.shape)) {
    return `${pl} is ${formatType(pred)} but target ${tl} is ${formatType(target)}: one-hot/probability rows must match it (or use class indices [${rows}])`;
  }
  return { shape: [], dtype: pred.dtype };
}

/** A loss gradient op: (dL scalar, prediction, target) -> the prediction's type. */
export function lossGradRule(
  inputs: readonly TensorType[],
  labels: readonly string[],
  lossRule: (pred: TensorType, target: TensorType, labels: readonly [string, string]) => TensorType | string,
): TensorType | string {
  const [dl, pred, target] = [at(inputs, 0), at(inputs, 1), at(inputs, 2)];
  const dlLabel = labels[0] ?? 'dl';
  if (dl.shape.length !== 0 || dl.dtype !== pred.dtype) {
    return `${dlLabel} is ${formatType(dl)} but the loss seed must be a ${pred.dtype} scalar []`;
  }
  const ok = lossRule(pred, target, [labels[1] ?? 'pred', labels[2] ?? 'target']);
  return typeof ok === 'string' ? ok : { shape: pred.shape, dtype: pred.dtype };
}
