// Compiles each workload's chainrule module once, in the parent, and writes it as plain JS to
// `bench/.cache/`. The worker then imports that file and nothing else of chainrule, so its peak
// RSS is the model's, not the compiler's (ts-morph and esbuild weigh ~120 MiB).
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { compile, type KernelMode } from '../src/api.js';
import { chainrulePeers } from './peers/peer.js';

export { chainrulePeers };
import type { JobResult } from './job.js';
import type { JobRunner } from './suite.js';
import { workloadPath, type Benchmark } from './workloads.js';

export const defaultCacheDir = fileURLToPath(new URL('.cache/', import.meta.url));

export interface PreparedModule {
  /** Absolute path of the transpiled module (`bench/.cache/<spec>-b<batch>-<hash>.js`). */
  readonly path: string;
  readonly compileMs: number;
  /** Kernels the generated training step runs (after fusion), from the compiler's stats. */
  readonly kernels: number;
}

/** The outcome for one (spec, batch): the module, or the compiler's message. */
export type ModuleOutcome =
  | { readonly ok: true; readonly module: PreparedModule }
  | { readonly ok: false; readonly message: string };

/** One module per (spec, batch, kernels): MNIST MLP train and MNIST MLP forward share theirs. */
export function moduleKey(b: Benchmark, kernels: KernelMode = 'auto'): string {
  return `${b.spec.replace(/\.json$/, '')}-b${b.batch}${kernels === 'auto' ? '' : `-${kernels}`}`;
}

/**
 * Compiles `b`'s spec for its fixed batch (f32) and writes the JS. The file name carries a hash of
 * the code, so a changed compiler never reuses a stale file and concurrent runs never clash.
 */
export function prepareModule(b: Benchmark, cacheDir = defaultCacheDir, kernels: KernelMode = 'auto'): PreparedModule {
  const started = performance.now();
  const compiled = compile(workloadPath(b.spec), { dtype: 'f32', batch: b.batch, kernels });
  const js = transformSync(compiled.source, {
    loader: 'ts',
    format: 'esm',
    target: 'es2022',
    sourcefile: `${compiled.name}.ts`,
  }).code;
  const compileMs = performance.now() - started;
  const hash = createHash('sha256').update(js).digest('hex').slice(0, 12);
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `${moduleKey(b, kernels)}-${hash}.js`);
  // Write then rename: a worker of a concurrent run never imports a half-written file.
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, js);
  renameSync(partial, path);
  return { path, compileMs, kernels: compiled.stats.kernels };
}

/** Prepares every distinct (spec, batch, kernels) among `list`; a compile error is kept, not thrown. */
export function prepareModules(
  list: readonly Benchmark[],
  cacheDir = defaultCacheDir,
  modes: readonly KernelMode[] = ['auto'],
): Map<string, ModuleOutcome> {
  const out = new Map<string, ModuleOutcome>();
  for (const kernels of modes) {
    for (const b of list) {
      const key = moduleKey(b, kernels);
      if (out.has(key)) continue;
      try {
        out.set(key, { ok: true, module: prepareModule(b, cacheDir, kernels) });
      } catch (error) {
        const message = `compile ${b.spec} at batch ${b.batch}${kernels === 'auto' ? '' : ` with kernels ${kernels}`}: ${error instanceof Error ? error.message : String(error)}`;
        out.set(key, { ok: false, message });
      }
    }
  }
  return out;
}

/**
 * Hands every chainrule job its prepared module; a workload whose compile failed is reported as
 * that peer's error without starting a worker. The compile facts join the peer's notes.
 */
export function withChainruleModules(run: JobRunner, modules: ReadonlyMap<string, ModuleOutcome>): JobRunner {
  return async (job) => {
    const mode = chainrulePeers.get(job.peer);
    if (mode === undefined) return run(job);
    const prepared = modules.get(moduleKey(job.benchmark, mode));
    if (prepared === undefined || !prepared.ok) {
      const message = prepared?.message ?? `no module was prepared for ${moduleKey(job.benchmark, mode)}`;
      return { benchmark: job.benchmark.id, peer: job.peer, status: 'error', message };
    }
    const { path, kernels, compileMs } = prepared.module;
    const result: JobResult = await run({ ...job, module: path });
    if (result.status !== 'ok') return result;
    return {
      ...result,
      info: { ...result.info, stepKernels: kernels, compileMs: Math.round(compileMs), module: basename(path) },
    };
  };
}
