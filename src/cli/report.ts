// How commands turn the API's errors into output and exit codes (see docs/cli.md):
//   ChainruleError (an invalid spec)       → located diagnostics, exit 1
//   RuntimeError (bad data, files, a run)  → `error: …` + hint, exit 1
// Anything else is a bug: it propagates to main(), which prints one line and exits 70.
import type { Diagnostic } from '../../compiler/diagnostics.js';
import { ChainruleError } from '../../compiler/diagnostics.js';
import { RuntimeError, formatRuntimeError } from '../../runtime/errors.js';
import { join } from 'node:path';
import { CHECKPOINT_FILE } from '../../runtime/checkpoint.js';
import type { TrainRunResult } from '../training.js';
import { INPUT_EXIT, INTERRUPTED_EXIT } from './exit-codes.js';
import { readSourceFile, renderDiagnostics, sortByLocation } from './format.js';
import { renderLoadReport } from './spec-input.js';

/** Prints a spec's warnings as `check` does. */
export function printWarnings(warnings: readonly Diagnostic[]): void {
  if (warnings.length > 0) process.stderr.write(`${renderDiagnostics(sortByLocation(warnings), readSourceFile)}\n`);
}

/** Runs a command body, printing user errors (spec, data, files) without a stack trace. */
export async function reportErrors(body: () => Promise<void>, specPath?: string): Promise<void> {
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

/** What a stopped or diverged run says on stderr, and its exit code. */
export function reportUnfinished(r: TrainRunResult, specPath: string): number {
  const ckpt = join(r.outDir, CHECKPOINT_FILE);
  if (r.status === 'interrupted') {
    const last = r.history[r.history.length - 1]?.epoch ?? 0;
    process.stderr.write(
      last > 0
        ? `\ninterrupted: epoch ${last} is the last completed one; its checkpoint, weights and metrics are in ${r.outDir}/\n` +
            `  to continue: chainrule train ${specPath} --resume ${r.outDir}\n`
        : '\ninterrupted before the first epoch completed; no checkpoint was written\n',
    );
    return INTERRUPTED_EXIT;
  }
  const d = r.divergence;
  const kept =
    d !== undefined && d.keptEpoch > 0
      ? `the last good checkpoint (epoch ${d.keptEpoch}) is kept in ${ckpt}`
      : 'no epoch completed, so no checkpoint was written';
  process.stderr.write(
    `error: training diverged ${d?.where ?? ''}; ${kept}\n  hint: lower the learning rate (now ${r.lr}), e.g. --lr ${r.lr / 10}` +
      `${d !== undefined && d.keptEpoch > 0 ? `, and continue with --resume ${r.outDir}` : ''}\n`,
  );
  return 1;
}

/** The run the process-wide signal handler stops; undefined once it finished. */
let activeRun: AbortController | undefined;
let handlersInstalled = false;

/**
 * A signal that arrives after the run finished (its files are written) but before the process
 * exits must not kill it by default: that left a finished run reported as "killed by signal".
 * One handler per process (installed once, so in-process callers never pile up listeners).
 */
function onSignal(): void {
  if (activeRun === undefined) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  if (activeRun.signal.aborted) process.exit(INTERRUPTED_EXIT);
  activeRun.abort();
}

/**
 * An AbortSignal fired by the first SIGINT/SIGTERM; a second one exits at once. Handlers run
 * only between steps (the loop yields), never in the middle of a file write.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  activeRun = controller;
  if (!handlersInstalled) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    handlersInstalled = true;
  }
  return {
    signal: controller.signal,
    dispose: () => {
      if (activeRun === controller) activeRun = undefined;
    },
  };
}
