// "Did you mean" suggestions for misspelled keys, ops and tensor names.

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`lienar`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The closest candidate, if it is close enough to be a plausible typo: at most a third of the
 * word's length (at least 1) edits away, compared case-insensitively. Ties go to the earlier
 * candidate so suggestions are deterministic.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `"did you mean 'relu'?"`, else the list of valid choices (shortened when long). */
export function suggestionHint(word: string, names: readonly string[], what: string): string {
  const candidates = [...new Set(names)];
  const guess = closest(word, candidates);
  if (guess !== undefined) return `did you mean '${guess}'?`;
  if (candidates.length === 0) return `no ${what} is defined`;
  return `valid ${what}: ${listNames(candidates)}`;
}

/** `'a', 'b', 'c'`, cut after `max` names. */
export function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`);
  if (names.length > max) shown.push(`… (${names.length - max} more)`);
  return shown.join(', ');
}
