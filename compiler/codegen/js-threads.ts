// TypeScript kernels on threads (`createModelAsync({ threads })` for a module without wasm
// matmuls: `--kernels js`, f64, or auto when every matmul stayed in TS). Each matmul kernel's
// body is also generated as a top-level *row function*: the same template over a slice of its
// product's rows, taking its arrays, B and the slice as parameters (no closure). With threads the
// kernel hands it to `splitJsRows` (prelude.ts), which runs row chunks on every thread (workers
// rebuild the function from its source text); on one thread the kernel runs as it always did. Every element is
// computed whole by one thread, in the same order, so results are bit-identical for any thread
// count. With threads the arena lives in the pool's shared memory (`sharedFloats`); the caller's
// inputs are copied there per job.
import type { Dim, Kernel, Node } from '../ir/types.js';
import { definedReads } from './code.js';
import { kernelBody } from './fused-kernels.js';
import { productNode } from './kernel-lookup.js';
import type { KernelContext } from './kernel-context.js';
import type { Layout } from './layout.js';
import { helperFunctions } from './module-helpers.js';
import { JS_THREAD_VIEWS } from './prelude.js';

/**
 * The smallest product (multiply-adds) split among threads by default: about 30–60 µs of a JS
 * gemm here, well above a hand-off (under 1 µs spinning, ~50 µs waking a sleeping worker).
 */
export const JS_THREAD_MIN_MACS = 1 << 16;

/** Fewer rows than this are not split (a batch-1 call would only pay the hand-off). */
const MIN_ROWS = 8;

export interface JsThreadPlan {
  /** Top-level statements: the row functions and JS_SPLITS, the list workers rebuild. */
  readonly statements: readonly string[];
  /** How `createModel` and `createModelAsync` make `threadPool` before calling `buildModel`. */
  readonly instantiate: { readonly sync: readonly string[]; readonly async: readonly string[] };
  /** The arena declaration: in the pool's shared memory when there is one. */
  readonly arena: (floats: number) => string;
  /** The batch arena's allocation for `floats` (code) floats, placed past the `arenaFloats` of the arena. */
  readonly batchArena: (floats: string, arenaFloats: number) => string;
  readonly dispose: readonly string[];
  /**
   * The kernel's body with its split among threads in front of `inline` (the body it has on one
   * thread), or undefined when the kernel has no row function.
   */
  body(kernel: Kernel, withUpdates: boolean, inline: string): string | undefined;
}

export interface JsThreadOptions {
  readonly batch: number | undefined;
  readonly layout: Layout;
  readonly threadMinMacs?: number | undefined;
  /** Each kernel's function names ([lossAndGrads/forward variant, trainStep variant]). */
  readonly kernelNames: ReadonlyMap<Kernel, readonly [string, string]>;
  /** A fresh module-level identifier based on `name`. */
  readonly take: (name: string) => string;
}

/** A kernel variant's row function. */
interface RowFunction {
  readonly name: string;
  /** Index in JS_SPLITS. */
  readonly index: number;
  /** The node whose array each parameter is, in order. */
  readonly views: readonly number[];
  readonly product: Node;
  readonly source: readonly string[];
}

/**
 * The row functions of `kernels`, or undefined when none has one (nothing to thread: the module
 * stays as it was, with no pool).
 */
export function jsThreadPlan(
  kernels: readonly Kernel[],
  ctx: KernelContext,
  o: JsThreadOptions,
): JsThreadPlan | undefined {
  const minMacs = o.threadMinMacs ?? JS_THREAD_MIN_MACS;
  const rows = new Map<string, RowFunction>();
  const functions: RowFunction[] = [];
  for (const kernel of kernels) {
    const product = productOf(kernel, ctx);
    // A product that is always too small to split keeps its kernel as it is.
    const size = product === undefined ? undefined : productSize(product, ctx, o.batch);
    if (size === undefined || below(size.macs, minMacs) || below(size.rows, MIN_ROWS)) continue;
    const [base, step] = o.kernelNames.get(kernel) ?? [kernel.name, kernel.name];
    const variants: [string, boolean][] = [[base, false]];
    if (kernel.updates !== undefined) variants.push([step, true]);
    for (const [fn, withUpdates] of variants) {
      const row = rowFunction(kernel, withUpdates, ctx, o.take(`${fn}_rows`), functions.length);
      if (row === undefined) continue;
      functions.push(row);
      rows.set(fn, row);
    }
  }
  if (functions.length === 0) return undefined;
  const bytes = ctx.dtype === 'f32' ? 4 : 8;
  const body = (kernel: Kernel, withUpdates: boolean, inline: string): string | undefined => {
    const [base, step] = o.kernelNames.get(kernel) ?? [kernel.name, kernel.name];
    const row = rows.get(withUpdates ? step : base);
    if (row === undefined) return undefined;
    return rowCall(row, inline, ctx, o, minMacs);
  };
  return {
    statements: [
      ...functions.flatMap((f) => ['', ...f.source]),
      '',
      '/** The row functions threads run (jobs name them by index), and the helpers they call: workers rebuild them from their source text. */',
      `const JS_SPLITS: readonly JsRowFunction[] = [${functions.map((f) => f.name).join(', ')}];`,
      `const JS_SPLIT_HELPERS: readonly JsRowFunction[] = [${helperFunctions(functions.flatMap((f) => f.source).join('\n')).join(', ')}];`,
    ],
    instantiate: {
      sync: ['const threadPool = undefined;'],
      async: [
        '// Threads share one memory: the arena is placed in it, and every thread runs row slices of the matmuls.',
        'const threadPool = canShareMemory(threads) ? await startJsThreads(threads, JS_SPLITS, JS_SPLIT_HELPERS) : undefined;',
      ],
    },
    arena: (floats) =>
      `const arena = threadPool === undefined ? new ${ctx.floatArray}(${floats}) : sharedFloats(threadPool, 0, ${floats});`,
    batchArena: (floats, arenaFloats) => {
      // The batch's rows start at the first cache line past the arena.
      const at = Math.ceil((arenaFloats * bytes) / 64) * 64;
      return `threadPool === undefined ? new ${ctx.floatArray}(${floats}) : sharedFloats(threadPool, ${at}, ${floats})`;
    },
    dispose: ['if (threadPool !== undefined) stopThreads(threadPool);'],
    body,
  };
}

/** Whether a size (code) is a literal rather than depending on the run-time batch. */
const isLiteral = (code: string): boolean => /^\d+$/.test(code);

/** Whether `code` is a literal below `min` (a run-time size may always grow past it). */
function below(code: string, min: number): boolean {
  return isLiteral(code) && Number(code) < min;
}

/**
 * The product a kernel's gemm computes, if its whole body is that gemm (a linear layer feeding a
 * softmax also normalizes whole rows after it: that kernel has no row function).
 */
function productOf(kernel: Kernel, ctx: KernelContext): Node | undefined {
  return kernel.pattern === 'linear_softmax' ? undefined : productNode(kernel, ctx);
}

function rowFunction(
  kernel: Kernel,
  withUpdates: boolean,
  ctx: KernelContext,
  name: string,
  index: number,
): RowFunction | undefined {
  const product = productOf(kernel, ctx);
  if (product === undefined) return undefined;
  // The parameters are named like the module's buffers: the body reads as the inline kernel did.
  const views: number[] = [];
  const rowCtx: KernelContext = {
    ...ctx,
    ref: (id) => {
      if (!views.includes(id)) views.push(id);
      return ctx.ref(id);
    },
    rowRange: { from: 'rowFrom', to: 'rowTo' },
  };
  const body = definedReads(kernelBody(kernel, rowCtx, withUpdates));
  if (views.length > JS_THREAD_VIEWS || views.some((id) => ctx.node(id).type.dtype === 'i32')) return undefined;
  const usesB = /\bB\b/.test(body.replace(/\/\/.*$/gm, ''));
  const params = [
    ...views.map((id) => `${ctx.ref(id)}: ${ctx.floatArray}`),
    `${usesB ? 'B' : '_B'}: number`,
    'rowFrom: number',
    'rowTo: number',
  ];
  return {
    name,
    index,
    views,
    product,
    source: [
      `/** Rows rowFrom ≤ i < rowTo of ${product.name}'s product and what its kernel does with them (self-contained: threads run it). */`,
      `function ${name}(${params.join(', ')}): void {`,
      ...body.split('\n').map((l) => (l === '' ? l : `  ${l}`)),
      '}',
    ],
  };
}

/** A dim as code inside the kernel: the batch is `B`, or its fixed value. */
function dimCode(d: Dim, batch: number | undefined): string {
  return d === 'B' ? (batch === undefined ? 'B' : `${batch}`) : `${d}`;
}

/** Rows of the product and its multiply-adds, as code (literals where static). */
function productSize(p: Node, ctx: KernelContext, batch: number | undefined): { rows: string; macs: string } {
  const shape = p.type.shape;
  const inner = (): Dim => {
    const a = ctx.node(p.inputs[0] as number).type.shape;
    if (p.op === 'matmul' && p.attrs.transA) return a[0] ?? 1;
    return a[a.length - 1] ?? 1;
  };
  const dims: Dim[] = [...shape, inner()];
  const rowsDims = shape.slice(0, -1);
  const literal = (ds: readonly Dim[]): number => ds.reduce<number>((x, d) => x * (d === 'B' ? (batch ?? 1) : d), 1);
  const symbolic = (ds: readonly Dim[]): boolean => batch === undefined && ds.includes('B');
  const code = (ds: readonly Dim[]): string => {
    const l = literal(ds);
    return symbolic(ds) ? (l === 1 ? 'B' : `B * ${l}`) : `${l}`;
  };
  return { rows: rowsDims.length === 1 ? dimCode(rowsDims[0] as Dim, batch) : code(rowsDims), macs: code(dims) };
}

/**
 * The kernel body: split among threads by its row function, or, on one thread, the kernel as it
 * always was. (Calling the row function there too would save the copy, but V8 compiles a kernel
 * that closes over its arrays faster than one that takes them as parameters: 6–18% on the MNIST
 * MLPs. The two compute every element the same way, so the results are the same bits.)
 */
function rowCall(row: RowFunction, inline: string, ctx: KernelContext, o: JsThreadOptions, minMacs: number): string {
  const { rows, macs } = productSize(row.product, ctx, o.batch);
  const arrays = row.views.map((id) => ctx.ref(id));
  let copy = 0;
  row.views.forEach((id, i) => {
    if (o.layout.storage.get(id)?.kind === 'external') copy |= 1 << i;
  });
  const b = o.batch === undefined ? 'B' : `${o.batch}`;
  const runTime = !isLiteral(macs);
  const enoughRows = isLiteral(rows) ? [] : [`${rows} >= ${MIN_ROWS}`];
  const when = ['threadPool !== undefined', ...enoughRows, ...(runTime ? [`${macs} >= ${minMacs}`] : [])].join(' && ');
  return [
    `// ${row.product.name}: split among threads by ${row.name} when there are threads${runTime ? ` and ${macs} ≥ ${minMacs} multiply-adds` : ''}${enoughRows.length > 0 ? ` in ${MIN_ROWS}+ rows` : ''}; else on this thread:`,
    `if (${when}) {`,
    `  splitJsRows(threadPool, ${row.index}, [${arrays.join(', ')}], ${copy}, ${b}, ${rows});`,
    '  return;',
    '}',
    inline,
  ].join('\n');
}
