// The module-level part of the `wasm-simd` kernel mode: which kernels' matmuls run in wasm, the
// embedded bytes (base64, decoded by the prelude's decodeBase64 so browsers need no `Buffer`), how
// `createModel` (sync) and `createModelAsync` (async) instantiate them over one WebAssembly.Memory,
// and the setup in `buildModel`.
// emit-module.ts calls this for `kernels: 'wasm-simd'` and for f32 `auto`; `js` output is untouched.
import type { Kernel } from '../../ir/types.js';
import type { Layout } from '../layout.js';
import { kernelBody } from '../fused-kernels.js';
import type { KernelContext } from '../kernel-context.js';
import { autoPath } from './auto.js';
import { gemmModule } from './gemm-simd.js';
import {
  ASSUMED_BATCH,
  COPY_ALL,
  WASM_MIN_MACS,
  colSumsLength,
  matmulPath,
  scratchSize,
  sizeCode,
  wasmKernelBody,
  type MatmulPath,
  type Size,
  type WasmArena,
} from './kernels-wasm.js';

/**
 * How a module's kernels compute their matrix products: `auto` (the default) per matmul, as the
 * calibration measured fastest (auto.ts); `js` all TypeScript; `wasm-simd` WebAssembly SIMD where
 * a matmul has a wasm form.
 */
export type KernelMode = 'auto' | 'js' | 'wasm-simd';

export const KERNEL_MODES: readonly KernelMode[] = ['auto', 'js', 'wasm-simd'];

/** How many of a module's matmul kernels run as WebAssembly SIMD and how many as TypeScript. */
export interface MatmulCounts {
  readonly wasm: number;
  readonly ts: number;
}

const PAGE = 65536;

export interface WasmModulePlan {
  /** Top-level statements: the embedded bytes (the WebAssembly typings and decoder come from the prelude). */
  readonly statements: readonly string[];
  /**
   * How `createModel` (sync) and `createModelAsync` (async compile, fine on a browser main thread)
   * create `wasmMemory` and `wasmKernels` before calling `buildModel`; undefined without wasm matmuls.
   */
  readonly instantiate?: { readonly sync: readonly string[]; readonly async: readonly string[] };
  /**
   * Fixed batch: the statement declaring `arena` as the first floats of the wasm memory (it
   * replaces the plain `const arena = new Float32Array(n)`); undefined otherwise.
   */
  readonly arena?: readonly string[];
  /** Statements in `buildModel` before the kernels: the exports, the heap view, scratch. */
  readonly setup: readonly string[];
  /** Statements at the end of `useBatch` (run-time batch): grow the scratch for a larger batch. */
  readonly onBatch: readonly string[];
  /** Statements in `dispose`. */
  readonly dispose?: readonly string[];
  /** A kernel's body: the wasm form, or the JS kernel with a comment saying why. */
  body(kernel: Kernel, withUpdates: boolean): string;
  /** One line for the module header. */
  readonly summary: string;
  readonly counts: MatmulCounts;
}

export interface WasmPlanOptions {
  /** The fixed batch, if any. */
  readonly batch: number | undefined;
  readonly layout: Layout;
  readonly minMacs?: number | undefined;
  /** `kernels: 'auto'`: keep only the matmuls the calibration measured faster in wasm (auto.ts). */
  readonly auto?: boolean;
}

/**
 * Plans the wasm matmuls of `kernels`. With a fixed batch the memory never grows, so the arena
 * (every value but the caller's arrays) is placed in it and operands there are not copied.
 */
export function wasmModulePlan(kernels: readonly Kernel[], ctx: KernelContext, o: WasmPlanOptions): WasmModulePlan {
  if (ctx.dtype !== 'f32')
    throw new Error("codegen: kernels 'wasm-simd' needs dtype f32 (the wasm matmuls are float32 only)");
  const { batch, layout } = o;
  const arenaFloats = batch === undefined ? 0 : layout.fixedSize + layout.batchRowSize * batch;
  const arena: WasmArena =
    batch === undefined
      ? COPY_ALL
      : { base: Math.ceil(arenaFloats / 16) * 16, resident: (id) => layout.storage.get(id)?.kind !== 'external' };
  const pathOf = (k: Kernel): MatmulPath => matmulPath(k, ctx, o.minMacs ?? WASM_MIN_MACS, arena);
  const paths = new Map<string, MatmulPath>(kernels.map((k) => [k.name, o.auto ? autoPath(pathOf(k)) : pathOf(k)]));
  const wasm = kernels.flatMap((k) => {
    const p = paths.get(k.name);
    return p?.kind === 'wasm' ? [p.mm] : [];
  });
  const body = (kernel: Kernel, withUpdates: boolean): string => {
    const path = paths.get(kernel.name);
    if (path?.kind === 'wasm') return wasmKernelBody(kernel, path.mm, ctx, withUpdates);
    const js = kernelBody(kernel, ctx, withUpdates);
    return path?.kind === 'js' ? `// JS gemm: ${path.reason}\n${js}` : js;
  };
  const matmuls = [...paths.values()].filter((p) => p.kind !== 'none').length;
  const counts = { wasm: wasm.length, ts: matmuls - wasm.length };
  const summary = o.auto
    ? `// Kernels: auto → ${counts.wasm} matmul${counts.wasm === 1 ? '' : 's'} WebAssembly SIMD, ${counts.ts} TS (each as measured fastest for its shape); each kernel's comment says which path it took.`
    : `// Matmuls: ${wasm.length} of ${matmuls} run as WebAssembly SIMD (embedded below); each kernel's comment says which path it took.`;
  if (wasm.length === 0) return { statements: [], setup: [], onBatch: [], body, summary, counts };

  const requests = wasm.map((mm) => mm.request);
  const bytes = gemmModule(requests);
  const relaxedBytes = gemmModule(requests, { relaxed: true });
  const sizes = wasm.map(scratchSize);
  const floatsAt = (rows: number): number => Math.max(...sizes.map((s) => s.fixed + s.perRow * rows));
  const pages = Math.max(1, Math.ceil(((arena.base + floatsAt(batch ?? ASSUMED_BATCH)) * 4) / PAGE));
  const widest = colSumsLength(kernels, paths, ctx);
  const memory = `const wasmMemory = new WebAssemblyApi.Memory({ initial: ${pages} });`;
  const imports = '{ env: { memory: wasmMemory } }';
  const matmulBytes = 'wasmMatmulBytes(WASM_MATMULS_RELAXED, WASM_MATMULS)';
  const instantiate = {
    sync: [
      `// One wasm memory (${pages} pages)${batch === undefined ? ', used as matmul scratch' : ': the arena, then the matmul scratch'}.`,
      memory,
      `const wasmKernels = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(${matmulBytes}), ${imports}).exports;`,
    ],
    async: [
      `// One wasm memory (${pages} pages)${batch === undefined ? ', used as matmul scratch' : ': the arena, then the matmul scratch'}.`,
      memory,
      `const wasmKernels = (await WebAssemblyApi.instantiate(${matmulBytes}, ${imports})).instance.exports;`,
    ],
  };
  const arenaLines =
    batch === undefined
      ? undefined
      : [
          `// The arena is the first ${arenaFloats} floats of the wasm memory (everything whose size is fixed).`,
          `const arena = new Float32Array(wasmMemory.buffer, 0, ${arenaFloats});`,
        ];
  const setup = [
    batch === undefined
      ? `// WebAssembly SIMD matmuls (${wasm.length}), over one memory used as scratch: operands are copied in, C is read back.`
      : `// WebAssembly SIMD matmuls (${wasm.length}): operands in the arena are passed in place, the caller's arrays copied to the scratch, C read back.`,
    ...wasm.map((mm) => `const ${mm.request.name} = wasmExport(wasmKernels, '${mm.request.name}');`),
    `/** The whole wasm memory as floats${batch === undefined ? ' (re-created when the scratch grows)' : ''}. */`,
    `${batch === undefined ? 'let' : 'const'} heap = new Float32Array(wasmMemory.buffer);`,
    ...(widest > 0
      ? ['/** Bias-gradient column sums, in doubles. */', `const colSums = new Float64Array(${widest});`]
      : []),
  ];
  const onBatch =
    batch !== undefined
      ? []
      : [
          `const scratchBytes = (${maxCode(sizes)}) * 4;`,
          'if (scratchBytes > wasmMemory.buffer.byteLength) {',
          `  wasmMemory.grow(Math.ceil((scratchBytes - wasmMemory.buffer.byteLength) / ${PAGE}));`,
          '  heap = new Float32Array(wasmMemory.buffer);',
          '}',
        ];
  return {
    statements: [
      `/** The model's WebAssembly SIMD matmuls (${bytes.length} bytes, base64), generated with the module. */`,
      `const WASM_MATMULS = '${base64(bytes)}';`,
      `/** The same with relaxed SIMD multiply-adds (${relaxedBytes.length} bytes), used where the engine validates it. */`,
      `const WASM_MATMULS_RELAXED = '${base64(relaxedBytes)}';`,
    ],
    instantiate,
    ...(arenaLines === undefined ? {} : { arena: arenaLines }),
    setup,
    onBatch,
    body,
    summary,
    counts,
  };
}

/** `Math.max(B * R1 + F1, …)` over distinct sizes, as code. */
function maxCode(sizes: readonly Size[]): string {
  const terms = [...new Set(sizes.map(sizeCode))];
  return terms.length === 1 ? (terms[0] ?? '0') : `Math.max(${terms.join(', ')})`;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
