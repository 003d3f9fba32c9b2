// Loading a spec file: JSON (comments allowed) -> checked GraphSpec, or every problem located
// at file:line:col with the node name and a hint. Never throws for bad input.
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../compiler/diagnostics.js';
import { fileProblem } from '../../runtime/errors.js';
import type { CheckedSpec } from '../../compiler/frontend/checked-spec.js';
import type { SpecLocations } from '../../compiler/frontend/graph-spec.js';
import { checkSpecValue, locate, type CheckOptions } from './check.js';
import { parseJsonSource } from './json-source.js';

/**
 * The checked spec (its forward IR built with the load options, dtype and batch), ready for
 * `compile`/`load` and the pipeline, or every problem found.
 */
export type LoadResult =
  | (CheckedSpec & {
      readonly ok: true;
      readonly locations: SpecLocations;
      readonly warnings: readonly Diagnostic[];
    })
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[] };

/**
 * Parses and checks spec text. `file` is only used in locations (pass the path as the user wrote it).
 *
 * @example
 * const r = loadSpecText('{ "name": "m", "inputs": { "x": [null, 2] }, "nodes": [], "outputs": [] }', 'm.json');
 * if (!r.ok) console.error(r.errors.map(formatDiagnostic).join('\n'));
 */
export function loadSpecText(text: string, file: string, options: CheckOptions = {}): LoadResult {
  // A byte-order mark is not JSON but editors write one; accept it as loadSpecFile does.
  const parsed = parseJsonSource(text.replace(/^\uFEFF/, ''), file);
  if (!parsed.ok) return { ok: false, errors: parsed.errors, warnings: [] };
  const checked = checkSpecValue(parsed.value, parsed.locations, options);
  // Duplicate keys are found while parsing, so they join the checker's findings here.
  const duplicates = locate(parsed.errors, parsed.locations);
  if (checked.ok && duplicates.length === 0) return { ...checked, locations: parsed.locations };
  const errors = checked.ok ? duplicates : locate([...duplicates, ...checked.errors], parsed.locations);
  return { ok: false, errors, warnings: checked.warnings };
}

/** Reads and checks a spec file; an unreadable file is reported as a diagnostic, not thrown. */
export function loadSpecFile(path: string, options: CheckOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [readError(path, err)], warnings: [] };
  }
  return loadSpecText(text, path, options);
}

/** Hints by what went wrong reading a spec file (`fileProblem`'s words). */
const READ_HINTS: Readonly<Record<string, string>> = {
  'no such file': 'check the path; the examples are in examples/*.json',
  'it is a directory': 'pass a spec file, e.g. examples/mnist_mlp.json',
  'permission denied': 'check the file permissions',
};

function readError(path: string, err: unknown): Diagnostic {
  const problem = fileProblem(err);
  return { message: `cannot read '${path}': ${problem}`, hint: READ_HINTS[problem] ?? 'pass a readable spec file' };
}
