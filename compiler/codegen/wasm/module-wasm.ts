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
import { memoryFlagsOffset } from './encode.js';
import { type GemmRequest, gemmModule, gemmParams, packFloats } from './gemm-simd.js';
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
  type Split,
  type SplitShape,
  type WasmArena,
  bodyRequest,
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

/** The most pages a run-time batch's memory may grow to (4 GiB, all of wasm32): threads need a maximum. */
const MAX_PAGES = 65536;

/**
 * Smallest matmul (multiply-adds) shared among threads; smaller ones run on the calling thread,
 * where handing a slice to a worker costs more than it saves. Batch-1 products (W4) never split:
 * they have one row. See docs/wasm-kernels.md, "Threads".
 */
export const THREAD_MIN_MACS = 1 << 17;

/** tn splits its output rows into about this many blocks (chunks the threads claim one at a time). */
const TN_BLOCKS = 8;

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
  /** Statements after a call binds its inputs: copy those the matmuls read into the wasm memory. */
  readonly onInputs: readonly string[];
  /** Statements in `dispose`. */
  readonly dispose?: readonly string[];
  /** Some matmuls can be shared among threads: `buildModel` takes the pool (`threadPool`). */
  readonly threaded: boolean;
  /** The sgd_update nodes a matmul's store applies: no TypeScript reads or writes their values. */
  readonly updatesInStore: ReadonlySet<number>;
  /** A kernel's body: the wasm form, or the JS kernel with a comment saying why. */
  body(kernel: Kernel, withUpdates: boolean): string;
  /** Why a matmul kernel stayed in TS (the comment `body` starts with), if it did. */
  jsReason(kernel: Kernel): string | undefined;
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
  /** The smallest matmul shared among threads (default THREAD_MIN_MACS); tests lower it to 0. */
  readonly threadMinMacs?: number | undefined;
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
      : {
          base: Math.ceil(arenaFloats / 16) * 16,
          resident: (id) => layout.storage.get(id)?.kind !== 'external',
          inPlace: (update, param) => {
            const s = layout.storage.get(update);
            return s?.kind === 'alias' && s.of === param;
          },
        };
  const pathOf = (k: Kernel, a: WasmArena): MatmulPath => matmulPath(k, ctx, o.minMacs ?? WASM_MIN_MACS, a);
  const chosen = new Map<string, MatmulPath>(
    kernels.map((k) => [k.name, o.auto ? autoPath(pathOf(k, arena)) : pathOf(k, arena)]),
  );
  // With a fixed batch, a graph input the wasm matmuls read is copied into the memory once per
  // call (inputCopies) instead of once per matmul: a training step read MNIST's x in two matmuls,
  // and each 200 KB copy also pulled the lines the other thread had read (80 µs a step on 2
  // threads, measured). Which matmuls run in wasm was decided above, with the per-matmul copy.
  const inputs = batch === undefined ? [] : inputCopies(chosen, ctx, layout, arena.base, batch);
  const last = inputs[inputs.length - 1];
  const views = new Map(inputs.map((c) => [c.id, c.view]));
  const withCopies: WasmArena =
    last === undefined
      ? arena
      : {
          ...arena,
          base: align16(last.at + last.floats),
          resident: (id) => views.has(id) || arena.resident(id),
          copies: views,
        };
  const paths =
    withCopies === arena
      ? chosen
      : new Map(
          kernels.map((k): [string, MatmulPath] => {
            const p = chosen.get(k.name) ?? { kind: 'none' };
            return [k.name, p.kind === 'wasm' ? pathOf(k, withCopies) : p];
          }),
        );
  const wasm = kernels.flatMap((k) => {
    const p = paths.get(k.name);
    return p?.kind === 'wasm' ? [p.mm] : [];
  });
  const threadMin = o.threadMinMacs ?? THREAD_MIN_MACS;
  const sizes = wasm.map(scratchSize);
  const extra: GemmRequest[] = [];
  const splitFunctions: GemmRequest[] = [];
  const shapes = new Map<string, SplitShape>();
  // Every function a kernel calls: its product, and the SGD-store variant trainStep calls.
  const called = wasm.flatMap((mm) => [mm.request, ...(mm.grad?.sgd === undefined ? [] : [mm.grad.sgd.request])]);
  for (const request of called) {
    const plan = splitPlan(request, threadMin, splitFunctions.length);
    if (plan === undefined) continue;
    shapes.set(request.name, plan.split);
    splitFunctions.push(...plan.functions);
    extra.push(...plan.functions.filter((f) => f !== request));
  }
  const threaded = splitFunctions.length > 0;
  // Each thread packs B into its own space past the scratch: thread t at packAt + t·packStride (floats).
  const packs = splitFunctions.map(packFloats);
  const packSize: Size = {
    fixed: Math.max(0, ...packs.map((q) => q.fixed)),
    perRow: Math.max(0, ...packs.map((q) => q.perRow)),
  };
  const packAt =
    batch === undefined ? `((${maxCode(sizes)} + 15) & -16)` : `${align16(withCopies.base + floatsAt(sizes, batch))}`;
  const packStride =
    batch === undefined
      ? `((${sizeCode(packSize)} + 15) & -16)`
      : `${align16(packSize.fixed + packSize.perRow * batch)}`;
  // A run-time batch computes the threads' packing offsets once per batch (in useBatch), not in every kernel.
  const packCode =
    batch === undefined
      ? { packAt: 'threadPackAt', packStride: 'threadPackStride' }
      : { packAt: bytesCode(packAt), packStride: bytesCode(packStride) };
  const splits = new Map<string, Split>(
    [...shapes].map(([name, shape]) => [name, { ...shape, minMacs: threadMin, ...packCode }]),
  );
  const body = (kernel: Kernel, withUpdates: boolean): string => {
    const path = paths.get(kernel.name);
    if (path?.kind === 'wasm')
      return wasmKernelBody(kernel, path.mm, ctx, withUpdates, splits.get(bodyRequest(path.mm, withUpdates).name));
    const js = kernelBody(kernel, ctx, withUpdates);
    const reason = jsReason(kernel);
    return reason === undefined ? js : `${reason}\n${js}`;
  };
  const jsReason = (kernel: Kernel): string | undefined => {
    const path = paths.get(kernel.name);
    return path?.kind === 'js' ? `// JS gemm: ${path.reason}` : undefined;
  };
  const matmuls = [...paths.values()].filter((p) => p.kind !== 'none').length;
  const counts = { wasm: wasm.length, ts: matmuls - wasm.length };
  const summary = o.auto
    ? `// Kernels: auto → ${counts.wasm} matmul${counts.wasm === 1 ? '' : 's'} WebAssembly SIMD, ${counts.ts} TS (each as measured fastest for its shape); each kernel's comment says which path it took.`
    : `// Matmuls: ${wasm.length} of ${matmuls} run as WebAssembly SIMD (embedded below); each kernel's comment says which path it took.`;
  if (wasm.length === 0)
    return {
      statements: [],
      setup: [],
      onBatch: [],
      onInputs: [],
      body,
      jsReason,
      summary,
      counts,
      threaded: false,
      updatesInStore: new Set(),
    };

  const pages = Math.max(1, Math.ceil(((withCopies.base + floatsAt(sizes, batch ?? ASSUMED_BATCH)) * 4) / PAGE));
  const requests = [...called, ...extra];
  // Threaded modules import a memory with a maximum (threads need one), flagged shared at creation.
  const limits = threaded ? { limits: { maximum: MAX_PAGES, shared: false } } : {};
  const bytes = gemmModule(requests, limits);
  const relaxedBytes = gemmModule(requests, { relaxed: true, ...limits });
  const widest = colSumsLength(kernels, paths, ctx);
  const what = `// One wasm memory (${pages} pages)${batch === undefined ? ', used as matmul scratch' : `: the arena, ${inputs.length === 0 ? '' : 'the inputs the matmuls read, '}then the matmul scratch`}.`;
  const imports = '{ env: { memory: wasmMemory } }';
  const matmulBytes = 'wasmMatmulBytes(WASM_MATMULS_RELAXED, WASM_MATMULS)';
  const unshared = threaded
    ? `const wasmMemory = new WebAssemblyApi.Memory({ initial: ${pages}, maximum: ${MAX_PAGES} });`
    : `const wasmMemory = new WebAssemblyApi.Memory({ initial: ${pages} });`;
  // A fixed batch sizes the shared memory for the threads' packing spaces once (it never grows).
  const sharedPages =
    batch === undefined
      ? [`const wasmPages = ${pages};`, `const wasmMaximum = ${MAX_PAGES};`]
      : [
          `const wasmPages = shared ? Math.max(${pages}, Math.ceil((${packAt} + threads * ${packStride}) / ${PAGE / 4})) : ${pages};`,
          `const wasmMaximum = shared ? wasmPages : ${MAX_PAGES};`,
        ];
  const instantiate = {
    sync: [
      what,
      unshared,
      `const wasmKernels = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(${matmulBytes}), ${imports}).exports;`,
      ...(threaded ? ['const threadPool = undefined;'] : []),
    ],
    async: threaded
      ? [
          '// Threads share the memory: the same code, with the import flagged shared.',
          'const shared = canShareMemory(threads);',
          what,
          ...sharedPages,
          'const wasmMemory = new WebAssemblyApi.Memory({ initial: wasmPages, maximum: wasmMaximum, shared });',
          `const wasmBytes = ${matmulBytes};`,
          'wasmBytes[WASM_MEMORY_FLAGS] = shared ? 3 : 1;',
          'const wasmModule = await WebAssemblyApi.compile(wasmBytes);',
          `const wasmKernels = (await WebAssemblyApi.instantiate(wasmModule, ${imports})).exports;`,
          'const threadPool = shared ? await startThreads(threads, wasmModule, wasmMemory, wasmKernels, WASM_SPLITS) : undefined;',
        ]
      : [
          what,
          unshared,
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
      : `// WebAssembly SIMD matmuls (${wasm.length}): operands in the arena${inputs.length === 0 ? '' : ' and the copied inputs'} are passed in place, ${inputs.length === 0 ? "the caller's arrays" : 'other arrays'} copied to the scratch, C read back.`,
    ...called.map((r) => `const ${r.name} = wasmExport(wasmKernels, '${r.name}');`),
    `/** The whole wasm memory as floats${batch === undefined ? ' (re-created when the scratch grows)' : ''}. */`,
    `${batch === undefined ? 'let' : 'const'} heap = new Float32Array(wasmMemory.buffer);`,
    ...inputs.flatMap((c) => [
      `/** The caller's ${ctx.node(c.id).name}, copied here once per call: the matmuls read it in place. */`,
      `const ${c.view} = new Float32Array(wasmMemory.buffer, ${c.at * 4}, ${c.floats});`,
    ]),
    ...(widest > 0
      ? ['/** Bias-gradient column sums, in doubles. */', `const colSums = new Float64Array(${widest});`]
      : []),
    ...(threaded && batch === undefined
      ? [
          "/** Thread 0's packing space and the bytes between threads' spaces (bytes, for the current batch). */",
          'let threadPackAt = 0;',
          'let threadPackStride = 0;',
        ]
      : []),
  ];
  const onBatch =
    batch !== undefined
      ? []
      : [
          threaded
            ? `const scratchBytes = (threadPool === undefined ? ${maxCode(sizes)} : ${packAt} + threadPool.threads * ${packStride}) * 4;`
            : `const scratchBytes = (${maxCode(sizes)}) * 4;`,
          'if (scratchBytes > wasmMemory.buffer.byteLength) {',
          `  wasmMemory.grow(Math.ceil((scratchBytes - wasmMemory.buffer.byteLength) / ${PAGE}));`,
          '  heap = new Float32Array(wasmMemory.buffer);',
          '}',
          ...(threaded ? [`threadPackAt = ${bytesCode(packAt)};`, `threadPackStride = ${bytesCode(packStride)};`] : []),
        ];
  const flags = threaded ? memoryFlagsOffset(bytes) : 0;
  if (threaded && memoryFlagsOffset(relaxedBytes) !== flags)
    throw new Error('codegen: the plain and relaxed wasm builds place the memory import differently');
  const threadStatements = threaded
    ? [
        "/** Byte of the matmul bytes holding the memory import's flags: 1 unshared, 3 shared (threads). */",
        `const WASM_MEMORY_FLAGS = ${flags};`,
        '/** The matmuls workers run, by the index jobs name them with, and what each takes after c, a, b. */',
        `const WASM_SPLITS: readonly ThreadFunction[] = [${splitFunctions.map(threadFunction).join(', ')}];`,
      ]
    : [];
  return {
    statements: [
      `/** The model's WebAssembly SIMD matmuls (${bytes.length} bytes, base64), generated with the module. */`,
      `const WASM_MATMULS = '${base64(bytes)}';`,
      `/** The same with relaxed SIMD multiply-adds (${relaxedBytes.length} bytes), used where the engine validates it. */`,
      `const WASM_MATMULS_RELAXED = '${base64(relaxedBytes)}';`,
      ...threadStatements,
    ],
    threaded,
    updatesInStore: new Set(wasm.flatMap((mm) => (mm.grad?.sgd === undefined ? [] : [mm.grad.sgd.update]))),
    ...(threaded ? { dispose: ['if (threadPool !== undefined) stopThreads(threadPool);'] } : {}),
    instantiate,
    ...(arenaLines === undefined ? {} : { arena: arenaLines }),
    setup,
    onBatch,
    onInputs: inputs.map((c) => `${c.view}.set(${ctx.ref(c.id)});`),
    body,
    jsReason,
    summary,
    counts,
  };
}

/** A graph input copied into the wasm memory once per call: its node, float offset, length and view's name. */
interface InputCopy {
  readonly id: number;
  readonly at: number;
  readonly floats: number;
  readonly view: string;
}

/**
 * The graph inputs (caller's arrays) that wasm matmuls copy in, placed one after another from
 * `base` (64-byte aligned) in node order, for a fixed `batch`.
 */
function inputCopies(
  paths: ReadonlyMap<string, MatmulPath>,
  ctx: KernelContext,
  layout: Layout,
  base: number,
  batch: number,
): InputCopy[] {
  const sizes = new Map<number, Size>();
  for (const p of paths.values()) {
    if (p.kind !== 'wasm') continue;
    for (const o of [p.mm.a, p.mm.b, p.mm.bias]) {
      if (o === undefined || o.resident || layout.storage.get(o.id)?.kind !== 'external') continue;
      if (ctx.node(o.id).role === 'input') sizes.set(o.id, o.size);
    }
  }
  let at = base;
  return [...sizes]
    .sort(([a], [b]) => a - b)
    .map(([id, size]) => {
      const floats = size.fixed + size.perRow * batch;
      const copy = { id, at, floats, view: `${ctx.ref(id)}InWasm` };
      at = align16(at + floats);
      return copy;
    });
}

/**
 * nn/nt products at least this wide split C's columns (blocks of B) instead of its rows: row
 * chunks would each pack all of B, column blocks pack it once between them.
 */
const COLS_MIN_N = 64;

/** Column blocks: at most about this many, at least COLS_MIN_WIDTH wide, a multiple of 16 (whole panels). */
const COL_BLOCKS = 8;
const COLS_MIN_WIDTH = 32;

/**
 * How `mm` is shared among threads, and the functions that needs (in `WASM_SPLITS` order from
 * `first`); undefined when it stays on the calling thread (too small, or too few rows to split).
 * Wide nn/nt split C's columns into blocks computed by functions with a literal block width and
 * the full strides of B and C; narrow ones split the batch rows and call a run-time-m function
 * with offset pointers (the request itself when its m is already run-time). tn splits its output
 * rows into blocks computed by functions with a literal block height and the full strides of A and C.
 */
function splitPlan(
  r: GemmRequest,
  minMacs: number,
  first: number,
): { readonly split: SplitShape; readonly functions: readonly GemmRequest[] } | undefined {
  if (r.form !== 'tn') {
    if (r.m !== 'runtime' && (r.m < 8 || r.m * (r.k as number) * r.n < minMacs)) return undefined;
    if (r.n >= COLS_MIN_N) return colsPlan(r, first);
    const rows = r.m === 'runtime' ? r : { ...r, name: `${r.name}_rows`, m: 'runtime' as const };
    return { split: { kind: 'rows', fi: first }, functions: [rows] };
  }
  const m = r.m as number;
  if (m < 8 || (r.k !== 'runtime' && m * r.k * r.n < minMacs)) return undefined;
  const rows = Math.max(4, Math.ceil(m / TN_BLOCKS / 4) * 4);
  let blocks = Math.floor(m / rows);
  let left = m - blocks * rows;
  // A last block of 1–3 rows would take the unpacked few-rows kernel; join it to the one before.
  if (left > 0 && left < 4) {
    blocks -= 1;
    left += rows;
  }
  const block = (height: number): GemmRequest => ({
    ...r,
    name: `${r.name}_rows${height}`,
    m: height,
    lda: m,
    ldc: r.n,
  });
  const functions = [block(rows), ...(left > 0 ? [block(left)] : [])];
  return { split: { kind: 'blocks', fi: first, tail: left > 0 ? first + 1 : -1, blocks, rows }, functions };
}

/** nn/nt split into column blocks: functions of a literal width over the full B and C strides. */
function colsPlan(
  r: GemmRequest,
  first: number,
): { readonly split: SplitShape; readonly functions: readonly GemmRequest[] } {
  const width = Math.max(COLS_MIN_WIDTH, Math.ceil(r.n / COL_BLOCKS / 16) * 16);
  const blocks = Math.floor(r.n / width);
  const left = r.n - blocks * width;
  const k = r.k as number;
  const block = (w: number): GemmRequest => ({
    ...r,
    name: `${r.name}_cols${w}`,
    n: w,
    // nn reads a column block of B [k, n]: its rows keep their full length; nt reads whole rows of B [n, k].
    ...(r.form === 'nn' ? { ldb: r.n } : { ldb: k }),
    ldc: r.n,
  });
  const functions = [block(width), ...(left > 0 ? [block(left)] : [])];
  return { split: { kind: 'cols', fi: first, tail: left > 0 ? first + 1 : -1, blocks, width }, functions };
}

/** Floats of scratch the largest wasm matmul needs at `rows` batch rows. */
function floatsAt(sizes: readonly Size[], rows: number): number {
  return Math.max(...sizes.map((s) => s.fixed + s.perRow * rows));
}

const align16 = (floats: number): number => Math.ceil(floats / 16) * 16;

/** Float count code → byte count code. */
const bytesCode = (floats: string): string => (/^\d+$/.test(floats) ? `${Number(floats) * 4}` : `${floats} * 4`);

/** A split function as the prelude's ThreadFunction: its name, and whether it takes an extra pointer, the run-time dim and a pack pointer. */
function threadFunction(req: GemmRequest): string {
  const params = gemmParams(req);
  // The job's one extra pointer: a bias, the weights an SGD store updates, or a saved value.
  return `{ name: '${req.name}', extra: ${params.includes('bias') || params.includes('w') || params.includes('s')}, dim: ${params.includes('m') || params.includes('k')}, pack: ${params.includes('pack')} }`;
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
