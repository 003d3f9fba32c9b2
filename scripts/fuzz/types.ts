// The fuzz campaign's vocabulary: the input sets, how each case ended, and what the worker reports.

/** The kinds of input the campaign throws at chainrule. */
export const SETS = ['spec', 'csv', 'weights', 'module', 'onnx'] as const;
export type FuzzSet = (typeof SETS)[number];

/**
 * How one case ended. The first three are fine; the last four fail the campaign.
 * - `accepted`: the input was taken and every oracle agreed (values, row counts, interpreter parity).
 * - `located`: rejected with an error that says where (file:line:col, a tensor, key or column name).
 * - `unlocated`: rejected cleanly (a RuntimeError/ChainruleError or a validation error) without a place.
 * - `crash`: an error chainrule did not mean to throw (stack overflow, `undefined` access, exit 70,
 *   a signal), or an accepted input that then could not run.
 * - `hang`: no answer within the case's time limit.
 * - `oom`: the heap limit or the resident-memory limit was hit.
 * - `silent`: accepted, but wrong: the compiled module disagrees with the interpreter, a weights
 *   file loads other values than it holds, a CSV loads other rows than it has, an invalid call or
 *   file is taken, or a rejected call changed the model.
 */
export const OUTCOMES = ['accepted', 'located', 'unlocated', 'crash', 'hang', 'oom', 'silent'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const FAILURES: ReadonlySet<Outcome> = new Set<Outcome>(['crash', 'hang', 'oom', 'silent']);

/** One case as the parent schedules it: the worker regenerates the input from (set, index, seed). */
export interface CaseRef {
  readonly set: FuzzSet;
  readonly index: number;
}

export interface CaseResult extends CaseRef {
  readonly outcome: Outcome;
  /** The mutation that made the input (e.g. `type:/nodes/2/units=-1`). */
  readonly label: string;
  /** The error message or the disagreement, first line only. */
  readonly detail: string;
  readonly ms: number;
}

/** Messages V8 and Node produce for bugs, never for input chainrule validated. */
export const INTERNAL_MESSAGE =
  /Maximum call stack|Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|Invalid typed array length|Invalid array length|Array buffer allocation failed|offset is out of bounds|Cannot convert|Cannot destructure|out of memory|\b[A-Za-z_$][\w$]* is not defined|has already been declared|Invalid string length/;

/** Whether a message points at a place: `file:line`, `file:line:col`, or a quoted name/field. */
export function isLocated(message: string): boolean {
  return (
    /[\w./-]+:\d+(?::\d+)?\b/.test(message) || /'[^']+'/.test(message) || /\b(?:run|__metadata__)\.\w+/.test(message)
  );
}

/** First line of a message, capped, for the report. */
export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
