// The WebAssembly SIMD matmul generator against a float64 reference: every form (A·B, A·Bᵀ, Aᵀ·B),
// literal and run-time batch dims, odd shapes (1 and primes, so every edge tile runs), the
// benchmark shapes, bias and accumulate epilogues, tile overrides; plus the encoder's LEB128,
// validation, determinism, and that nothing outside C is written.
import v8 from 'node:v8';
import { describe, expect, test } from 'vitest';
import { encodeModule, Fn, sleb, uleb, ValType } from '../../../compiler/codegen/wasm/encode.js';
import {
  chooseSchedule,
  gemmModule,
  gemmParams,
  packFloats,
  type GemmForm,
  type GemmRequest,
} from '../../../compiler/codegen/wasm/gemm-simd.js';
import { instantiateKernels, wasm, type WasmKernel as Kernel, type WasmMemory } from '../../support/wasm-api.js';
import { randomArray } from './gemm-support.js';

// Node 20 has relaxed SIMD behind a flag; set here so the relaxed_madd build runs too. Vitest's
// forks pool runs each test file in its own process, so no other file sees the flag.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
/** Both builds of every module: plain SIMD, and multiply-adds as f32x4.relaxed_madd. */
const BUILDS = [false, true] as const;

/** Deterministic pseudo-random f32 values in [-1, 1) (the tests' seeded generator). */
function fill(out: Float32Array, seed: number): void {
  out.set(randomArray(out.length, seed, Float32Array));
}

interface Case {
  readonly form: GemmForm;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly bias: boolean;
  readonly accumulate: boolean;
}

/** Element (i, p) of op(A) and (p, j) of op(B) for a form. */
const aAt = (c: Case, a: Float32Array, i: number, p: number): number =>
  c.form === 'tn' ? a[p * c.m + i]! : a[i * c.k + p]!;
const bAt = (c: Case, b: Float32Array, p: number, j: number): number =>
  c.form === 'nt' ? b[j * c.k + p]! : b[p * c.n + j]!;

// Guard cells around every operand catch writes outside C; offsets are 4 mod 16 (never 16-aligned).
const GUARD = 9;
const SENTINEL = 12345.5;

/** Operands laid out in a wasm memory between guard cells. */
interface Operands<K extends string> {
  /** Byte pointer of each operand, as the kernels take them. */
  readonly ptr: Readonly<Record<K, number>>;
  view(key: K): Float32Array;
  /** The first cell outside every operand that is no longer the sentinel, or undefined. */
  wroteOutside(): number | undefined;
}

/**
 * Places operands of the given float `sizes` in `memory` (grown as needed), each between guard
 * cells, every cell set to SENTINEL; `filled` operands get seeded values in [-1, 1) (seed, seed + 1, …).
 */
function placeOperands<K extends string>(
  memory: WasmMemory,
  sizes: Readonly<Record<K, number>>,
  filled: readonly NoInfer<K>[],
  seed: number,
): Operands<K> {
  const keys = Object.keys(sizes) as K[];
  let next = 1;
  const at = {} as Record<K, number>;
  for (const key of keys) {
    at[key] = next + GUARD;
    next = at[key] + sizes[key] + GUARD;
  }
  const needed = (next + 16) * 4;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
  const heap = new Float32Array(memory.buffer);
  heap.fill(SENTINEL, 0, next + 16);
  const view = (key: K): Float32Array => heap.subarray(at[key], at[key] + sizes[key]);
  filled.forEach((key, i) => fill(view(key), seed + i));
  const ptr = Object.fromEntries(keys.map((key) => [key, at[key] * 4])) as Record<K, number>;
  const wroteOutside = (): number | undefined => {
    let gap = 0;
    for (const key of [...keys].sort((x, y) => at[x] - at[y])) {
      for (let i = gap; i < at[key]; i++) if (heap[i] !== SENTINEL) return i;
      gap = at[key] + sizes[key];
    }
    for (let i = gap; i < next + 16; i++) if (heap[i] !== SENTINEL) return i;
    return undefined;
  };
  return { ptr, view, wroteOutside };
}

/**
 * Runs one case through `kernel` (the exported function of `req`) and compares with a float64
 * reference: |C − ref| ≤ 1e-5 · (Σ|a·b| + |bias| + |C₀|) per element, the f32 accumulation bound.
 */
function check(c: Case, req: GemmRequest, kernel: Kernel, memory: WasmMemory, seed: number): void {
  const scratch = packFloats(req);
  const sizes = { a: c.m * c.k, b: c.k * c.n, bias: c.n, c: c.m * c.n, pack: scratch.fixed + scratch.perRow * c.k };
  const { ptr, view, wroteOutside } = placeOperands(memory, sizes, ['a', 'b', 'bias', 'c'], seed);
  const a = view('a').slice();
  const b = view('b').slice();
  const bias = view('bias').slice();
  const c0 = view('c').slice();
  const args: Record<string, number> = { ...ptr, m: c.m, k: c.k };
  kernel(...gemmParams(req).map((p) => args[p]!));
  const out = view('c');
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let ref = 0;
      let scale = 0;
      for (let p = 0; p < c.k; p++) {
        const prod = aAt(c, a, i, p) * bAt(c, b, p, j);
        ref += prod;
        scale += Math.abs(prod);
      }
      if (c.bias) {
        ref += bias[j]!;
        scale += Math.abs(bias[j]!);
      }
      if (c.accumulate) {
        ref += c0[i * c.n + j]!;
        scale += Math.abs(c0[i * c.n + j]!);
      }
      if (req.activation === 'relu') ref = ref > 0 ? ref : 0;
      const got = out[i * c.n + j]!;
      if (!(Math.abs(got - ref) <= 1e-5 * scale + 1e-30)) {
        throw new Error(`${req.name} ${JSON.stringify(c)}: C[${i},${j}] = ${got}, expected ${ref}`);
      }
    }
  }
  // Only C (and the packing scratch) changed: A, B, bias as given, every guard cell (between and around them) untouched.
  const same = (x: Float32Array, y: Float32Array): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  expect(same(view('a'), a) && same(view('b'), b) && same(view('bias'), bias)).toBe(true);
  const outside = wroteOutside();
  if (outside !== undefined) throw new Error(`${req.name} ${JSON.stringify(c)}: wrote cell ${outside} outside C`);
}

/** The request for a case: the batch dim (m for nn/nt, k for tn) literal or run-time. */
function requestFor(c: Case, runtime: boolean, name = 'kernel', tile?: GemmRequest['tile']): GemmRequest {
  const batch = c.form === 'tn' ? 'k' : 'm';
  return {
    name,
    form: c.form,
    m: runtime && batch === 'm' ? 'runtime' : c.m,
    k: runtime && batch === 'k' ? 'runtime' : c.k,
    n: c.n,
    bias: c.bias,
    accumulate: c.accumulate,
    ...(tile === undefined ? {} : { tile }),
  };
}

function runCase(
  c: Case,
  runtime: boolean,
  seed: number,
  tile?: GemmRequest['tile'],
  extra: Pick<GemmRequest, 'order' | 'unroll' | 'kernel' | 'activation'> = {},
  relaxed = false,
): void {
  const req = { ...requestFor(c, runtime, 'kernel', tile), ...extra };
  const bytes = gemmModule([req], { relaxed });
  expect(wasm.validate(bytes)).toBe(true);
  const memory = new wasm.Memory({ initial: 1 });
  check(c, req, instantiateKernels(bytes, memory).kernel!, memory, seed);
}

const FORMS: readonly GemmForm[] = ['nn', 'nt', 'tn'];
const ODD = [1, 3, 7, 13, 17, 31];
const BENCH: readonly (readonly [number, number, number])[] = [
  [64, 784, 128],
  [64, 128, 10],
  [128, 784, 512],
  [128, 512, 512],
  [1, 784, 128],
];

describe('wasm SIMD gemm: odd shapes', () => {
  for (const form of FORMS) {
    for (const runtime of [false, true]) {
      test(`${form}, ${runtime ? 'run-time' : 'literal'} batch dim, every m, k, n in {1, 3, 7, 13, 17, 31}, plain and relaxed`, () => {
        let seed = 1;
        for (const m of ODD) {
          for (const k of ODD) {
            for (const n of ODD) {
              // Cycle through the four epilogues so each shows up on every dim.
              const mode = seed % 4;
              const c = { form, m, k, n, bias: mode >= 2, accumulate: mode % 2 === 1 };
              runCase(c, runtime, seed, undefined, {}, seed % 2 === 1);
              // The classic schedule (kept for bench:gemm) on a third of them.
              if (seed % 3 === 0) runCase(c, runtime, seed, undefined, { kernel: 'classic' });
              seed++;
            }
          }
        }
      });
    }
  }
});

describe('wasm SIMD gemm: relu in the store', () => {
  for (const form of FORMS) {
    test(`${form}: odd shapes with bias and accumulate, literal and run-time, plain, relaxed and classic`, () => {
      let seed = 500;
      for (const m of [1, 5, 13]) {
        for (const k of [3, 17]) {
          for (const n of [1, 7, 13, 31]) {
            const c = { form, m, k, n, bias: seed % 2 === 0, accumulate: seed % 3 === 0 };
            const relu = { activation: 'relu' as const };
            runCase(c, seed % 2 === 0, seed, undefined, relu, seed % 2 === 1);
            runCase(c, seed % 2 === 1, seed, undefined, { ...relu, kernel: 'classic' });
            seed++;
          }
        }
      }
    });
  }

  test('NaN becomes 0 and negatives +0, as the TypeScript epilogue z > 0 ? z : 0', () => {
    for (const relaxed of BUILDS) {
      const [m, k, n] = [6, 5, 9];
      const req: GemmRequest = { name: 'kernel', form: 'nn', m, k, n, activation: 'relu' };
      const memory = new wasm.Memory({ initial: 1 });
      const kernel = instantiateKernels(gemmModule([req], { relaxed }), memory).kernel!;
      const heap = new Float32Array(memory.buffer);
      const a = heap.subarray(0, m * k);
      const b = heap.subarray(64, 64 + k * n);
      a.fill(1);
      a[0] = Number.NaN; // row 0: every product with it is NaN
      b.fill(-1);
      b[0] = 3; // column 0 of rows 1..5: 3 − 4 = −1 → 0; every other column −5 → 0
      kernel(4 * 128, 0, 4 * 64, 4 * 256);
      const c = heap.subarray(128, 128 + m * n);
      expect([...c].every((v) => Object.is(v, 0))).toBe(true);
      a.fill(1);
      b.fill(1);
      kernel(4 * 128, 0, 4 * 64, 4 * 256);
      expect([...c].every((v) => v === k)).toBe(true);
    }
  });
});

describe('wasm SIMD gemm: SGD in the store', () => {
  /** C = op(A)·op(B), then W −= lr·C in place; W must equal the TS epilogue's Math.fround(W − lr·g) bit for bit. */
  function sgdCase(c: Case, runtime: boolean, relaxed: boolean, lr: number, seed: number): void {
    const req: GemmRequest = { ...requestFor({ ...c, bias: false, accumulate: false }, runtime), update: { lr } };
    const memory = new wasm.Memory({ initial: 4 });
    const kernel = instantiateKernels(gemmModule([req], { relaxed }), memory).kernel!;
    const scratch = packFloats(req);
    const size = { a: c.m * c.k, b: c.k * c.n, c: c.m * c.n, w: c.m * c.n, pack: scratch.fixed + scratch.perRow * c.k };
    const { ptr, view, wroteOutside } = placeOperands(memory, size, ['a', 'b', 'w'], seed);
    const w0 = view('w').slice();
    const args: Record<string, number> = { ...ptr, m: c.m, k: c.k };
    kernel(...gemmParams(req).map((p) => args[p]!));
    const [a, b, g, w] = [view('a'), view('b'), view('c'), view('w')];
    const outside = wroteOutside();
    if (outside !== undefined) throw new Error(`${JSON.stringify(c)}: wrote cell ${outside} outside C and W`);
    for (let i = 0; i < size.c; i++) {
      let ref = 0;
      const [r, j] = [Math.floor(i / c.n), i % c.n];
      for (let p = 0; p < c.k; p++) {
        ref += aAt(c, a, r, p) * bAt(c, b, p, j);
      }
      if (!(Math.abs(g[i]! - ref) <= 1e-5 * (Math.abs(ref) + c.k)))
        throw new Error(`${JSON.stringify(c)}: C[${i}] = ${g[i]}, expected ${ref}`);
      if (!Object.is(w[i], Math.fround(w0[i]! - lr * g[i]!)))
        throw new Error(
          `${JSON.stringify(c)} lr ${lr}: W[${i}] = ${w[i]}, expected ${Math.fround(w0[i]! - lr * g[i]!)}`,
        );
    }
  }

  for (const form of FORMS) {
    test(`${form}: odd shapes (full and partial vectors), literal and run-time, plain and relaxed`, () => {
      let seed = 900;
      for (const m of [1, 4, 13]) {
        for (const k of [3, 17]) {
          for (const n of [1, 6, 13, 31]) {
            sgdCase({ form, m, k, n, bias: false, accumulate: false }, seed % 2 === 0, seed % 3 === 0, 0.1, seed);
            seed++;
          }
        }
      }
    });
  }

  test('learning rates that are not float32 numbers (0.1, 1/3, 1e-7) round as the TS epilogue does', () => {
    for (const lr of [0.1, 1 / 3, 1e-7, 2.5])
      sgdCase({ form: 'tn', m: 9, k: 64, n: 12, bias: false, accumulate: false }, true, false, lr, 7);
  });

  test('refused with a bias, the classic kernel or a non-finite lr', () => {
    const base: GemmRequest = { name: 'kernel', form: 'tn', m: 8, k: 'runtime', n: 8, update: { lr: 0.1 } };
    expect(() => gemmModule([{ ...base, bias: true }])).toThrow(/SGD store/);
    expect(() => gemmModule([{ ...base, kernel: 'classic' }])).toThrow(/SGD store/);
    expect(() => gemmModule([{ ...base, update: { lr: Number.NaN } }])).toThrow(/SGD store/);
  });
});

describe("wasm SIMD gemm: relu' in the store", () => {
  /** The masked product must equal the plain product where s > 0 and +0 elsewhere (NaN s included), bit for bit. */
  function maskCase(c: Case, runtime: boolean, relaxed: boolean, seed: number): void {
    const plain: GemmRequest = requestFor({ ...c, bias: false, accumulate: false }, runtime, 'plain');
    const masked: GemmRequest = { ...plain, name: 'masked', mask: 'relu' };
    const memory = new wasm.Memory({ initial: 4 });
    const kernels = instantiateKernels(gemmModule([plain, masked], { relaxed }), memory);
    const scratch = packFloats(masked);
    const cells = c.m * c.n;
    const size = {
      a: c.m * c.k,
      b: c.k * c.n,
      c1: cells,
      c2: cells,
      s: cells,
      pack: scratch.fixed + scratch.perRow * c.k,
    };
    const { ptr, view, wroteOutside } = placeOperands(memory, size, ['a', 'b', 's'], seed);
    view('s')[0] = Number.NaN;
    if (cells > 1) view('s')[1] = 0;
    const args = (cAt: number): Record<string, number> => ({ ...ptr, c: cAt, m: c.m, k: c.k });
    kernels.plain!(...gemmParams(plain).map((p) => args(ptr.c1)[p]!));
    kernels.masked!(...gemmParams(masked).map((p) => args(ptr.c2)[p]!));
    const outside = wroteOutside();
    if (outside !== undefined) throw new Error(`${JSON.stringify(c)}: wrote cell ${outside} outside C`);
    const [c1, c2, saved] = [view('c1'), view('c2'), view('s')];
    for (let i = 0; i < cells; i++) {
      const s = saved[i]!;
      const want = s > 0 ? c1[i]! : 0;
      if (!Object.is(c2[i], want))
        throw new Error(`${JSON.stringify(c)}: C[${i}] = ${c2[i]}, expected ${want} (s = ${s})`);
    }
  }

  for (const form of FORMS) {
    test(`${form}: odd shapes, literal and run-time, plain and relaxed`, () => {
      let seed = 1300;
      for (const m of [1, 5, 13]) {
        for (const k of [3, 17]) {
          for (const n of [1, 7, 31]) {
            maskCase({ form, m, k, n, bias: false, accumulate: false }, seed % 2 === 0, seed % 3 === 0, seed);
            seed++;
          }
        }
      }
    });
  }
});

describe('wasm SIMD gemm: benchmark shapes', () => {
  for (const form of FORMS) {
    test(`${form}: ${BENCH.map((s) => s.join('×')).join(', ')}`, () => {
      let seed = 100;
      for (const [m, k, n] of BENCH) {
        for (const relaxed of BUILDS) {
          runCase({ form, m, k, n, bias: false, accumulate: false }, false, seed++, undefined, {}, relaxed);
          runCase({ form, m, k, n, bias: true, accumulate: true }, true, seed++, undefined, {}, relaxed);
        }
      }
    });
  }
});

describe('wasm SIMD gemm: modes and tiles', () => {
  test('one run-time module serves several batch sizes, including 0 (writes nothing)', () => {
    for (const form of FORMS) {
      const base = { form, m: 5, k: 19, n: 23, bias: true, accumulate: false };
      const req = requestFor(base, true);
      const memory = new wasm.Memory({ initial: 1 });
      const kernel = instantiateKernels(gemmModule([req]), memory).kernel!;
      for (const batch of [1, 2, 4, 5, 8, 9, 64, 67]) {
        const c = form === 'tn' ? { ...base, k: batch } : { ...base, m: batch };
        check(c, req, kernel, memory, batch);
      }
      // Batch 0: C has no rows (nn/nt) or is just the bias (tn, k = 0).
      const heap = new Float32Array(memory.buffer);
      heap.fill(7, 0, 4096);
      const args: Record<string, number> = { c: 64, a: 4000, b: 8000, bias: 12000, m: 0, k: 0, pack: 14000 };
      kernel(...gemmParams(req).map((p) => args[p]!));
      const changed = heap.subarray(0, 4096).some((v) => v !== 7);
      expect(changed).toBe(false); // bias cells hold 7 too, so C = 0 + bias = 7 for tn
    }
  });

  test('tile, loop order and unroll overrides (1×1 up to 6×4, rows or columns outside, k unrolled 1–3) give the same results', () => {
    let seed = 500;
    for (const form of FORMS) {
      for (const tile of [
        { rows: 1, cols: 1 },
        { rows: 3, cols: 3 },
        { rows: 6, cols: 2 },
        { rows: 4, cols: 4 },
        { rows: 5, cols: 1 },
      ]) {
        for (const [m, k, n] of [
          [13, 17, 31],
          [31, 13, 1],
          [7, 1, 50],
        ] as const) {
          const order = seed % 3 === 0 ? 'rows' : 'cols';
          runCase({ form, m, k, n, bias: true, accumulate: true }, seed % 2 === 0, seed, tile, {
            order,
            unroll: 1 + (seed % 3),
          });
          seed++;
        }
      }
    }
  });

  test('several kernels in one module, each under its own export name', () => {
    const cases: Case[] = [
      { form: 'nn', m: 9, k: 11, n: 6, bias: true, accumulate: false },
      { form: 'nt', m: 9, k: 6, n: 11, bias: false, accumulate: true },
      { form: 'tn', m: 11, k: 9, n: 6, bias: false, accumulate: false },
    ];
    const reqs = cases.map((c, i) => requestFor(c, i === 1, `g${i}`));
    const bytes = gemmModule(reqs);
    const memory = new wasm.Memory({ initial: 1 });
    const exports = instantiateKernels(bytes, memory);
    expect(Object.keys(exports).sort()).toEqual(['g0', 'g1', 'g2']);
    cases.forEach((c, i) => check(c, reqs[i]!, exports[`g${i}`]!, memory, 900 + i));
  });

  test('schedule: nn/tn 4×3 vectors, nt 2×4, a literal m below 4 one row of 4 vectors; column panels outside', () => {
    expect(chooseSchedule({ form: 'nn', m: 'runtime' })).toEqual({ tile: { rows: 4, cols: 3 }, order: 'cols' });
    expect(chooseSchedule({ form: 'tn', m: 64 })).toEqual({ tile: { rows: 4, cols: 3 }, order: 'cols' });
    expect(chooseSchedule({ form: 'nn', m: 1 })).toEqual({ tile: { rows: 1, cols: 4 }, order: 'cols' });
    expect(chooseSchedule({ form: 'nt', m: 1 })).toEqual({ tile: { rows: 2, cols: 4 }, order: 'cols' });
  });

  test('parameters: c, a, b, then bias, then the run-time dim, then the packing scratch', () => {
    expect(gemmParams({ name: 'x', form: 'nn', m: 'runtime', k: 3, n: 4, bias: true })).toEqual([
      'c',
      'a',
      'b',
      'bias',
      'm',
      'pack',
    ]);
    expect(gemmParams({ name: 'x', form: 'tn', m: 5, k: 'runtime', n: 4 })).toEqual(['c', 'a', 'b', 'k', 'pack']);
    expect(gemmParams({ name: 'x', form: 'nt', m: 3, k: 5, n: 4 })).toEqual(['c', 'a', 'b', 'pack']);
    // nn/tn with fewer literal rows than PACK_MIN_ROWS read B in place: no scratch.
    expect(gemmParams({ name: 'x', form: 'nn', m: 3, k: 5, n: 4 })).toEqual(['c', 'a', 'b']);
    expect(gemmParams({ name: 'x', form: 'nn', m: 64, k: 5, n: 4, kernel: 'classic' })).toEqual(['c', 'a', 'b']);
    // One panel of k rows × 16 columns (the wider of the two builds' panels).
    expect(packFloats({ name: 'x', form: 'nn', m: 64, k: 784, n: 128 })).toEqual({ fixed: 784 * 16, perRow: 0 });
    expect(packFloats({ name: 'x', form: 'tn', m: 784, k: 'runtime', n: 128 })).toEqual({ fixed: 0, perRow: 16 });
    expect(packFloats({ name: 'x', form: 'nn', m: 1, k: 784, n: 128 })).toEqual({ fixed: 0, perRow: 0 });
  });

  test('deterministic: the same requests give the same bytes; different ones differ', () => {
    const reqs: GemmRequest[] = [
      { name: 'f', form: 'nn', m: 'runtime', k: 784, n: 128, bias: true },
      { name: 'g', form: 'nt', m: 64, k: 10, n: 128 },
      { name: 'h', form: 'tn', m: 784, k: 'runtime', n: 128, accumulate: true },
    ];
    const first = gemmModule(reqs);
    expect(gemmModule(reqs.map((r) => ({ ...r })))).toEqual(first);
    expect(gemmModule([{ ...reqs[0]!, n: 127 }, ...reqs.slice(1)])).not.toEqual(first);
  });

  test('rejects what it cannot generate', () => {
    expect(() => gemmModule([{ name: 'x', form: 'nn', m: 3, k: 'runtime', n: 4 }])).toThrow(/run-time m, not k/);
    expect(() => gemmModule([{ name: 'x', form: 'tn', m: 'runtime', k: 3, n: 4 }])).toThrow(/run-time k, not m/);
    expect(() => gemmModule([{ name: 'x', form: 'nn', m: 0, k: 3, n: 4 }])).toThrow(/m must be a positive integer/);
    expect(() => gemmModule([{ name: 'x', form: 'nt', m: 2, k: 3, n: 2.5 }])).toThrow(/n must be a positive integer/);
    expect(() => gemmModule([{ name: 'x', form: 'nn', m: 2, k: 3, n: 4, tile: { rows: 0, cols: 2 } }])).toThrow(
      /bad tile/,
    );
    expect(() => gemmModule([{ name: 'x', form: 'nn', m: 2, k: 3, n: 4, unroll: 0 }])).toThrow(/bad unroll/);
    const dup: GemmRequest = { name: 'x', form: 'nn', m: 1, k: 1, n: 1 };
    expect(() => gemmModule([dup, dup])).toThrow(/duplicate export name/);
  });
});

/** A block of C: rows [r0, r0 + rows), columns [c0, c0 + cols). */
interface Block {
  readonly r0: number;
  readonly rows: number;
  readonly c0: number;
  readonly cols: number;
}

/** Splits `total` into parts of the given sizes, as [start, size] pairs. */
function parts(sizes: readonly number[]): [number, number][] {
  let at = 0;
  return sizes.map((size) => {
    const start = at;
    at += size;
    return [start, size];
  });
}

/**
 * C's bits after computing `blocks` of the product one call each (requests with literal strides
 * and offset pointers, as a threaded caller slices a kernel), on seeded operands. One block covering
 * C is the whole-matrix call.
 */
function blockwise(c: Case, runtime: boolean, blocks: readonly Block[], seed: number, relaxed = false): Uint32Array {
  const sizes = { a: c.m * c.k, b: c.k * c.n, bias: c.n, c: c.m * c.n };
  const at = { a: 16, b: 16 + sizes.a, bias: 16 + sizes.a + sizes.b, c: 16 + sizes.a + sizes.b + sizes.bias };
  const pack = at.c + sizes.c + 16; // every block may use the same packing scratch: they run one after another
  const memory = new wasm.Memory({ initial: Math.ceil(((pack + c.k * 64) * 4) / 65536) });
  const heap = new Float32Array(memory.buffer);
  for (const key of ['a', 'b', 'bias', 'c'] as const) fill(heap.subarray(at[key], at[key] + sizes[key]), seed++);
  const full = { lda: c.form === 'tn' ? c.m : c.k, ldb: c.form === 'nt' ? c.k : c.n, ldc: c.n };
  const reqs = blocks.map((blk, i) => ({
    ...requestFor({ ...c, m: blk.rows, n: blk.cols }, runtime, `b${i}`),
    ...full,
  }));
  const kernels = instantiateKernels(gemmModule(reqs, { relaxed }), memory);
  blocks.forEach((blk, i) => {
    const { r0, c0 } = blk;
    const args: Record<string, number> = {
      a: 4 * (at.a + (c.form === 'tn' ? r0 : r0 * c.k)),
      b: 4 * (at.b + (c.form === 'nt' ? c0 * c.k : c0)),
      bias: 4 * (at.bias + c0),
      c: 4 * (at.c + r0 * c.n + c0),
      m: blk.rows,
      k: c.k,
      pack: pack * 4,
    };
    kernels[`b${i}`]!(...gemmParams(reqs[i]!).map((p) => args[p]!));
  });
  return new Uint32Array(memory.buffer, at.c * 4, sizes.c).slice();
}

describe('wasm SIMD gemm: blocks of a product (lda, ldb, ldc)', () => {
  const shapes: readonly (readonly [number, number, number])[] = [
    [130, 37, 10],
    [130, 64, 50],
    [7, 5, 29],
  ];
  for (const form of FORMS) {
    test(`${form}: row, column and grid slices at uneven offsets equal the whole-matrix call bit for bit`, () => {
      let seed = 2000;
      for (const [m, k, n] of shapes) {
        const third = (x: number): number[] => [Math.floor(x / 3), Math.floor(x / 3), x - 2 * Math.floor(x / 3)];
        const rowSlices = parts(third(m)).map(([r0, rows]) => ({ r0, rows, c0: 0, cols: n }));
        const colSlices = parts(third(n)).map(([c0, cols]) => ({ r0: 0, rows: m, c0, cols }));
        const grid = parts([Math.ceil(m / 2), m - Math.ceil(m / 2)]).flatMap(([r0, rows]) =>
          parts([3, n - 3]).map(([c0, cols]) => ({ r0, rows, c0, cols })),
        );
        for (const runtime of [false, true]) {
          for (let mode = 0; mode < 4; mode++) {
            const c: Case = { form, m, k, n, bias: mode >= 2, accumulate: mode % 2 === 1 };
            const relaxed = BUILDS[mode % 2]!;
            const whole = blockwise(c, runtime, [{ r0: 0, rows: m, c0: 0, cols: n }], seed, relaxed);
            for (const blocks of [rowSlices, colSlices, grid].filter((b) => b.every((x) => x.rows > 0 && x.cols > 0))) {
              const got = blockwise(c, runtime, blocks, seed, relaxed);
              const bad = got.findIndex((bits, i) => bits !== whole[i]);
              if (bad >= 0) throw new Error(`${JSON.stringify(c)} ${JSON.stringify(blocks)}: C[${bad}] differs`);
            }
            seed += 4;
          }
        }
      }
      // The whole-matrix result itself is right (the float64 reference, through check()).
      runCase({ form, m: 130, k: 37, n: 10, bias: true, accumulate: true }, false, seed);
    });
  }

  test('a block leaves the rest of C alone: strides wider than the block, guard values intact', () => {
    for (const form of FORMS) {
      const c: Case = { form, m: 9, k: 6, n: 11, bias: true, accumulate: false };
      const whole = blockwise(c, false, [{ r0: 0, rows: 9, c0: 0, cols: 11 }], 7);
      const untouched = blockwise(c, false, [], 7);
      const part = blockwise(c, false, [{ r0: 2, rows: 5, c0: 3, cols: 6 }], 7);
      for (let i = 0; i < 9; i++)
        for (let j = 0; j < 11; j++) {
          const inside = i >= 2 && i < 7 && j >= 3 && j < 9;
          expect(part[i * 11 + j]).toBe((inside ? whole : untouched)[i * 11 + j]);
        }
    }
  });

  test('strides below the stored row length are rejected', () => {
    expect(() => gemmModule([{ name: 'x', form: 'nn', m: 3, k: 5, n: 4, lda: 4 }])).toThrow(
      /lda must be an integer ≥ 5/,
    );
    expect(() => gemmModule([{ name: 'x', form: 'tn', m: 3, k: 5, n: 4, lda: 2 }])).toThrow(
      /lda must be an integer ≥ 3/,
    );
    expect(() => gemmModule([{ name: 'x', form: 'nt', m: 3, k: 5, n: 4, ldb: 4 }])).toThrow(
      /ldb must be an integer ≥ 5/,
    );
    expect(() => gemmModule([{ name: 'x', form: 'nn', m: 3, k: 5, n: 4, ldc: 3.5 }])).toThrow(
      /ldc must be an integer ≥ 4/,
    );
  });
});

describe('wasm SIMD gemm: packing edge cases (plain and relaxed builds)', () => {
  test('relaxed_madd appears only in the relaxed build, and this engine (flag set) validates it', () => {
    const req: GemmRequest = { name: 'g', form: 'nn', m: 8, k: 9, n: 10 };
    const hasMadd = (b: Uint8Array): boolean => b.some((x, i) => x === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02);
    const relaxed = gemmModule([req], { relaxed: true });
    expect(hasMadd(relaxed)).toBe(true);
    expect(hasMadd(gemmModule([req]))).toBe(false);
    expect(wasm.validate(relaxed)).toBe(true);
  });

  for (const form of FORMS) {
    test(`${form}: m in {1, 7, 130}, odd k, n below, at and past one and two panels (1–5, 9–13, 15–17, 31–33)`, () => {
      let seed = 3000;
      for (const relaxed of BUILDS) {
        for (const m of [1, 7, 130]) {
          for (const k of [1, 5, 33]) {
            for (const n of [1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 15, 16, 17, 31, 32, 33]) {
              const mode = seed % 4;
              const c = { form, m, k, n, bias: mode >= 2, accumulate: mode % 2 === 1 };
              runCase(c, seed % 3 === 0, seed++, undefined, {}, relaxed);
            }
          }
        }
      }
    });
  }
});

describe('wasm SIMD gemm: identical requests share one body', () => {
  const c: Case = { form: 'nn', m: 9, k: 12, n: 8, bias: true, accumulate: false };
  const base = requestFor(c, true);
  const names = ['mm_a', 'mm_b', 'mm_c'];

  test('one function per distinct request, exported under every name, each computing the product', () => {
    const one = gemmModule([{ ...base, name: 'mm_a' }]);
    const three = gemmModule(names.map((name) => ({ ...base, name })));
    // Two more export entries (name + kind + index), not two more bodies.
    expect(three.length - one.length).toBeLessThan(2 * 16);
    const memory = new wasm.Memory({ initial: 1 });
    const kernels = instantiateKernels(three, memory);
    expect(Object.keys(kernels)).toEqual(names);
    for (const [i, name] of names.entries()) check(c, { ...base, name }, kernels[name]!, memory, 40 + i);
  });

  test('requests that differ in any field keep their own bodies', () => {
    const variants: GemmRequest[] = [
      { ...base, name: 'mm_a' },
      { ...base, name: 'mm_b', n: 12 },
      { ...base, name: 'mm_c', bias: false },
      { ...base, name: 'mm_d', ldc: 16 },
    ];
    const bytes = gemmModule(variants);
    const single = variants.map((v) => gemmModule([v]).length);
    // Each body is hundreds of bytes; together they are the whole module (less the shared header).
    expect(bytes.length).toBeGreaterThan(single.reduce((a, b) => a + b, 0) - 3 * 64);
    const memory = new wasm.Memory({ initial: 1 });
    const kernels = instantiateKernels(bytes, memory);
    check(c, variants[0]!, kernels.mm_a!, memory, 50);
    check({ ...c, n: 12 }, variants[1]!, kernels.mm_b!, memory, 51);
    check({ ...c, bias: false }, variants[2]!, kernels.mm_c!, memory, 52);
  });

  test('the key ignores field order', () => {
    const reordered = Object.fromEntries(Object.entries({ ...base, name: 'mm_b' }).reverse()) as unknown as GemmRequest;
    const bytes = gemmModule([{ ...base, name: 'mm_a' }, reordered]);
    expect(bytes.length - gemmModule([{ ...base, name: 'mm_a' }]).length).toBeLessThan(16);
  });

  test('duplicate export names are still refused', () => {
    expect(() =>
      gemmModule([
        { ...base, name: 'mm_a' },
        { ...base, name: 'mm_a' },
      ]),
    ).toThrow(/duplicate export name/);
  });
});

describe('wasm encoder', () => {
  test('LEB128 encodings', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(0)).toEqual([0]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => uleb(-1)).toThrow(RangeError);
    expect(() => sleb(2 ** 31)).toThrow(RangeError);
  });

  test('a hand-built SIMD function validates and runs (sum of four lanes × 2)', () => {
    const fn = new Fn([ValType.i32], [ValType.f32]);
    const v = fn.local(ValType.v128);
    fn.get(0).v128Load(4).tee(v).get(v).f32x4Add().set(v);
    fn.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1).f32Add();
    fn.get(v).f32x4ExtractLane(2).f32Add().get(v).f32x4ExtractLane(3).f32Add();
    const bytes = encodeModule([{ name: 'sum2', fn }]);
    expect(wasm.validate(bytes)).toBe(true);
    const memory = new wasm.Memory({ initial: 1 });
    new Float32Array(memory.buffer).set([0, 0, 1, 2, 3, 4], 0);
    const exports = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports as Record<
      string,
      (p: number) => number
    >;
    expect(exports.sum2!(4)).toBe(20); // lanes at byte 4 + 4: elements 2..5
  });

  test('i8x16.shuffle takes exactly 16 byte indices below 32', () => {
    expect(() => new Fn([]).i8x16Shuffle([0, 1])).toThrow(RangeError);
    expect(() => new Fn([]).i8x16Shuffle(new Array<number>(16).fill(32))).toThrow(RangeError);
    expect(() => new Fn([]).i8x16Shuffle(new Array<number>(16).fill(31))).not.toThrow();
  });

  test('a body with a type error does not validate (validation is a real check)', () => {
    const fn = new Fn([ValType.i32]);
    fn.get(0).f32x4Add(); // one i32 operand where two v128 are needed
    expect(wasm.validate(encodeModule([{ name: 'bad', fn }]))).toBe(false);
  });
});
