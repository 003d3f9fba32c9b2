// WebAssembly SIMD matmul kernels, specialized to literal dims; the `wasm-simd` kernel mode
// (kernels-wasm.ts, module-wasm.ts) embeds one module of them per model. See docs/wasm-kernels.md.
//
// Forms (all row-major f32; pointers are byte offsets into the imported memory):
//   nn: C[m,n] = A[m,k]·B[k,n]      tn: C[m,n] = A[k,m]ᵀ·B[k,n]      nt: C[m,n] = A[m,k]·B[n,k]ᵀ
// Row strides (lda/ldb/ldc) are literals, by default the full rows; other values let a caller
// compute a block of a larger product.
//
// The default kernel packs B: see "packed" at the end of this file. The `classic` kernel
// (before packing, kept for `npm run bench:gemm`) works as follows.
// nn and tn vectorize along n: an R×V tile of v128 accumulators (R rows × 4V columns) held in
// locals; per step of k, V vectors of B are loaded once and each A element is broadcast with
// v128.load32_splat. They differ only in A's strides (nn: row k, step 1; tn: row 1, step m), so both
// use one microkernel and every stride is a literal folded into memarg offsets.
// nt vectorizes along k: one v128 accumulator per output of an R×J tile, horizontal sums at the
// end; the k % 4 leftover elements use v128.load32_zero so they need no scalar path.
// Edges: tail rows run a 1-row tile, leftover column vectors a narrower tile, n % 4 columns scalar
// f32 code. The run-time dim (the batch: m for nn/nt, k for tn) is a trailing i32 parameter.
// Classic never uses FMA; the packed kernel's relaxed build uses f32x4.relaxed_madd.
//
// Schedule (chooseSchedule): the tiles, loop order and unrolling that measured best; the figures
// and why the others lost (register spills past 16 xmm registers, L2 overflow) are in
// docs/wasm-kernels.md, "Measured".
import { assertNever } from '../../ir/types.js';
import { encodeModule, Fn, ValType, type FuncDef, type MemoryLimits } from './encode.js';

export type GemmForm = 'nn' | 'nt' | 'tn';

/**
 * Activations the store can apply: `relu` is `z > 0 ? z : 0` exactly (NaN and −0 give +0), as the
 * TypeScript epilogue computes it, so either path gives the same bits.
 */
export type GemmActivation = 'relu';

/** Derivatives the store can apply from a saved value: relu' (`s > 0 ? d : 0`). */
export type GemmMask = 'relu';

/** A dim known when generating, or `'runtime'`: passed as the function's last argument. */
export type Dim = number | 'runtime';

export interface GemmRequest {
  /** Export name. */
  readonly name: string;
  readonly form: GemmForm;
  readonly m: Dim;
  readonly k: Dim;
  readonly n: number;
  /** C += result instead of C = result. */
  readonly accumulate?: boolean;
  /** Adds bias[j] to column j (a pointer parameter after b). */
  readonly bias?: boolean;
  /** Applied to every stored element after the bias (a fused linear + activation's epilogue). */
  readonly activation?: GemmActivation;
  /**
   * Plain SGD in the store: after storing g to C, the weights W (a pointer parameter `w` after b,
   * laid out like C) become W − lr·g, computed in doubles and rounded once, exactly as the
   * TypeScript epilogue's `Math.fround(W[i] − lr·g)`. Packed kernel only, without a bias.
   */
  readonly update?: { readonly lr: number };
  /**
   * A derivative applied in the store (a fused matmul + activation gradient): `relu` keeps each
   * element where the saved value (a pointer parameter `s` after b, laid out like C) is > 0 and
   * writes 0 elsewhere, exactly the TS epilogue's `s > 0 ? d : 0`. Packed kernel only.
   */
  readonly mask?: GemmMask;
  /**
   * Row strides in elements of the stored matrices, literals (defaults: the full rows, A: k for
   * nn/nt and m for tn, B: n for nn/tn and k for nt, C: n). With them a caller computes a block of a
   * larger product: a row slice (A and C offset, fewer rows) or a column slice (B, C and bias offset,
   * fewer columns, full strides). Every element is summed in the same order whatever the block, so
   * blocks agree bit for bit with the whole-matrix call.
   */
  readonly lda?: number;
  readonly ldb?: number;
  readonly ldc?: number;
  /**
   * `packed` (default): B is packed panel by panel into the `pack` scratch (nt transposed on the
   * way), and one microkernel serves every form. `classic`: the schedule before packing, kept so
   * `npm run bench:gemm` can compare.
   */
  readonly kernel?: GemmKernelKind;
  /** Loop order override: row blocks outside column blocks, or column panels outside (B stays in cache). */
  readonly order?: LoopOrder;
  /** nn/tn: steps of k unrolled per loop iteration (default NN_UNROLL). */
  readonly unroll?: number;
  /** Register tile override: rows × vectors (nn/tn, 4 columns each) or rows × columns (nt). */
  readonly tile?: Tile;
}

export type LoopOrder = 'rows' | 'cols';

export type GemmKernelKind = 'packed' | 'classic';

export interface GemmModuleOptions {
  /**
   * Multiply-adds as relaxed SIMD `f32x4.relaxed_madd` (fused where the platform fuses) instead of
   * `f32x4.mul` + `f32x4.add`. Engines without relaxed SIMD reject such a module: generate both and
   * let `WebAssembly.validate` choose (module-wasm.ts does).
   */
  readonly relaxed?: boolean;
  /** The memory import's maximum and shared flag (threads share the memory); see encodeModule. */
  readonly limits?: MemoryLimits;
}

export interface Tile {
  /** Rows of C per register tile. */
  readonly rows: number;
  /** v128 vectors of 4 columns (nn/tn) or columns (nt) per register tile. */
  readonly cols: number;
}

/**
 * The measured choice (docs/wasm-kernels.md): nn/tn 4 rows × 3 vectors, nt 2 × 4 outputs, column panels
 * outside row blocks (a k×12 panel of B stays in L1/L2 while every row of A passes over it). A
 * literal m below 4 only runs the one-row tail, so it gets the widest tile that does not spill.
 */
export function chooseSchedule(req: Pick<GemmRequest, 'form' | 'm'>): {
  readonly tile: Tile;
  readonly order: LoopOrder;
} {
  if (req.form === 'nt') return { tile: { rows: 2, cols: 4 }, order: 'cols' };
  if (req.m !== 'runtime' && req.m < 4) return { tile: { rows: 1, cols: 4 }, order: 'cols' };
  return { tile: { rows: 4, cols: 3 }, order: 'cols' };
}

/** The parameter list of a request's function, in order; `pack` (last) is the packing scratch. */
export function gemmParams(req: GemmRequest): string[] {
  return [
    'c',
    'a',
    'b',
    ...(req.bias ? ['bias'] : []),
    ...(req.update !== undefined ? ['w'] : []),
    ...(req.mask !== undefined ? ['s'] : []),
    ...(req.m === 'runtime' ? ['m'] : []),
    ...(req.k === 'runtime' ? ['k'] : []),
    ...(packs(req) ? ['pack'] : []),
  ];
}

/**
 * The packed tiles (measured, docs/wasm-kernels.md). V8 on x64 allocates 15 xmm registers (xmm15 is
 * its scratch) and TurboFan hoists a step's R broadcasts of A, so a tile holds R·V accumulators, V
 * vectors of B, R broadcasts and, in plain SIMD, mul's product: plain 2 × 4 = 8 + 4 + 2 + 1, relaxed
 * 3 × 3 = 9 + 3 + 3 (a fused multiply-add needs no temporary). One more spills an accumulator and
 * loses about half (plain 3 × 3, or 4 × 3 in either).
 */
export const PACKED_TILE: Tile = { rows: 2, cols: 4 };
export const PACKED_TILE_RELAXED: Tile = { rows: 3, cols: 3 };
/** The widest packed panel of either variant (columns): the packing scratch is sized for it. */
const PACK_WIDTH = 4 * Math.max(PACKED_TILE.cols, PACKED_TILE_RELAXED.cols);

/**
 * nn/tn with fewer literal rows than this read B in place: each panel would be used by fewer than
 * PACK_MIN_ROWS rows, so copying it costs more than it saves (W4's batch-1 forward).
 */
export const PACK_MIN_ROWS = 4;

function packedTileOf(req: GemmRequest, relaxed: boolean): Tile {
  if (req.tile !== undefined) return req.tile;
  // A few literal rows (W4's batch 1) read B in place. One row: 6 vectors (6 independent sums hide
  // the add or FMA latency; 1 × 4 ran 15–25% slower, 1 × 8 spilled); two or three rows: 2 × 4.
  if (!packs(req)) return req.m === 1 ? { rows: 1, cols: 6 } : { rows: 2, cols: 4 };
  return relaxed ? PACKED_TILE_RELAXED : PACKED_TILE;
}

/** Whether the request's function packs B (and so takes a `pack` pointer). */
function packs(req: GemmRequest): boolean {
  if (req.kernel === 'classic') return false;
  return req.form === 'nt' || req.m === 'runtime' || req.m >= PACK_MIN_ROWS;
}

/**
 * Floats of packing scratch the function needs at its `pack` pointer (4-byte aligned is enough;
 * 64 is better), as `fixed + perRow·k` where only tn has a run-time k. One panel of k × 4V floats:
 * panels are packed one at a time, so the scratch does not grow with n. Zero when it does not pack.
 */
export function packFloats(req: GemmRequest): { readonly fixed: number; readonly perRow: number } {
  if (!packs(req)) return { fixed: 0, perRow: 0 };
  const width = req.tile === undefined ? PACK_WIDTH : 4 * req.tile.cols;
  return req.k === 'runtime' ? { fixed: 0, perRow: width } : { fixed: req.k * width, perRow: 0 };
}

/** One module exporting a function per request (in order). Same requests and options → same bytes. */
export function gemmModule(requests: readonly GemmRequest[], options: GemmModuleOptions = {}): Uint8Array {
  const names = new Set<string>();
  // A deep chain repeats a few shapes thousands of times: one body per distinct request, exported
  // under every name (a 2,000-node chain went from 3,000 functions and 6 MB to a handful).
  const groups = new Map<string, { req: GemmRequest; aliases: string[] }>();
  for (const req of requests) {
    if (names.has(req.name)) throw new Error(`wasm gemm: duplicate export name '${req.name}'`);
    names.add(req.name);
    const key = requestKey(req);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { req, aliases: [] });
    else group.aliases.push(req.name);
  }
  const funcs: FuncDef[] = [...groups.values()].map(({ req, aliases }) => ({
    name: req.name,
    fn: gemmFunction(req, options.relaxed ?? false),
    aliases,
  }));
  return encodeModule(funcs, 1, options.limits);
}

/** Everything but the name, in a fixed key order: requests with equal keys compile to equal bodies. */
function requestKey(req: GemmRequest): string {
  const { name: _name, ...rest } = req;
  return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** A loop trip count: a literal, or an i32 local holding it. */
type Count = { readonly literal: number } | { readonly local: number };

/** Per-function state: parameter indices, strides in bytes, and pools of reusable locals. */
interface Ctx {
  readonly f: Fn;
  readonly req: GemmRequest;
  readonly c: number;
  readonly a: number;
  readonly b: number;
  readonly bias: number | undefined;
  /** SGD in the store: W's distance from C in bytes (a local), and lr as an f64x2 (a local). */
  readonly update: { readonly wDelta: number; readonly lr: number; readonly rate: number } | undefined;
  /** The derivative mask: the saved value's distance from C in bytes (a local). */
  readonly mask: { readonly sDelta: number } | undefined;
  readonly m: Count;
  readonly k: Count;
  readonly n: number;
  /** Row strides in bytes of the stored A, B and C. */
  readonly lda: number;
  readonly ldb: number;
  readonly ldc: number;
  /** The packing scratch parameter, if the function packs. */
  readonly pack: number | undefined;
  /** Multiply-adds as f32x4.relaxed_madd. */
  readonly fma: boolean;
  readonly pool: Record<ValType, number[]>;
  readonly taken: Record<ValType, number>;
}

function checkDim(what: string, d: Dim): void {
  if (d !== 'runtime' && !(Number.isInteger(d) && d >= 1))
    throw new Error(`wasm gemm: ${what} must be a positive integer or 'runtime', got ${d}`);
}

function validate(req: GemmRequest): void {
  checkDim('m', req.m);
  checkDim('k', req.k);
  checkDim('n', req.n);
  // Strides must be literals: the run-time dim may only be one no stride depends on.
  const allowed = req.form === 'tn' ? 'k' : 'm';
  const other = allowed === 'k' ? 'm' : 'k';
  if (req[other] === 'runtime')
    throw new Error(`wasm gemm '${req.name}': form ${req.form} supports a run-time ${allowed}, not ${other}`);
  const positive = (x: number): boolean => Number.isInteger(x) && x >= 1;
  if (req.tile !== undefined && !(positive(req.tile.rows) && positive(req.tile.cols)))
    throw new Error(`wasm gemm '${req.name}': bad tile`);
  if (req.unroll !== undefined && !positive(req.unroll)) throw new Error(`wasm gemm '${req.name}': bad unroll`);
  if (req.update !== undefined && (req.bias === true || req.kernel === 'classic' || !Number.isFinite(req.update.lr)))
    throw new Error(`wasm gemm '${req.name}': an SGD store needs the packed kernel, no bias and a finite lr`);
  if (req.mask !== undefined && (req.bias === true || req.update !== undefined || req.kernel === 'classic'))
    throw new Error(`wasm gemm '${req.name}': a derivative store needs the packed kernel, no bias and no SGD store`);
  const rows = strideDefaults(req);
  for (const key of ['lda', 'ldb', 'ldc'] as const) {
    const ld = req[key];
    if (ld !== undefined && !(Number.isInteger(ld) && ld >= rows[key]))
      throw new Error(
        `wasm gemm '${req.name}': ${key} must be an integer ≥ ${rows[key]} (the row length of the stored matrix), got ${ld}`,
      );
  }
}

/** The row lengths of the stored A, B and C: the default strides and their lower bounds. */
function strideDefaults(req: GemmRequest): { lda: number; ldb: number; ldc: number } {
  // validate() has ensured that the dims strides depend on are literals.
  const lit = (d: Dim): number => (d === 'runtime' ? 0 : d);
  return {
    lda: req.form === 'tn' ? lit(req.m) : lit(req.k),
    ldb: req.form === 'nt' ? lit(req.k) : req.n,
    ldc: req.n,
  };
}

function gemmFunction(req: GemmRequest, fma: boolean): Fn {
  validate(req);
  const params = gemmParams(req);
  const f = new Fn(params.map(() => ValType.i32));
  const idx = (p: string): number => params.indexOf(p);
  const ctx: Ctx = {
    f,
    req,
    c: idx('c'),
    a: idx('a'),
    b: idx('b'),
    bias: req.bias ? idx('bias') : undefined,
    update: req.update === undefined ? undefined : sgdLocals(f, idx('w'), idx('c'), req.update.lr),
    mask: req.mask === undefined ? undefined : { sDelta: delta(f, idx('s'), idx('c')) },
    m: req.m === 'runtime' ? { local: idx('m') } : { literal: req.m },
    k: req.k === 'runtime' ? { local: idx('k') } : { literal: req.k },
    n: req.n,
    lda: 4 * (req.lda ?? strideDefaults(req).lda),
    ldb: 4 * (req.ldb ?? strideDefaults(req).ldb),
    ldc: 4 * (req.ldc ?? strideDefaults(req).ldc),
    pack: packs(req) ? idx('pack') : undefined,
    fma,
    pool: { [ValType.i32]: [], [ValType.f32]: [], [ValType.v128]: [] },
    taken: { [ValType.i32]: 0, [ValType.f32]: 0, [ValType.v128]: 0 },
  };
  if (req.kernel !== 'classic') {
    packedGemm(ctx, packedTileOf(req, fma));
    return f;
  }
  const schedule = chooseSchedule(req);
  const tile = req.tile ?? schedule.tile;
  const classes = req.form === 'nt' ? ntClasses(ctx, tile.cols) : nnClasses(ctx, tile.cols);
  tiles(ctx, tile.rows, classes, req.order ?? schedule.order);
  return f;
}

/** A local holding `to − from` (bytes), set at the function's start. */
function delta(f: Fn, to: number, from: number): number {
  const d = f.local(ValType.i32);
  f.get(to).get(from).i32Sub().set(d);
  return d;
}

/** The SGD store's locals, set at the function's start: W − C in bytes, and lr in both f64x2 lanes. */
function sgdLocals(f: Fn, w: number, c: number, rate: number): { wDelta: number; lr: number; rate: number } {
  const wDelta = f.local(ValType.i32);
  const lr = f.local(ValType.v128);
  f.get(w).get(c).i32Sub().set(wDelta);
  f.f64Const(rate).f64x2Splat().set(lr);
  return { wDelta, lr, rate };
}

/** Takes a local of `type` from the pool (declaring one if none is free); `release` returns it. */
function take(ctx: Ctx, type: ValType): number {
  const pool = ctx.pool[type];
  const i = ctx.taken[type]++;
  while (pool.length <= i) pool.push(ctx.f.local(type));
  return pool[i]!;
}
function scoped<T>(ctx: Ctx, body: () => T): T {
  const saved = { ...ctx.taken };
  const result = body();
  Object.assign(ctx.taken, saved);
  return result;
}

/** local += delta (bytes). */
function bump(f: Fn, local: number, delta: number): void {
  if (delta !== 0) f.get(local).i32Const(delta).i32Add().set(local);
}

/** Runs `body` count times (no loop at all for a literal 0 or 1). Uses one counter local. */
function repeat(ctx: Ctx, count: Count, body: () => void): void {
  const f = ctx.f;
  if ('literal' in count) {
    if (count.literal === 0) return;
    if (count.literal === 1) return body();
  }
  scoped(ctx, () => {
    const ctr = take(ctx, ValType.i32);
    const loop = (): void => {
      f.loop(() => {
        body();
        f.get(ctr).i32Const(1).i32Sub().tee(ctr).brIf(0);
      });
    };
    if ('literal' in count) {
      f.i32Const(count.literal).set(ctr);
      loop();
    } else {
      f.block(() => {
        f.get(count.local).tee(ctr).i32Eqz().brIf(0);
        loop();
      });
    }
  });
}

/** count / d and count % d, as literals or fresh locals. */
function divMod(ctx: Ctx, count: Count, d: number): [Count, Count] {
  if ('literal' in count) return [{ literal: Math.floor(count.literal / d) }, { literal: count.literal % d }];
  if (d === 1) return [count, { literal: 0 }];
  const q = take(ctx, ValType.i32);
  const r = take(ctx, ValType.i32);
  ctx.f.get(count.local).i32Const(d).i32DivU().set(q);
  ctx.f.get(count.local).i32Const(d).i32RemU().set(r);
  return [{ local: q }, { local: r }];
}

/** Pointers at a tile's top-left corner: A's row (of op(A)), B's column (nn/tn) or row (nt), C, bias. */
interface At {
  readonly aRow: number;
  readonly b: number;
  readonly c: number;
  readonly bias: number | undefined;
}

/** `count` blocks of `width` columns side by side, each computed by `tile`; B advances bStep bytes. */
interface ColumnClass {
  readonly width: number;
  readonly count: number;
  readonly bStep: number;
  readonly tile: (rows: number, at: At) => void;
}

/** Walks op(A)/C rows: blocks of R rows, then single tail rows. */
function rowsLoop(ctx: Ctx, R: number, body: (rows: number, aRow: number, cRow: number) => void): void {
  const f = ctx.f;
  const aRowStep = aStrides(ctx).row;
  scoped(ctx, () => {
    const aRow = take(ctx, ValType.i32);
    const cRow = take(ctx, ValType.i32);
    f.get(ctx.a).set(aRow);
    f.get(ctx.c).set(cRow);
    const [blocks, tail] = divMod(ctx, ctx.m, R);
    const run = (rows: number, count: Count): void =>
      repeat(ctx, count, () => {
        body(rows, aRow, cRow);
        bump(f, aRow, rows * aRowStep);
        bump(f, cRow, rows * ctx.ldc);
      });
    run(R, blocks);
    if (R > 1) run(1, tail);
  });
}

/** Walks column blocks class by class: B's pointer, the byte offset into a C row, bias's pointer. */
function columnsLoop(
  ctx: Ctx,
  classes: readonly ColumnClass[],
  body: (cls: ColumnClass, b: number, j: number, bias: number | undefined) => void,
): void {
  const f = ctx.f;
  scoped(ctx, () => {
    const b = take(ctx, ValType.i32);
    const j = take(ctx, ValType.i32);
    const bias = ctx.bias === undefined ? undefined : take(ctx, ValType.i32);
    f.get(ctx.b).set(b);
    f.i32Const(0).set(j);
    if (bias !== undefined && ctx.bias !== undefined) f.get(ctx.bias).set(bias);
    for (const cls of classes) {
      repeat(ctx, { literal: cls.count }, () => {
        body(cls, b, j, bias);
        bump(f, b, cls.bStep);
        bump(f, j, 4 * cls.width);
        if (bias !== undefined) bump(f, bias, 4 * cls.width);
      });
    }
  });
}

/** The whole product: tiles over rows × column classes in the requested loop order. */
function tiles(ctx: Ctx, R: number, classes: readonly ColumnClass[], order: LoopOrder): void {
  const f = ctx.f;
  const invoke = (
    cls: ColumnClass,
    rows: number,
    aRow: number,
    cRow: number,
    b: number,
    j: number,
    bias: number | undefined,
  ): void =>
    scoped(ctx, () => {
      const c = take(ctx, ValType.i32);
      f.get(cRow).get(j).i32Add().set(c);
      cls.tile(rows, { aRow, b, c, bias });
    });
  if (order === 'rows')
    rowsLoop(ctx, R, (rows, aRow, cRow) =>
      columnsLoop(ctx, classes, (cls, b, j, bias) => invoke(cls, rows, aRow, cRow, b, j, bias)),
    );
  else
    columnsLoop(ctx, classes, (cls, b, j, bias) =>
      rowsLoop(ctx, R, (rows, aRow, cRow) => invoke(cls, rows, aRow, cRow, b, j, bias)),
    );
}

// ---- nn / tn: vectorized along n ----

function nnClasses(ctx: Ctx, V: number): ColumnClass[] {
  const n = ctx.n;
  const vecTail = Math.floor((n % (4 * V)) / 4);
  const scalarTail = n % 4;
  return [
    { width: 4 * V, count: Math.floor(n / (4 * V)), bStep: 16 * V, tile: (rows, at) => nnTile(ctx, rows, V, at) },
    {
      width: 4 * vecTail,
      count: vecTail > 0 ? 1 : 0,
      bStep: 16 * vecTail,
      tile: (rows, at) => nnTile(ctx, rows, vecTail, at),
    },
    {
      width: scalarTail,
      count: scalarTail > 0 ? 1 : 0,
      bStep: 4 * scalarTail,
      tile: (rows, at) => nnScalarTile(ctx, rows, scalarTail, at),
    },
  ];
}

/** Byte strides of A: between rows of op(A) and per step of k (tn reads A down its columns; nn and nt along rows). */
function aStrides(ctx: Ctx): { row: number; step: number } {
  return ctx.req.form === 'tn' ? { row: 4, step: ctx.lda } : { row: ctx.lda, step: 4 };
}

/** Steps over k with two walking pointers (A, B); `step(u)` emits one step at unrolled offset u. */
function kLoop(
  ctx: Ctx,
  at: At,
  aStep: number,
  bStep: number,
  unroll: number,
  step: (pa: number, pb: number, u: number) => void,
): void {
  const f = ctx.f;
  scoped(ctx, () => {
    const pa = take(ctx, ValType.i32);
    const pb = take(ctx, ValType.i32);
    f.get(at.aRow).set(pa);
    f.get(at.b).set(pb);
    const [blocks, tail] = divMod(ctx, ctx.k, unroll);
    const run = (u: number, count: Count): void =>
      repeat(ctx, count, () => {
        for (let i = 0; i < u; i++) step(pa, pb, i);
        bump(f, pa, u * aStep);
        bump(f, pb, u * bStep);
      });
    run(unroll, blocks);
    if (unroll > 1) run(1, tail);
  });
}

/** Unrolling k by 2 measured no faster than 1 (within noise), by 4 slower (register spills). */
const NN_UNROLL = 1;

function nnTile(ctx: Ctx, rows: number, V: number, at: At): void {
  const f = ctx.f;
  const { row, step } = aStrides(ctx);
  scoped(ctx, () => {
    const acc: number[][] = [];
    for (let r = 0; r < rows; r++) acc.push(Array.from({ length: V }, () => take(ctx, ValType.v128)));
    const bv = Array.from({ length: V }, () => take(ctx, ValType.v128));
    const av = take(ctx, ValType.v128);
    for (const a of acc.flat()) f.v128Zero().set(a);
    kLoop(ctx, at, step, ctx.ldb, ctx.req.unroll ?? NN_UNROLL, (pa, pb, u) => {
      for (let v = 0; v < V; v++)
        f.get(pb)
          .v128Load(u * ctx.ldb + 16 * v)
          .set(bv[v]!);
      for (let r = 0; r < rows; r++) {
        f.get(pa)
          .v128Load32Splat(u * step + r * row)
          .set(av);
        for (let v = 0; v < V; v++) f.get(acc[r]![v]!).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(acc[r]![v]!);
      }
    });
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < V; v++) {
        const off = r * ctx.ldc + 16 * v;
        f.get(at.c).get(acc[r]![v]!);
        if (ctx.req.accumulate) f.get(at.c).v128Load(off).f32x4Add();
        if (at.bias !== undefined)
          f.get(at.bias)
            .v128Load(16 * v)
            .f32x4Add();
        activateVector(ctx);
        f.v128Store(off);
      }
    }
  });
}

function nnScalarTile(ctx: Ctx, rows: number, width: number, at: At): void {
  const f = ctx.f;
  const { row, step } = aStrides(ctx);
  scoped(ctx, () => {
    const acc: number[][] = [];
    for (let r = 0; r < rows; r++) acc.push(Array.from({ length: width }, () => take(ctx, ValType.f32)));
    const bs = Array.from({ length: width }, () => take(ctx, ValType.f32));
    const as = take(ctx, ValType.f32);
    for (const a of acc.flat()) f.f32Const(0).set(a);
    kLoop(ctx, at, step, ctx.ldb, 1, (pa, pb) => {
      for (let j = 0; j < width; j++)
        f.get(pb)
          .f32Load(4 * j)
          .set(bs[j]!);
      for (let r = 0; r < rows; r++) {
        f.get(pa)
          .f32Load(r * row)
          .set(as);
        for (let j = 0; j < width; j++) f.get(acc[r]![j]!).get(as).get(bs[j]!).f32Mul().f32Add().set(acc[r]![j]!);
      }
    });
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < width; j++) storeScalar(ctx, at, acc[r]![j]!, r * ctx.ldc + 4 * j, 4 * j);
  });
}

/** C[off] = act(acc (+ C[off]) (+ bias[biasOff])); with an SGD store, then W[off] −= lr·C[off]. */
function storeScalar(ctx: Ctx, at: At, acc: number, off: number, biasOff: number): void {
  const f = ctx.f;
  f.get(at.c).get(acc);
  if (ctx.req.accumulate) f.get(at.c).f32Load(off).f32Add();
  if (at.bias !== undefined) f.get(at.bias).f32Load(biasOff).f32Add();
  activateScalar(ctx);
  maskScalar(ctx, at.c, off);
  const update = ctx.update;
  if (update === undefined) {
    f.f32Store(off);
    return;
  }
  scoped(ctx, () => {
    const g = take(ctx, ValType.f32);
    f.tee(g).f32Store(off);
    // W = demote(promote(W) − lr·promote(g)): the TS epilogue's double arithmetic, rounded once.
    f.get(at.c).get(update.wDelta).i32Add();
    f.get(at.c).get(update.wDelta).i32Add().f32Load(off).f64PromoteF32();
    f.f64Const(update.rate).get(g).f64PromoteF32().f64Mul().f64Sub().f32DemoteF64().f32Store(off);
  });
}

/** relu' over the v128 on top of the stack: `d & (s > 0)`, s loaded from c + sDelta + off. */
function maskVector(ctx: Ctx, c: number, off: number): void {
  const mask = ctx.mask;
  if (mask === undefined) return;
  ctx.f.get(c).get(mask.sDelta).i32Add().v128Load(off).v128Zero().f32x4Gt().v128And();
}

/** relu' over the f32 on top of the stack: `s > 0 ? d : 0`. */
function maskScalar(ctx: Ctx, c: number, off: number): void {
  const mask = ctx.mask;
  if (mask === undefined) return;
  const f = ctx.f;
  f.f32Const(0);
  f.get(c).get(mask.sDelta).i32Add().f32Load(off).f32Const(0).f32Gt().select();
}

/** Bytes 8–15 of a vector moved to 0–7 (lanes 2 and 3 of an f32x4 into 0 and 1). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** Lanes 0–1 of the first vector, then lanes 0–1 of the second. */
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * W[c + off …] −= lr·g for the four gradients in `g` (a v128 local), lane by lane in doubles and
 * rounded once: the two low lanes and the two high lanes each as an f64x2, then joined.
 */
function sgdVector(ctx: Ctx, c: number, off: number, g: number): void {
  const f = ctx.f;
  const update = ctx.update;
  if (update === undefined) return;
  scoped(ctx, () => {
    const w = take(ctx, ValType.v128);
    const half = (pick: boolean): void => {
      f.get(w);
      if (pick) f.get(w).i8x16Shuffle(HIGH_HALF);
      f.f64x2PromoteLowF32x4();
      f.get(update.lr).get(g);
      if (pick) f.get(g).i8x16Shuffle(HIGH_HALF);
      f.f64x2PromoteLowF32x4().f64x2Mul().f64x2Sub().f32x4DemoteF64x2Zero();
    };
    f.get(c).get(update.wDelta).i32Add();
    f.get(c).get(update.wDelta).i32Add().v128Load(off).set(w);
    half(false);
    half(true);
    f.i8x16Shuffle(LOW_HALVES).v128Store(off);
  });
}

/** The request's activation over the v128 on top of the stack. */
function activateVector(ctx: Ctx): void {
  const activation = ctx.req.activation;
  if (activation === undefined) return;
  switch (activation) {
    case 'relu':
      // pmax(0, z) = 0 < z ? z : 0.
      scoped(ctx, () => {
        const z = take(ctx, ValType.v128);
        ctx.f.set(z).v128Zero().get(z).f32x4Pmax();
      });
      return;
    default:
      assertNever(activation);
  }
}

/** The request's activation over the f32 on top of the stack. */
function activateScalar(ctx: Ctx): void {
  const activation = ctx.req.activation;
  if (activation === undefined) return;
  switch (activation) {
    case 'relu':
      // select(z, 0, z > 0).
      scoped(ctx, () => {
        const z = take(ctx, ValType.f32);
        ctx.f.tee(z).f32Const(0).get(z).f32Const(0).f32Gt().select();
      });
      return;
    default:
      assertNever(activation);
  }
}

// ---- nt: vectorized along k ----

function ntClasses(ctx: Ctx, J: number): ColumnClass[] {
  const n = ctx.n;
  const width = Math.min(J, n);
  const rem = n % width;
  return [
    { width, count: Math.floor(n / width), bStep: ctx.ldb * width, tile: (rows, at) => ntTile(ctx, rows, width, at) },
    { width: rem, count: rem > 0 ? 1 : 0, bStep: ctx.ldb * rem, tile: (rows, at) => ntTile(ctx, rows, rem, at) },
  ];
}

function ntTile(ctx: Ctx, rows: number, J: number, at: At): void {
  const f = ctx.f;
  const k = ctx.req.k as number;
  scoped(ctx, () => {
    const acc: number[][] = [];
    for (let r = 0; r < rows; r++) acc.push(Array.from({ length: J }, () => take(ctx, ValType.v128)));
    const av = Array.from({ length: rows }, () => take(ctx, ValType.v128));
    const bv = Array.from({ length: J }, () => take(ctx, ValType.v128));
    for (const a of acc.flat()) f.v128Zero().set(a);
    const fma = (): void => {
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < J; j++) f.get(acc[r]![j]!).get(av[r]!).get(bv[j]!).f32x4Mul().f32x4Add().set(acc[r]![j]!);
    };
    scoped(ctx, () => {
      const pa = take(ctx, ValType.i32);
      const pb = take(ctx, ValType.i32);
      f.get(at.aRow).set(pa);
      f.get(at.b).set(pb);
      repeat(ctx, { literal: Math.floor(k / 4) }, () => {
        for (let r = 0; r < rows; r++)
          f.get(pa)
            .v128Load(r * ctx.lda)
            .set(av[r]!);
        for (let j = 0; j < J; j++)
          f.get(pb)
            .v128Load(j * ctx.ldb)
            .set(bv[j]!);
        fma();
        bump(f, pa, 16);
        bump(f, pb, 16);
      });
      // k % 4 leftovers: one element in lane 0, zeros elsewhere, into the same accumulators.
      for (let t = 0; t < k % 4; t++) {
        for (let r = 0; r < rows; r++)
          f.get(pa)
            .v128Load32Zero(r * ctx.lda + 4 * t)
            .set(av[r]!);
        for (let j = 0; j < J; j++)
          f.get(pb)
            .v128Load32Zero(j * ctx.ldb + 4 * t)
            .set(bv[j]!);
        fma();
      }
    });
    scoped(ctx, () => {
      const sum = take(ctx, ValType.f32);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < J; j++) {
          const a = acc[r]![j]!;
          f.get(a).f32x4ExtractLane(0).get(a).f32x4ExtractLane(1).f32Add();
          f.get(a).f32x4ExtractLane(2).get(a).f32x4ExtractLane(3).f32Add().f32Add().set(sum);
          storeScalar(ctx, at, sum, r * ctx.ldc + 4 * j, 4 * j);
        }
      }
    });
  });
}

// ---- packed: one microkernel for every form ----
//
// Column panels of 4V columns, outermost. Each panel of B is copied into the `pack` scratch as k
// rows of V contiguous vectors (nn/tn: a row copy; nt: a transpose), the last panel zero-padded to
// whole vectors; then every block of R rows of op(A) runs the R×V microkernel over it: per step
// of k, V vector loads from the panel (sequential, L1-resident) and R broadcasts of A. So nt is
// the same microkernel as nn (no horizontal sums, no k % 4 leftovers), n % 4 columns cost one padded
// vector instead of scalar code, and B is read from memory once per call instead of once per row
// block with a stride of a whole row. Every element of C is one running sum over k in order,
// whatever tile or block computes it, so blocks of a product (lda/ldb/ldc) agree bit for bit.

/** acc = a·b + acc (relaxed_madd) or acc + a·b (mul, add); pushA/pushB leave one v128 each. */
function mac(ctx: Ctx, acc: number, pushA: () => void, pushB: () => void): void {
  const f = ctx.f;
  if (ctx.fma) {
    pushA();
    pushB();
    f.get(acc).f32x4RelaxedMadd().set(acc);
  } else {
    f.get(acc);
    pushA();
    pushB();
    f.f32x4Mul().f32x4Add().set(acc);
  }
}

/** Where a packed tile reads and writes: op(A)'s row, B's panel and its row stride, C's row and column. */
interface PanelAt {
  readonly aRow: number;
  readonly b: number;
  /** Bytes between consecutive k rows of the panel (16V packed, ldb in place). */
  readonly bStride: number;
  /** B read in place (the last vector of a panel may then be partial in memory too). */
  readonly inPlace: boolean;
  readonly cRow: number;
  /** Byte offset of the panel's first column (into C's row and bias). */
  readonly j: number;
}

/** The tile of a run-time batch below PACK_MIN_ROWS, which reads B in place (as a literal m = 1 does). */
const IN_PLACE_TILE: Tile = { rows: 1, cols: 6 };

function packedGemm(ctx: Ctx, tile: Tile): void {
  const f = ctx.f;
  const n = ctx.n;
  const nt = ctx.req.form === 'nt';
  /** Every panel, packed into `pack` or read in place. */
  const body = (t: Tile, packed: boolean): void =>
    scoped(ctx, () => {
      const W = 4 * t.cols;
      const j = take(ctx, ValType.i32);
      const src = take(ctx, ValType.i32);
      f.i32Const(0).set(j);
      f.get(ctx.b).set(src);
      const panel = (width: number): void => {
        const vecs = Math.ceil(width / 4);
        if (packed) packPanel(ctx, src, width, vecs);
        const b = packed ? (ctx.pack as number) : src;
        const bStride = packed ? 16 * vecs : ctx.ldb;
        packedRows(ctx, t.rows, (rows, aRow, cRow) =>
          packedTile(ctx, rows, vecs, width, { aRow, b, bStride, inPlace: !packed, cRow, j }),
        );
      };
      repeat(ctx, { literal: Math.floor(n / W) }, () => {
        panel(W);
        bump(f, j, 4 * W);
        bump(f, src, nt ? W * ctx.ldb : 4 * W);
      });
      if (n % W > 0) panel(n % W);
    });
  if (!('local' in ctx.m)) return body(tile, ctx.pack !== undefined);
  const m = ctx.m.local;
  f.block(() => {
    // A run-time batch of 0 rows writes nothing (and packs nothing).
    f.get(m).i32Eqz().brIf(0);
    if (nt) return body(tile, true);
    // nn/tn: a batch of fewer than PACK_MIN_ROWS rows reads B in place, the same sums in the same order.
    f.block(() => {
      f.get(m).i32Const(PACK_MIN_ROWS).i32LtU().brIf(0);
      body(tile, true);
      f.br(1);
    });
    body(ctx.req.tile ?? IN_PLACE_TILE, false);
  });
}

/** Copies the panel at `src` (width columns of B) into `pack` as k rows of `vecs` vectors, zero-padded. */
function packPanel(ctx: Ctx, src: number, width: number, vecs: number): void {
  const f = ctx.f;
  const pack = ctx.pack as number;
  const nt = ctx.req.form === 'nt';
  scoped(ctx, () => {
    const s = take(ctx, ValType.i32);
    const d = take(ctx, ValType.i32);
    f.get(src).set(s);
    f.get(pack).set(d);
    const oneRow = (): void => {
      for (let v = 0; v < vecs; v++) {
        const lanes = Math.min(4, width - 4 * v);
        f.get(d);
        if (nt) gatherColumn(ctx, s, 4 * v, lanes);
        else rowVector(ctx, s, 16 * v, lanes);
        f.v128Store(16 * v);
      }
      bump(f, s, nt ? 4 : ctx.ldb);
      bump(f, d, 16 * vecs);
    };
    if (!nt) return repeat(ctx, ctx.k, oneRow);
    // nt: 4 steps of k at a time as 4×4 transposes (vector loads along B's rows, shuffles), the
    // k % 4 leftover steps lane by lane. nt's k is always a literal.
    const k = ctx.req.k as number;
    repeat(ctx, { literal: Math.floor(k / 4) }, () => {
      for (let v = 0; v < vecs; v++) transpose4(ctx, s, d, v, Math.min(4, width - 4 * v), vecs);
      bump(f, s, 16);
      bump(f, d, 64 * vecs);
    });
    repeat(ctx, { literal: k % 4 }, oneRow);
  });
}

/** Shuffle bytes taking f32 lanes (0–3 of the first vector, 4–7 of the second). */
const lanesOf = (lanes: readonly number[]): number[] => lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);

/**
 * nt packing: rows 4v … 4v+3 of the panel (B's rows, `lanes` of them inside B, the rest zero), 4
 * floats each from `s`, transposed into vector v of 4 consecutive packed rows at `d`.
 */
function transpose4(ctx: Ctx, s: number, d: number, v: number, lanes: number, vecs: number): void {
  const f = ctx.f;
  scoped(ctx, () => {
    const r = Array.from({ length: 4 }, () => take(ctx, ValType.v128));
    const t = Array.from({ length: 4 }, () => take(ctx, ValType.v128));
    for (let i = 0; i < 4; i++) {
      if (i < lanes) f.get(s).v128Load((4 * v + i) * ctx.ldb);
      else f.v128Zero();
      f.set(r[i]!);
    }
    const low = lanesOf([0, 4, 1, 5]);
    const high = lanesOf([2, 6, 3, 7]);
    f.get(r[0]!).get(r[1]!).i8x16Shuffle(low).set(t[0]!); // a0 b0 a1 b1
    f.get(r[0]!).get(r[1]!).i8x16Shuffle(high).set(t[1]!); // a2 b2 a3 b3
    f.get(r[2]!).get(r[3]!).i8x16Shuffle(low).set(t[2]!); // c0 d0 c1 d1
    f.get(r[2]!).get(r[3]!).i8x16Shuffle(high).set(t[3]!); // c2 d2 c3 d3
    const first = lanesOf([0, 1, 4, 5]);
    const second = lanesOf([2, 3, 6, 7]);
    const out: [number, number, number[]][] = [
      [t[0]!, t[2]!, first], // step 0: a0 b0 c0 d0
      [t[0]!, t[2]!, second], // step 1
      [t[1]!, t[3]!, first], // step 2
      [t[1]!, t[3]!, second], // step 3
    ];
    out.forEach(([x, y, pick], step) => {
      f.get(d)
        .get(x)
        .get(y)
        .i8x16Shuffle(pick)
        .v128Store(16 * vecs * step + 16 * v);
    });
  });
}

/** Pushes `lanes` consecutive floats at ptr + off as a vector, the other lanes zero. */
function rowVector(ctx: Ctx, ptr: number, off: number, lanes: number): void {
  const f = ctx.f;
  if (lanes === 4) f.get(ptr).v128Load(off);
  else if (lanes === 1) f.get(ptr).v128Load32Zero(off);
  else {
    f.get(ptr).v128Load64Zero(off);
    if (lanes === 3)
      f.get(ptr)
        .f32Load(off + 8)
        .f32x4ReplaceLane(2);
  }
}

/** nt: pushes B[j0 + l, p] for l < lanes (rows `first` + l of B at ptr, a column of the panel) as a vector. */
function gatherColumn(ctx: Ctx, ptr: number, first: number, lanes: number): void {
  const f = ctx.f;
  f.get(ptr).v128Load32Zero(first * ctx.ldb);
  for (let l = 1; l < lanes; l++)
    f.get(ptr)
      .f32Load((first + l) * ctx.ldb)
      .f32x4ReplaceLane(l as 1 | 2 | 3);
}

/** Walks op(A)/C rows in blocks of R, then the m % R leftover rows as power-of-two blocks (2 then 1 for R = 4). */
function packedRows(ctx: Ctx, R: number, body: (rows: number, aRow: number, cRow: number) => void): void {
  const f = ctx.f;
  const aRowStep = aStrides(ctx).row;
  scoped(ctx, () => {
    const aRow = take(ctx, ValType.i32);
    const cRow = take(ctx, ValType.i32);
    f.get(ctx.a).set(aRow);
    f.get(ctx.c).set(cRow);
    const [blocks, tail] = divMod(ctx, ctx.m, R);
    const block = (rows: number): void => {
      body(rows, aRow, cRow);
      bump(f, aRow, rows * aRowStep);
      bump(f, cRow, rows * ctx.ldc);
    };
    repeat(ctx, blocks, () => block(R));
    for (let piece = 2 ** Math.floor(Math.log2(Math.max(1, R - 1))); piece >= 1 && piece < R; piece /= 2) {
      if ('literal' in tail) {
        if ((tail.literal & piece) !== 0) block(piece);
      } else {
        const rem = tail.local;
        f.block(() => {
          f.get(rem).i32Const(piece).i32And().i32Eqz().brIf(0);
          block(piece);
        });
      }
    }
  });
}

/** One rows × vecs tile of C over a panel `width` columns wide (the last vector may be partial). */
function packedTile(ctx: Ctx, rows: number, vecs: number, width: number, at: PanelAt): void {
  const f = ctx.f;
  const { row, step } = aStrides(ctx);
  const inPlace = at.inPlace;
  scoped(ctx, () => {
    const acc: number[][] = [];
    for (let r = 0; r < rows; r++) acc.push(Array.from({ length: vecs }, () => take(ctx, ValType.v128)));
    const bv = Array.from({ length: vecs }, () => take(ctx, ValType.v128));
    const av = take(ctx, ValType.v128);
    for (const a of acc.flat()) f.v128Zero().set(a);
    const unroll = ctx.req.unroll ?? 1;
    kLoop(ctx, { aRow: at.aRow, b: at.b, c: 0, bias: undefined }, step, at.bStride, unroll, (pa, pb, u) => {
      for (let v = 0; v < vecs; v++) {
        if (inPlace) rowVector(ctx, pb, u * at.bStride + 16 * v, Math.min(4, width - 4 * v));
        else f.get(pb).v128Load(u * at.bStride + 16 * v);
        f.set(bv[v]!);
      }
      for (let r = 0; r < rows; r++) {
        f.get(pa)
          .v128Load32Splat(u * step + r * row)
          .set(av);
        for (let v = 0; v < vecs; v++)
          mac(
            ctx,
            acc[r]![v]!,
            () => f.get(av),
            () => f.get(bv[v]!),
          );
      }
    });
    scoped(ctx, () => {
      const c = take(ctx, ValType.i32);
      const bias = ctx.bias === undefined ? undefined : take(ctx, ValType.i32);
      f.get(at.cRow).get(at.j).i32Add().set(c);
      if (bias !== undefined && ctx.bias !== undefined) f.get(ctx.bias).get(at.j).i32Add().set(bias);
      const sum = take(ctx, ValType.f32);
      const g = take(ctx, ValType.v128);
      for (let r = 0; r < rows; r++) {
        for (let v = 0; v < vecs; v++) {
          const off = r * ctx.ldc + 16 * v;
          const lanes = Math.min(4, width - 4 * v);
          if (lanes === 4) {
            f.get(c).get(acc[r]![v]!);
            if (ctx.req.accumulate) f.get(c).v128Load(off).f32x4Add();
            if (bias !== undefined)
              f.get(bias)
                .v128Load(16 * v)
                .f32x4Add();
            activateVector(ctx);
            maskVector(ctx, c, off);
            if (ctx.update === undefined) f.v128Store(off);
            else {
              f.tee(g).v128Store(off);
              sgdVector(ctx, c, off, g);
            }
          } else {
            // The partial vector: lane by lane, the same additions in the same order as a full one.
            for (let l = 0; l < lanes; l++) {
              f.get(acc[r]![v]!)
                .f32x4ExtractLane(l as 0 | 1 | 2 | 3)
                .set(sum);
              storeScalar(ctx, { aRow: 0, b: 0, c, bias }, sum, off + 4 * l, 16 * v + 4 * l);
            }
          }
        }
      }
    });
  });
}
