// How commands turn the API's errors into output and exit codes (see docs/cli.md):
//   ChainruleError (an invalid spec)       → located diagnostics, exit 1
//   RuntimeError (bad data, files, a run)  → `error: …` + hint, exit 1
// Anything else is a bug: it propagates to main(), which prints one line and exits 70.
import type { Diagnostic } from '../../compiler/diagnostics.js';
import { ChainruleError } from '../../compiler/diagnostics.js';
import { RuntimeError, formatRuntimeError } from '../../runtime/errors.js';
import { INPUT_EXIT } from './exit-codes.js';
import { readSourceFile, renderDiagnostics, sortByLocation } from './format.js';
import { renderLoadReport } from './spec-input.js';

/** Prints a spec's warnings as `check` does. */
export function printWarnings(warnings: readonly Diagnostic[]): void {
  if (warnings.length > 0) process.stderr.write(`${renderDiagnostics(sortByLocation(warnings), readSourceFile)}\n`);
}

/** Runs a command body, printing user errors (spec, data, files) without a stack trace. */
export async function reportErrors(specPath: string | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof RuntimeError) {
      process.stderr.write(`${formatRuntimeError(err)}\n`);
    } else if (err instanceof ChainruleError) {
      const errors = err.diagnostics.filter((d) => d.severity !== 'warning');
      const warnings = err.diagnostics.filter((d) => d.severity === 'warning');
      process.stderr.write(renderLoadReport({ ok: false, errors, warnings }, specPath ?? 'the spec'));
    } else {
      throw err;
    }
    process.exitCode = INPUT_EXIT;
  }
}
