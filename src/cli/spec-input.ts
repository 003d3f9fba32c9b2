// What every spec-reading command shares: the SPEC argument, --dtype/--batch/--kernels options, and loading
// with every diagnostic printed compiler-style to stderr.
import { InvalidArgumentError, Option } from 'commander';
import type { FloatDType } from '../../compiler/ir/types.js';
import { KERNEL_MODES, type KernelMode } from '../../compiler/codegen/wasm/module-wasm.js';
import { loadSpecFile, type LoadResult } from '../frontend/load.js';
import { countSummary, readSourceFile, renderDiagnostics, sortByLocation, type SourceReader } from './format.js';

export interface GraphOptions {
  readonly dtype: FloatDType;
  readonly batch?: number;
}

export function dtypeOption(): Option {
  return new Option('--dtype <dtype>', 'element type of the graph').choices(['f32', 'f64']).default('f32');
}

/** `--kernels auto|js|wasm-simd`: how the generated module computes its matmuls. */
export function kernelsOption(): Option {
  return new Option(
    '--kernels <mode>',
    'matmul kernels: auto (per matmul, whichever was measured faster for its shape; TS for f64), js (TypeScript loops only) or wasm-simd (embedded WebAssembly SIMD; f32 only)',
  )
    .choices(KERNEL_MODES)
    .default('auto');
}

/** The `--kernels` value as a mode (commander enforces the choices). */
export function kernelMode(raw: string | undefined): KernelMode {
  return raw === 'wasm-simd' || raw === 'js' ? raw : 'auto';
}

export function batchOption(): Option {
  return new Option('--batch <n>', 'compile for a fixed batch size (default: chosen at run time)').argParser(
    parseBatch,
  );
}

export function parseBatch(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'.`);
  }
  return n;
}

/** Commander's raw option values -> typed options (choices are enforced by commander). */
export function graphOptions(raw: { readonly dtype?: string; readonly batch?: number }): GraphOptions {
  const dtype: FloatDType = raw.dtype === 'f64' ? 'f64' : 'f32';
  return raw.batch === undefined ? { dtype } : { dtype, batch: raw.batch };
}

export type LoadedSpec = Extract<LoadResult, { ok: true }>;

/**
 * Loads and checks `path`. Prints warnings, and on failure every error plus a count, to
 * stderr; returns undefined (with process.exitCode = 1) when the spec is unusable.
 */
export function loadSpecForCli(path: string, options: GraphOptions): LoadedSpec | undefined {
  const result = loadSpecFile(path, options);
  const report = renderLoadReport(result, path);
  if (report !== '') process.stderr.write(report);
  if (result.ok) return result;
  process.exitCode = 1;
  return undefined;
}

/**
 * What `chainrule check` prints to stderr for a load result: every diagnostic in file order
 * with its source line, then (on failure) the count. Empty for a clean spec.
 */
export function renderLoadReport(result: LoadResult, path: string, read: SourceReader = readSourceFile): string {
  const problems = sortByLocation(result.ok ? result.warnings : [...result.errors, ...result.warnings]);
  if (problems.length === 0) return '';
  const body = `${renderDiagnostics(problems, read)}\n`;
  return result.ok ? body : `${body}\n${countSummary(result.errors.length, result.warnings.length)} in ${path}\n`;
}
