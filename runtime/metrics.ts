// Classification metrics: accuracy and the confusion matrix (rows = true class, columns =
// predicted class), plus a plain-text rendering for the terminal.

export function accuracy(predicted: Int32Array, labels: Int32Array): number {
  if (predicted.length !== labels.length)
    throw new Error(`accuracy: ${predicted.length} predictions for ${labels.length} labels`);
  if (labels.length === 0) return Number.NaN;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return hits / labels.length;
}

/** `m[t][p]` = rows of true class t predicted as p. */
export function confusionMatrix(predicted: Int32Array, labels: Int32Array, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const row = m[labels[i]!];
    const p = predicted[i]!;
    if (row !== undefined && p >= 0 && p < numClasses) row[p]! += 1;
  }
  return m;
}

/** Recall per true class (diagonal / row sum); NaN for a class with no rows. */
export function perClassRecall(m: readonly (readonly number[])[]): number[] {
  return m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? Number.NaN : row[i]! / total;
  });
}

/**
 * A fixed-width table, true classes down, predictions across, recall at the end of each row:
 *
 *     true\pred  setosa versicolor virginica  recall
 *     setosa         10          0         0  100.0%
 */
export function formatConfusionMatrix(m: readonly (readonly number[])[], classNames: readonly string[]): string {
  const names = m.map((_, i) => classNames[i] ?? String(i));
  const corner = 'true\\pred';
  const first = names.reduce((w, n) => Math.max(w, n.length), corner.length);
  const widths = names.map((n, j) => m.reduce((w, row) => Math.max(w, String(row[j] ?? 0).length), n.length));
  const recall = perClassRecall(m);
  const lines = [[corner.padEnd(first), ...names.map((n, j) => n.padStart(widths[j]!)), ' recall'].join('  ')];
  m.forEach((row, i) => {
    const r = recall[i]!;
    const cells = row.map((v, j) => String(v).padStart(widths[j]!));
    lines.push(
      [names[i]!.padEnd(first), ...cells, (Number.isNaN(r) ? '-' : `${(100 * r).toFixed(1)}%`).padStart(7)].join('  '),
    );
  });
  return lines.join('\n');
}
