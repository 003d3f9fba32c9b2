// The programmatic API: spec → generated TypeScript module (`compile`), and spec → a live model
// in this process (`load`). The CLI's `compile`, `train`, `eval`, `predict` and `demo` all go
// through here, so a program gets exactly what the command line writes.
import { type EmitOptions, emitDeclarations, emitModuleWithCounts } from '../compiler/codegen/emit-module.js';
import { naiveLayout } from '../compiler/codegen/layout.js';
import type { KernelMode, MatmulCounts } from '../compiler/codegen/wasm/module-wasm.js';
import { ChainruleError } from '../compiler/diagnostics.js';
import type { FloatDType, Graph, MemoryPlan } from '../compiler/ir/types.js';
import { compileGraph, type Stage } from '../compiler/passes/pipeline.js';
import type { GraphSpec, TrainSpec } from '../compiler/frontend/graph-spec.js';
import { loadModuleSource } from '../runtime/load-module.js';
import type { GeneratedModel, ModelModule } from '../runtime/model.js';
import { type CheckedSpec, isCheckedSpec } from '../compiler/frontend/checked-spec.js';
import { checkedFor, locate } from './frontend/check.js';
import { loadSpecFile } from './frontend/load.js';
import { moduleJavaScript, moduleJavaScriptInWorker } from './javascript.js';

export interface CompileOptions {
  /** Float type of the generated module (default `f32`; `f64` for gradient checking). */
  readonly dtype?: FloatDType;
  /** A fixed batch size (every dim a literal); default: the batch follows from the inputs. */
  readonly batch?: number;
  /** Overrides the spec's `train` block (optimizer, learning rate, seed). */
  readonly train?: TrainSpec;
  /** Run the optimizing passes (default true). `false` is `-O0`. */
  readonly optimize?: boolean;
  /** Optimizing passes to skip, by name (`--no-<pass>`). */
  readonly disable?: readonly string[];
  /**
   * How matmuls run: `auto` (default: per matmul, the backend measured fastest for its shape,
   * WebAssembly SIMD or TypeScript; always TypeScript for f64), `js` (TypeScript loops only) or
   * `wasm-simd` (WebAssembly SIMD wherever a matmul has a wasm form; f32 only).
   */
  readonly kernels?: KernelMode;
  /**
   * Which module files to produce besides the TypeScript `source`: `js` or `both` add `js`
   * (plain ES2022 JavaScript, for Node, browsers and bundlers) and `declarations` (its `.d.ts`);
   * `ts` (the default here: no esbuild start) only the TypeScript. The CLI's `compile --emit`
   * defaults to `both` and writes `<name>.ts` only for `ts` and `both`.
   */
  readonly emit?: EmitFormat;
}

/** Module files a compile produces: the TypeScript, the JavaScript with its `.d.ts`, or both. */
export type EmitFormat = 'ts' | 'js' | 'both';

export const EMIT_FORMATS: readonly EmitFormat[] = ['ts', 'js', 'both'];

/** Sizes the compiler reports next to the generated code. */
export interface CompileStats {
  /** Kernels run by one training step (or one forward call without a loss). */
  readonly kernels: number;
  /** The same count with one kernel per IR node (before fusion). */
  readonly unfusedKernels: number;
  /** Arena floats outside the batch, and per batch row (run-time batch). */
  readonly arena: ArenaSize;
  /** The same sizes with one region per value (before memory planning). */
  readonly unplannedArena: ArenaSize;
}

export interface ArenaSize {
  readonly fixedBytes: number;
  /** 0 with a fixed batch (then everything is in `fixedBytes`). */
  readonly bytesPerRow: number;
}

export interface CompiledModel {
  readonly name: string;
  readonly spec: GraphSpec;
  readonly dtype: FloatDType;
  readonly batch?: number;
  /** How the module's matmuls run (the mode asked for). */
  readonly kernels: KernelMode;
  /** How many matmul kernels run as WebAssembly SIMD and how many as TypeScript (what `auto` chose). */
  readonly matmuls: MatmulCounts;
  /** The generated module: standalone TypeScript, no imports. */
  readonly source: string;
  /** Which module files were asked for. */
  readonly emit: EmitFormat;
  /** The same module as JavaScript (esbuild strips the types), unless `emit: 'ts'`. */
  readonly js?: string;
  /** The `.d.ts` for `js` (the module's types, `modelInfo` and the creators, declared), unless `emit: 'ts'`. */
  readonly declarations?: string;
  /** The final graph (what the module computes) and the graph after every pass. */
  readonly graph: Graph;
  readonly stages: readonly Stage[];
  readonly stats: CompileStats;
}

/**
 * A spec object (e.g. from the builder, or parsed JSON), the path of a spec file, or a spec
 * already checked (`loadSpecFile`'s result, or `graph(...).check()`), which is not checked again.
 */
export type SpecInput = GraphSpec | string | CheckedSpec;

/**
 * Compiles a spec to a standalone TypeScript module. Throws a `ChainruleError` carrying every
 * located diagnostic when the spec is invalid.
 *
 * @example
 *   const { source } = compile('examples/mnist_mlp.json', { dtype: 'f32' });
 *   writeFileSync('mnist_mlp.ts', source);
 */
export function compile(input: SpecInput, options: CompileOptions = {}): CompiledModel {
  const dtype = options.dtype ?? (isCheckedSpec(input) ? input.dtype : 'f32');
  if (options.kernels === 'wasm-simd' && dtype !== 'f32') {
    throw new RangeError(
      `kernels 'wasm-simd' needs dtype 'f32' (the WebAssembly matmuls are float32 only); use kernels 'js' with dtype '${dtype}'`,
    );
  }
  const checked = resolveSpec(input, { ...options, dtype });
  const { spec, batch } = checked;
  const result = compileGraph(checked, {
    ...(options.train !== undefined ? { train: options.train } : {}),
    ...(options.optimize !== undefined ? { optimize: options.optimize } : {}),
    ...(options.disable !== undefined ? { disable: options.disable } : {}),
  });
  if (!result.ok) throw new ChainruleError(result.errors);
  const kernels = options.kernels ?? 'auto';
  const emitOptions = emitOptionsOf(spec, dtype, batch, kernels, options.train);
  const { source, matmuls } = emitModuleWithCounts(result.graph, emitOptions);
  const emit = options.emit ?? 'ts';
  const js =
    emit === 'ts'
      ? {}
      : { js: moduleJavaScript(source, spec.name), declarations: emitDeclarations(result.graph, emitOptions) };
  return {
    name: spec.name,
    spec,
    dtype,
    ...(batch !== undefined ? { batch } : {}),
    kernels,
    matmuls,
    source,
    emit,
    ...js,
    graph: result.graph,
    stages: result.stages,
    stats: compileStats(result.stages, result.graph, dtype),
  };
}

/**
 * Compiles a spec and loads the module into this process: spec → trainable model in one call.
 * `threads` > 1 creates it with `createModelAsync({ threads })` (its matmuls, wasm or TypeScript,
 * then run on that many threads); call `model.dispose()` to end its workers.
 *
 * @example
 *   const model = await load('examples/xor_mlp.json', { seed: 7 });
 *   const loss = model.trainStep({ x }, { y });
 */
export async function load(
  input: SpecInput,
  options: CompileOptions & { readonly seed?: number; readonly threads?: number } = {},
): Promise<GeneratedModel> {
  const mod = await loadModule(input, options);
  const seed = options.seed !== undefined ? { seed: options.seed } : {};
  if (options.threads === undefined || mod.createModelAsync === undefined) return mod.createModel(seed);
  return mod.createModelAsync({ ...seed, threads: options.threads });
}

/** Like `load`, but returns the module (`createModel`, `modelInfo`) to create several models. */
export async function loadModule(input: SpecInput, options: CompileOptions = {}): Promise<ModelModule> {
  const compiled = compile(input, options);
  return loadModuleSource(compiled.source, compiled.name);
}

/**
 * `compile(input, { ...options, emit: 'ts' })` now, and a promise of the same model with the
 * JavaScript files `options.emit` asks for, transpiled on a worker thread: the CLI writes the
 * diagrams and IR dumps meanwhile (a 2,000-node chain: 0.3 s less).
 */
export function compileInParallel(
  input: SpecInput,
  options: CompileOptions = {},
): { readonly compiled: CompiledModel; readonly complete: Promise<CompiledModel> } {
  const compiled = compile(input, { ...options, emit: 'ts' });
  const emit = options.emit ?? 'ts';
  if (emit === 'ts') return { compiled, complete: Promise.resolve(compiled) };
  const { spec, dtype, batch, kernels, graph } = compiled;
  const declarations = emitDeclarations(graph, emitOptionsOf(spec, dtype, batch, kernels, options.train));
  const complete = moduleJavaScriptInWorker(compiled.source, spec.name).then(
    (js): CompiledModel => ({ ...compiled, emit, js, declarations }),
  );
  return { compiled, complete };
}

/** What the emitter needs besides the graph; `compile` and `compileInParallel` share it. */
function emitOptionsOf(
  spec: GraphSpec,
  dtype: FloatDType,
  batch: number | undefined,
  kernels: KernelMode,
  train: TrainSpec | undefined,
): EmitOptions {
  const seed = train?.seed ?? spec.train?.seed;
  return {
    dtype,
    ...(batch !== undefined ? { batch } : {}),
    ...(seed !== undefined ? { defaultSeed: seed } : {}),
    kernels,
  };
}

/** The input checked for the options' dtype and batch: once, or not at all when it already was. */
function resolveSpec(input: SpecInput, options: { readonly dtype: FloatDType; readonly batch?: number }): CheckedSpec {
  const shapeOptions = { dtype: options.dtype, ...(options.batch !== undefined ? { batch: options.batch } : {}) };
  const checked = typeof input === 'string' ? loadSpecFile(input, shapeOptions) : checkedFor(input, shapeOptions);
  if (!checked.ok) throw new ChainruleError(locate(checked.errors, undefined));
  return checked;
}

function compileStats(stages: readonly Stage[], graph: Graph, dtype: FloatDType): CompileStats {
  const bytes = dtype === 'f32' ? 4 : 8;
  const size = (plan: MemoryPlan): ArenaSize => ({
    fixedBytes: plan.fixedSize * bytes,
    bytesPerRow: plan.batchRowSize * bytes,
  });
  const beforeFusion =
    stages.find((s) => s.pass === 'add-optimizer' || (s.pass === 'build' && stages.length === 1))?.graph ?? graph;
  const countNodes = (g: Graph): number => g.nodes.filter((n) => !LEAF_ROLES.has(n.role)).length;
  const unplanned = naiveLayout(graph);
  return {
    kernels: graph.kernels?.length ?? countNodes(graph),
    unfusedKernels: countNodes(beforeFusion),
    arena: size(graph.memory ?? unplanned),
    unplannedArena: size(unplanned),
  };
}

const LEAF_ROLES = new Set(['input', 'target', 'param', 'state', 'const']);

export { ChainruleError } from '../compiler/diagnostics.js';
export type { Stage } from '../compiler/passes/pipeline.js';
export type { KernelMode, MatmulCounts } from '../compiler/codegen/wasm/module-wasm.js';
export type { GeneratedModel, ModelModule } from '../runtime/model.js';
