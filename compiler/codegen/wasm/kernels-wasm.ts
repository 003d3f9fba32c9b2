// Kernels of the `wasm-simd` mode: the matmul of a kernel runs as a WebAssembly SIMD function
// (gemm-simd.ts) over a scratch region of the wasm memory, and the kernel's epilogue (bias,
// activation, derivative, bias-gradient row sums, optimizer update) runs in TS over the result,
// writing the same planned arena values as the JS kernels. Matmuls with no wasm form (or nt with a
// short k, or below a raised `wasmMinMacs`) keep the JS kernel (fused-kernels.ts), and both paths
// say in a comment which one they took.
//
// Scratch scheme: per call, the operands are copied into the wasm memory with
// `Float32Array.prototype.set` (no allocation), fixed-size operands first and batch-sized ones
// after them, each at a 64-byte boundary; the wasm writes C after them; the epilogue reads C
// from `heap` (a Float32Array over the whole memory). Kernels run one at a time, so they all
// share the same region. With a fixed batch the memory never grows, so the module's arena itself
// lives at its start: operands in the arena (parameters, activations, gradients) are passed by
// `byteOffset` and only the caller's arrays are copied. See docs/wasm-kernels.md.
import type { Dim as IrDim, Kernel, Node, Shape } from '../../ir/types.js';
import { activationGradEpilogue, gradientEpilogue, linearActivationEpilogue } from '../epilogues.js';
import type { KernelContext } from '../kernel-context.js';
import { productNode } from '../kernel-lookup.js';
import { perRow, staticSize } from '../layout.js';
import { linearSoftmax } from '../fused-rows.js';
import { rowLoop } from '../template-kit.js';
import { defOf } from '../../ops/index.js';
import {
  type Dim,
  type GemmActivation,
  type GemmForm,
  type GemmMask,
  type GemmRequest,
  gemmParams,
  packFloats,
} from './gemm-simd.js';

/**
 * Smallest matmul (multiply-adds, with the batch at ASSUMED_BATCH when it is chosen at run
 * time) that runs in wasm. Timing whole training steps found no size where wasm loses (figures
 * in docs/wasm-kernels.md, "Phase 2"), so every matmul with a wasm form takes it; the knob stays
 * for tests (which raise it to reach the JS fallback) and for engines where calls into wasm cost more.
 */
export const WASM_MIN_MACS = 0;
/** The batch assumed for the threshold (and the initial scratch size) when it is a run-time dim. */
export const ASSUMED_BATCH = 32;
/**
 * nt vectorizes along k: with k ≤ 4 each output is one vector plus a horizontal sum, slower than
 * the JS loop (measured for the kernel and for whole steps: docs/wasm-kernels.md).
 */
const NT_MIN_K = 5;
/** Scratch regions start at multiples of this many floats (64 bytes). */
const ALIGN = 16;

/** A size in floats: `fixed + perRow·B`. */
export interface Size {
  readonly fixed: number;
  readonly perRow: number;
}

/** One operand of a wasm matmul: its size, and whether it needs scratch space. */
interface Operand {
  readonly size: Size;
  /** Already in the wasm memory (an arena view there): passed by byteOffset, not copied. */
  readonly resident: boolean;
}

/** A or B: also the value's node and the array holding it (an arena view, a copy's view, or the caller's array). */
interface Input extends Operand {
  readonly id: number;
  readonly ref: string;
}

/** Where the scratch starts and which values already live in the wasm memory. */
export interface WasmArena {
  /** First float of the scratch region (after the arena, 64-byte aligned). */
  readonly base: number;
  resident(id: number): boolean;
  /** Whether update `update` overwrites `param` in place (the plan aliases them). */
  inPlace(update: number, param: number): boolean;
  /**
   * Caller's arrays (graph inputs) copied into the wasm memory once per call, by the array that
   * views their copy there: the matmuls read that copy in place (they are resident).
   */
  readonly copies?: ReadonlyMap<number, string>;
}

/** No arena in the wasm memory: every operand is copied, the scratch starts at 0. */
export const COPY_ALL: WasmArena = { base: 0, resident: () => false, inPlace: () => false };

/** A kernel's matmul as it runs in wasm. */
export interface WasmMatmul {
  readonly request: GemmRequest;
  /** The matmul (or linear) node. */
  readonly node: Node;
  readonly a: Input;
  readonly b: Input;
  /** The wasm writes C to the scratch (the epilogue reads it there), or, with `out` resident, into `out`. */
  readonly c: Operand;
  /** The bias the wasm adds in its store (a linear's b), when `request.bias`. */
  readonly bias?: Input;
  /**
   * A fused store: the value the wasm's store produces (a linear, or the activation after it,
   * applied in the store: `request.activation`), written in place when resident, else copied out
   * of C. Undefined: the TypeScript epilogue writes the kernel's values.
   */
  readonly out?: Input;
  /** The saved value a derivative store reads (`request.mask`), laid out like C, in the wasm memory. */
  readonly saved?: Input;
  /**
   * A weight gradient the wasm writes straight into its resident arena value (no copy out), and,
   * for `trainStep`, the variant with plain SGD in its store (`mm_<kernel>_sgd`: W −= lr·g in
   * place) when the kernel's only update of that gradient is an in-place `sgd_update`.
   */
  readonly grad?: {
    readonly out: Input;
    /** The SGD-store variant: its request, the weights it updates, and the sgd_update node it applies. */
    readonly sgd?: { readonly request: GemmRequest; readonly w: Input; readonly update: number };
  };
  /** The wasm's packing scratch for B (size 0 when it reads B in place). */
  readonly pack: Operand;
  /** First float of the scratch region. */
  readonly base: number;
  /** Human-readable shapes, e.g. `[B,784]·[784,128]`. */
  readonly shapes: string;
}

/** Where a kernel's matmul runs: wasm, JS (with the reason), or there is none. */
export type MatmulPath =
  | { readonly kind: 'wasm'; readonly mm: WasmMatmul }
  | { readonly kind: 'js'; readonly reason: string }
  | { readonly kind: 'none' };

/** A value's size: its literal element count, or elements per batch row. */
function sizeOf(shape: Shape): Size {
  const row = perRow(shape);
  return row === undefined ? { fixed: staticSize(shape), perRow: 0 } : { fixed: 0, perRow: row };
}
const irDim = (d: IrDim | undefined): Dim | undefined => (d === 'B' ? 'runtime' : d);

/** Decides where `kernel`'s matmul runs. */
export function matmulPath(kernel: Kernel, ctx: KernelContext, minMacs: number, arena: WasmArena): MatmulPath {
  const node = productNode(kernel, ctx);
  if (node === undefined) return { kind: 'none' };
  const shapeOf = (id: number | undefined): readonly IrDim[] => (id === undefined ? [] : ctx.node(id).type.shape);
  const [x, w] = node.inputs as [number, number];
  const as = shapeOf(x);
  const bs = shapeOf(w);
  if (as.length !== 2 || bs.length !== 2) return { kind: 'js', reason: 'operands are not matrices' };
  const transA = node.op === 'matmul' && node.attrs.transA;
  const transB = node.op === 'matmul' && node.attrs.transB;
  if (transA && transB) return { kind: 'js', reason: 'Aᵀ·Bᵀ has no wasm form' };
  const form: GemmForm = transA ? 'tn' : transB ? 'nt' : 'nn';
  const [a0, a1] = [irDim(as[0]), irDim(as[1])];
  const [b0, b1] = [irDim(bs[0]), irDim(bs[1])];
  const m = transA ? a1 : a0;
  const k = transA ? a0 : a1;
  const n = transB ? b0 : b1;
  if (m === undefined || k === undefined || typeof n !== 'number')
    return { kind: 'js', reason: 'the output width is not static' };
  // Strides are literals in wasm: only the batch dim (m for nn/nt, k for tn) may be a run-time one.
  if ((form === 'tn' ? m : k) === 'runtime') return { kind: 'js', reason: `a run-time batch in ${form}'s strides` };
  const shapes = `[${as.join(',')}]${transA ? 'ᵀ' : ''}·[${bs.join(',')}]${transB ? 'ᵀ' : ''}`;
  // wasm32 addresses (and the encoder's i32 offsets) end at 2 GiB; bigger operands stay in JS
  // rather than failing to encode (found by npm run fuzz: units 1e9 crashed `compile`).
  const lit = (d: Dim): number => (d === 'runtime' ? 1 : d);
  const bytes = 4 * Math.max(lit(m) * lit(k), lit(k) * n, lit(m) * n, arena.base);
  if (bytes >= 2 ** 31) return { kind: 'js', reason: `${shapes}: ${bytes} bytes exceed WebAssembly's 2 GiB memory` };
  const at = (d: Dim): number => (d === 'runtime' ? ASSUMED_BATCH : d);
  const macs = at(m) * at(k) * n;
  if (macs < minMacs) {
    const batchNote = m === 'runtime' || k === 'runtime' ? ` at batch ${ASSUMED_BATCH}` : '';
    return { kind: 'js', reason: `${shapes}: ${macs} multiply-adds${batchNote}, below the wasm threshold ${minMacs}` };
  }
  if (form === 'nt' && typeof k === 'number' && k < NT_MIN_K)
    return { kind: 'js', reason: `${shapes}: nt with k = ${k} < ${NT_MIN_K} is faster in JS` };
  const store = fusedStore(kernel, node, ctx, arena);
  const request: GemmRequest = {
    name: `mm_${kernel.name}`,
    form,
    m,
    k,
    n,
    ...(store?.bias !== undefined ? { bias: true } : {}),
    ...(store?.activation !== undefined ? { activation: store.activation } : {}),
    ...(store?.mask !== undefined ? { mask: store.mask.kind } : {}),
  };
  const input = (id: number): Input => ({
    id,
    ref: arena.copies?.get(id) ?? ctx.ref(id),
    size: sizeOf(ctx.node(id).type.shape),
    resident: arena.resident(id),
  });
  const out = store === undefined ? undefined : input(store.out);
  const grad = out === undefined ? gradStore(kernel, node, request, ctx, input, arena) : undefined;
  return {
    kind: 'wasm',
    mm: {
      request,
      node,
      a: { ...input(x), size: sizeOf(as) },
      b: { ...input(w), size: sizeOf(bs) },
      c: { size: sizeOf(node.type.shape), resident: (out ?? grad?.out)?.resident ?? false },
      ...(store?.bias !== undefined ? { bias: input(store.bias) } : {}),
      ...(out !== undefined ? { out } : {}),
      ...(store?.mask !== undefined ? { saved: input(store.mask.saved) } : {}),
      ...(grad !== undefined ? { grad } : {}),
      pack: { size: packFloats(request), resident: false },
      base: arena.base,
      shapes,
    },
  };
}

/**
 * A kernel whose whole result the wasm store can produce: a linear (its bias added in the store),
 * a plain matmul, or a linear followed by an activation the store applies (the op's `wasmStore`)
 * when nothing else reads the linear's value. Undefined: the kernel keeps its TypeScript epilogue.
 */
function fusedStore(
  kernel: Kernel,
  node: Node,
  ctx: KernelContext,
  arena: WasmArena,
):
  | {
      readonly out: number;
      readonly bias?: number;
      readonly activation?: GemmActivation;
      readonly mask?: { readonly kind: GemmMask; readonly saved: number };
    }
  | undefined {
  const bias = node.op === 'linear' ? node.inputs[2] : undefined;
  const withBias = bias === undefined ? {} : { bias };
  switch (kernel.pattern) {
    case 'single':
      // A matmul with fused optimizer updates (trainStep's variant) needs C in the scratch.
      return (kernel.updates ?? []).length === 0 ? { out: node.id, ...withBias } : undefined;
    case 'linear_activation': {
      const act = kernel.nodes[1] === undefined ? undefined : ctx.node(kernel.nodes[1]);
      const activation = act === undefined ? undefined : defOf(act).wasmStore;
      if (act === undefined || activation === undefined || kernel.writes.includes(node.id)) return undefined;
      return { out: act.id, ...withBias, activation };
    }
    case 'matmul_activation_grad': {
      // relu' from the saved value, when the saved value and the result live in the wasm memory
      // (a fixed batch) and nothing else reads the plain product.
      const grad = kernel.nodes[1] === undefined ? undefined : ctx.node(kernel.nodes[1]);
      const kind = grad === undefined ? undefined : defOf(grad).wasmGradStore;
      const saved = grad?.inputs[1];
      if (grad === undefined || kind === undefined || saved === undefined || kernel.writes.includes(node.id))
        return undefined;
      if (!arena.resident(saved) || !arena.resident(grad.id)) return undefined;
      return { out: grad.id, mask: { kind, saved } };
    }
    default:
      return undefined;
  }
}

/**
 * A weight-gradient kernel whose gradient lives in the wasm memory (a fixed batch): C is written
 * there directly, and an in-place plain SGD update of it can run in the store.
 */
function gradStore(
  kernel: Kernel,
  node: Node,
  request: GemmRequest,
  ctx: KernelContext,
  input: (id: number) => Input,
  arena: WasmArena,
): WasmMatmul['grad'] {
  if (kernel.pattern !== 'weight_bias_grad' || !arena.resident(node.id)) return undefined;
  const out = input(node.id);
  const updates = (kernel.updates ?? []).map((id) => ctx.node(id));
  // This gradient's updates: exactly one sgd_update, in place, which no other update reads.
  const readers = updates.filter((u) => u.inputs.includes(node.id));
  const [u] = readers;
  if (readers.length !== 1 || u === undefined || u.op !== 'sgd_update') return { out };
  const [param, g] = u.inputs as [number, number];
  const chained = updates.some((v) => v.inputs.includes(u.id));
  if (g !== node.id || chained || !arena.resident(param) || !arena.inPlace(u.id, param)) return { out };
  const sgd: GemmRequest = { ...request, name: `${request.name}_sgd`, update: { lr: u.attrs.lr } };
  return { out, sgd: { request: sgd, w: input(param), update: u.id } };
}

type Part = 'a' | 'b' | 'c' | 'pack' | 'bias';

/** A scratch part's operand (no bias operand: nothing to place). */
function part(mm: WasmMatmul, p: Part): Operand | undefined {
  return p === 'bias' ? mm.bias : mm[p];
}

/** The scratch parts of a matmul: A, B and the bias unless resident, C unless written in place, the packing space if the wasm packs. */
function scratchParts(mm: WasmMatmul): Part[] {
  const empty = (s: Size): boolean => s.fixed === 0 && s.perRow === 0;
  return (['a', 'b', 'bias', 'c', 'pack'] as const).filter((p) => {
    const o = part(mm, p);
    return o !== undefined && !o.resident && !(p === 'pack' && empty(o.size));
  });
}

/** Floats of scratch one wasm matmul needs, as `fixed + perRow·B` (alignment slack included). */
export function scratchSize(mm: WasmMatmul): Size {
  const parts = scratchParts(mm).flatMap((p) => part(mm, p)?.size ?? []);
  return {
    fixed: parts.reduce((s, p) => s + p.fixed, 0) + parts.length * ALIGN,
    perRow: parts.reduce((s, p) => s + p.perRow, 0),
  };
}

/** `B * 784`, `B * 912 + 100400` or a literal, as code. */
export function sizeCode(s: Size): string {
  const row = s.perRow === 0 ? '' : s.perRow === 1 ? 'B' : `B * ${s.perRow}`;
  if (row === '') return `${s.fixed}`;
  return s.fixed === 0 ? row : `${row} + ${s.fixed}`;
}

/** Rounds a float count up to ALIGN (code), keeping literals literal. */
function aligned(s: Size): string {
  if (s.perRow === 0) return `${Math.ceil(s.fixed / ALIGN) * ALIGN}`;
  if (s.fixed % ALIGN === 0 && s.perRow % ALIGN === 0) return sizeCode(s);
  return `((${sizeCode(s)} + ${ALIGN - 1}) & -${ALIGN})`;
}

/**
 * Offsets (floats into `heap`) of A, B and C: fixed-size operands first so their offsets are
 * literals, batch-sized ones after. Returns the declaration statement.
 */
function offsets(mm: WasmMatmul): string[] {
  const sizeOfPart = (p: Part): Size => part(mm, p)?.size ?? { fixed: 0, perRow: 0 };
  const order = scratchParts(mm).sort((p, q) => Number(sizeOfPart(p).perRow > 0) - Number(sizeOfPart(q).perRow > 0));
  const decls: string[] = [];
  let literal = mm.base;
  let at = `${literal}`;
  for (const p of order) {
    decls.push(`${p}At = ${at}`);
    const size = sizeOfPart(p);
    if (size.perRow === 0 && at === `${literal}`) {
      literal += Math.ceil(size.fixed / ALIGN) * ALIGN;
      at = `${literal}`;
    } else {
      at = `${at === '0' ? '' : `${at} + `}${aligned(size)}`;
    }
  }
  return decls.length === 0 ? [] : [`const ${decls.sort().join(', ')};`];
}

/**
 * How a wasm matmul is shared among threads (module-wasm.ts plans it; `fi` indexes the functions
 * the workers instantiate). `rows`: nn/nt, C's and A's rows split (the function takes the row count
 * last). `cols`: nn/nt, `blocks` blocks of `width` columns of C (and of B), then a narrower `tail`
 * block (−1: none). `blocks`: tn, `blocks` blocks of `rows` output rows, then a `tail` block.
 * `minMacs`: below it (a run-time batch) the call stays on the calling thread. Each thread packs B
 * into its own space (packAt + t·packStride), past the scratch.
 */
export type SplitShape =
  | { readonly kind: 'rows'; readonly fi: number }
  | {
      readonly kind: 'cols';
      readonly fi: number;
      readonly tail: number;
      readonly blocks: number;
      readonly width: number;
    }
  | {
      readonly kind: 'blocks';
      readonly fi: number;
      readonly tail: number;
      readonly blocks: number;
      readonly rows: number;
    };

export type Split = SplitShape & {
  readonly minMacs: number;
  /** Code: the byte offset of thread 0's packing space, and the bytes between threads' spaces. */
  readonly packAt: string;
  readonly packStride: string;
};

/**
 * Copies the operands not already in the wasm memory in and calls the wasm matmul (C lands at
 * `heap[cAt…]`, or in `mm.out` when that is resident).
 */
function runMatmul(mm: WasmMatmul, split: Split | undefined, r: GemmRequest = mm.request): string[] {
  const pointer = (o: Input | undefined, p: Part): string =>
    o === undefined ? '0' : o.resident ? `${o.ref}.byteOffset` : `${p}At * 4`;
  const inputs = [
    ['a', mm.a],
    ['b', mm.b],
    ['bias', mm.bias],
  ] as const;
  const copies = inputs.flatMap(([p, o]) => (o === undefined || o.resident ? [] : [`heap.set(${o.ref}, ${p}At);`]));
  const target = mm.out ?? mm.grad?.out;
  const cPointer = target?.resident === true ? `${target.ref}.byteOffset` : 'cAt * 4';
  const w = r.update === undefined ? undefined : mm.grad?.sgd?.w;
  if (r.update !== undefined && w === undefined) throw new Error(`codegen: ${r.name} updates no weights`);
  const arg = (p: string): string => {
    switch (p) {
      case 'a':
        return pointer(mm.a, 'a');
      case 'b':
        return pointer(mm.b, 'b');
      case 'bias':
        return pointer(mm.bias, 'bias');
      case 'w':
        return `${w?.ref}.byteOffset`;
      case 's':
        return `${mm.saved?.ref}.byteOffset`;
      case 'm':
      case 'k':
        return 'B';
      case 'c':
        return cPointer;
      default:
        return `${p}At * 4`; // pack
    }
  };
  const call = `${r.name}(${gemmParams(r).map(arg).join(', ')});`;
  if (split === undefined) return [...offsets(mm), ...copies, call];
  const dim = (d: Dim): string => (d === 'runtime' ? 'B' : `${d}`);
  const macs = (r.m === 'runtime' ? r.k : r.m) as number;
  // A run-time batch decides per call; a fixed one was decided when planning.
  const when =
    r.m === 'runtime' || r.k === 'runtime'
      ? `threadPool !== undefined && B * ${macs * r.n} >= ${split.minMacs}`
      : 'threadPool !== undefined';
  const packs = `${split.packAt}, ${split.packStride}`;
  const [a, b] = [pointer(mm.a, 'a'), pointer(mm.b, 'b')];
  // The job's extra pointer: a bias (stays put over rows), or a saved value laid out like C.
  const saved = r.mask === undefined ? undefined : `${mm.saved?.ref}.byteOffset`;
  const extra = saved ?? pointer(mm.bias, 'bias');
  const threaded = ((): string => {
    switch (split.kind) {
      case 'rows':
        return `splitRows(threadPool, ${split.fi}, ${cPointer}, ${a}, ${b}, ${extra}, ${saved === undefined ? 0 : r.n * 4}, ${dim(r.m)}, ${r.n * 4}, ${(r.k as number) * 4}, ${packs});`;
      case 'cols': {
        // nn: B's columns (row-major [k, n]); nt: B's rows ([n, k]).
        const bStep = r.form === 'nt' ? split.width * (r.k as number) * 4 : split.width * 4;
        return `splitCols(threadPool, ${split.fi}, ${split.tail}, ${cPointer}, ${a}, ${b}, ${extra}, ${dim(r.m)}, ${split.blocks}, ${split.width * 4}, ${bStep}, ${packs});`;
      }
      case 'blocks':
        return `splitBlocks(threadPool, ${split.fi}, ${split.tail}, ${cPointer}, ${a}, ${b}, ${w === undefined ? '0' : `${w.ref}.byteOffset`}, ${r.k === 'runtime' ? 'B' : '0'}, ${split.blocks}, ${split.rows * r.n * 4}, ${split.rows * 4}, ${packs});`;
    }
  })();
  return [...offsets(mm), ...copies, `if (${when}) ${threaded}`, `else ${call}`];
}

/** `for (r) for (j)` over C's rows and columns (C is `mm.node`), with `i` the flat index and `j` the column. */
function rowsAndColumns(mm: WasmMatmul, ctx: KernelContext, body: readonly string[]): string {
  const n = mm.request.n;
  return rowLoop(ctx, mm.node, [
    `for (let j = 0; j < ${n}; j++) {`,
    '  const i = o + j;',
    ...body.map((l) => `  ${l}`),
    '}',
  ]);
}

/** One flat loop over C's elements (`i`). */
function elements(count: string, body: readonly string[]): string[] {
  return [`for (let i = 0; i < ${count}; i++) {`, ...body.map((l) => `  ${l}`), '}'];
}

function header(mm: WasmMatmul, what: string): string {
  const r = mm.request;
  return `// ${mm.node.name} = ${mm.shapes}: WebAssembly SIMD ${r.form} (${r.name}), ${what} in TS over the result`;
}

/** The body of a kernel whose matmul runs in wasm. */
export function wasmKernelBody(
  kernel: Kernel,
  mm: WasmMatmul,
  ctx: KernelContext,
  withUpdates: boolean,
  split?: Split,
): string {
  if (mm.out !== undefined) return fusedProduct(mm, ctx, split).join('\n');
  const nodes = kernel.nodes.map((id) => ctx.node(id));
  const updates = withUpdates ? (kernel.updates ?? []).map((id) => ctx.node(id)) : [];
  switch (kernel.pattern) {
    case 'single':
      // A linear's fused updates live in its weight-gradient kernels, never here.
      if (mm.node.op !== 'linear' && updates.length > 0) return gradient(mm, undefined, updates, ctx, split);
      return productInto(mm, ctx, ctx.ref(mm.node.id), split).join('\n');
    case 'linear_activation': {
      const e = linearActivationEpilogue(nodes, ctx, kernel);
      return [
        ...e.lines,
        header(mm, 'the epilogue'),
        ...runMatmul(mm, split),
        rowsAndColumns(mm, ctx, e.store('i', 'heap[cAt + i]', 'j')),
      ].join('\n');
    }
    case 'linear_softmax':
      // The JS kernel's structure, with the logits from the wasm matmul.
      return linearSoftmax(nodes, ctx, kernel, (lin, rows) => productInto(mm, ctx, rows.ref(lin.id), split).join('\n'));
    case 'matmul_activation_grad': {
      const e = activationGradEpilogue(nodes, ctx, kernel);
      return [
        ...e.lines,
        header(mm, 'the epilogue'),
        ...runMatmul(mm, split),
        ...elements(ctx.count(mm.node.type.shape), e.store('i', 'heap[cAt + i]', '')),
      ].join('\n');
    }
    case 'weight_bias_grad': {
      const [, bias] = nodes;
      if (bias === undefined) throw new Error(`codegen: kernel ${kernel.name} needs a sum_rows`);
      return gradient(mm, bias, updates, ctx, split);
    }
    default:
      throw new Error(`codegen: kernel ${kernel.name} (${kernel.pattern}) has no wasm form`);
  }
}

/**
 * The whole kernel in one wasm call: the store adds the bias and applies the activation
 * (`fusedStore`), writing the value in place, or into C and copied out in one `set`.
 */
function fusedProduct(mm: WasmMatmul, ctx: KernelContext, split: Split | undefined): string[] {
  const out = mm.out;
  if (out === undefined) throw new Error(`codegen: ${mm.request.name} has no fused store`);
  const r = mm.request;
  const what = [
    ...(r.bias === true ? ['bias'] : []),
    ...(r.activation === undefined ? [] : [r.activation]),
    ...(r.mask === undefined ? [] : [`${r.mask}' of the saved ${mm.saved?.ref ?? 'value'}`]),
  ];
  const count = ctx.count(mm.node.type.shape);
  return [
    `// ${mm.node.name} = ${mm.shapes}: WebAssembly SIMD ${r.form} (${r.name})${what.length > 0 ? `, ${what.join(' and ')} in its store` : ''}, ${out.resident ? 'written in place' : 'copied out'}`,
    ...runMatmul(mm, split),
    ...(out.resident ? [] : [`${out.ref}.set(heap.subarray(cAt, cAt + ${count}));`]),
  ];
}

/** `target = A·B`, or a linear's `X·W + b`, through wasm: C copied out, with the bias added (rounded once to f32). */
function productInto(mm: WasmMatmul, ctx: KernelContext, target: string, split: Split | undefined): string[] {
  const bias = mm.node.op === 'linear' ? mm.node.inputs[2] : undefined;
  return [
    `const O = ${target};`,
    ...(bias === undefined ? [] : [`const bias = ${ctx.ref(bias)};`]),
    header(mm, bias === undefined ? 'copied out' : 'bias'),
    ...runMatmul(mm, split),
    ...(bias === undefined
      ? elements(ctx.count(mm.node.type.shape), ['O[i] = heap[cAt + i];'])
      : [rowsAndColumns(mm, ctx, ['O[i] = Math.fround(heap[cAt + i] + bias[j]);'])]),
  ];
}

/**
 * ∂L/∂W from the wasm matmul, the bias gradient as column sums of dZ (summed in doubles in
 * `colSums`, like the JS kernel's ones row), and for trainStep the fused optimizer updates,
 * applied by the JS kernel's own epilogue code (gradientEpilogue).
 */
function gradient(
  mm: WasmMatmul,
  bias: Node | undefined,
  updates: readonly Node[],
  ctx: KernelContext,
  split: Split | undefined,
): string {
  const request = bodyRequest(mm, updates.length > 0);
  const inPlace = mm.grad?.out.resident === true;
  // The weight part in TS: the whole epilogue over C, or, with C written into the gradient, only
  // the updates the store did not do.
  const readsG = updates.some((u) => u.inputs.includes(mm.node.id));
  const weightInTs = !inPlace || (request.update === undefined && readsG);
  const epilogue = gradientEpilogue(mm.node, bias, updates, ctx, weightInTs);
  const what = [
    inPlace ? 'gradient written in place' : 'gradient store',
    ...(request.update !== undefined ? [`sgd in its store`] : []),
    ...(bias !== undefined ? ['bias row sums'] : []),
  ].join(', ');
  const out = [...epilogue.lines, header(mm, what), ...runMatmul(mm, split, request)];
  if (weightInTs)
    out.push(...elements(ctx.count(mm.node.type.shape), epilogue.weight('i', inPlace ? 'G[i]' : 'heap[cAt + i]')));
  if (bias !== undefined && epilogue.bias !== undefined) {
    const dz = bias.inputs[0];
    if (dz === undefined) throw new Error(`codegen: ${bias.name} has no operand`);
    const dzNode = ctx.node(dz);
    const n = ctx.cols(dzNode.type.shape);
    out.push(
      `// ${bias.name} = Σrows ${dzNode.name}: one pass over its rows, summed in doubles`,
      `const DZ = ${ctx.ref(dz)};`,
      `colSums.fill(0, 0, ${n});`,
      rowLoop(ctx, dzNode, [`for (let j = 0; j < ${n}; j++) colSums[j] += DZ[o + j];`]),
      ...elements(`${n}`, epilogue.bias('i', 'colSums[i]')),
    );
  }
  return out.join('\n');
}

/** The function a kernel's body calls: its SGD-store variant for trainStep when it has one. */
export function bodyRequest(mm: WasmMatmul, withUpdates: boolean): GemmRequest {
  return withUpdates && mm.grad?.sgd !== undefined ? mm.grad.sgd.request : mm.request;
}

/** Widest bias-gradient row among the wasm kernels (the length of `colSums`). */
export function colSumsLength(
  kernels: readonly Kernel[],
  paths: ReadonlyMap<string, MatmulPath>,
  ctx: KernelContext,
): number {
  let widest = 0;
  for (const k of kernels) {
    if (k.pattern !== 'weight_bias_grad' || paths.get(k.name)?.kind !== 'wasm') continue;
    const bias = k.nodes[1];
    if (bias !== undefined) widest = Math.max(widest, ctx.cols(ctx.node(bias).type.shape));
  }
  return widest;
}
