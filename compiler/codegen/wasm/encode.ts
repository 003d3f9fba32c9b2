// A minimal WebAssembly binary encoder: exactly what the matmul generator needs and no more.
// A function body is built by appending instructions to a `Fn` (a typed builder over a byte list);
// `encodeModule` lays out the type, import (one memory, `env.memory`), function, export and code
// sections. Nothing here knows about matmuls.

export const ValType = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128 (u32). */
export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`uleb: ${value} is not a u32`);
  const out: number[] = [];
  let v = value;
  do {
    const byte = v % 128;
    v = Math.floor(v / 128);
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (i32). */
export function sleb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff)
    throw new RangeError(`sleb: ${value} is not an i32`);
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const signBitSet = (byte & 0x40) !== 0;
    if ((v === 0 && !signBitSet) || (v === -1 && signBitSet)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** Appends `items` to `out` one by one: spreading megabyte arrays into literals was most of a large compile. */
function append(out: number[], items: readonly number[]): number[] {
  for (const x of items) out.push(x);
  return out;
}

function vec(items: readonly (readonly number[])[]): number[] {
  const out = uleb(items.length);
  for (const item of items) append(out, item);
  return out;
}

function section(id: number, contents: readonly number[]): number[] {
  return append([id, ...uleb(contents.length)], contents);
}

const SIMD = 0xfd;

/** Natural alignment exponents (log2 bytes) used as memarg hints. */
export type Align = 0 | 1 | 2 | 3 | 4;

/** A function body under construction: its parameters, its extra locals and its instructions. */
export class Fn {
  private readonly extra: ValType[] = [];
  private readonly code: number[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}

  /** Declares a new local of `type` and returns its index. */
  local(type: ValType): number {
    this.extra.push(type);
    return this.params.length + this.extra.length - 1;
  }

  /** The body as encoded in the code section (without the size prefix). */
  body(): number[] {
    const groups: number[][] = [];
    let i = 0;
    while (i < this.extra.length) {
      let j = i;
      while (j < this.extra.length && this.extra[j] === this.extra[i]) j++;
      groups.push([...uleb(j - i), this.extra[i]!]);
      i = j;
    }
    return [...vec(groups), ...this.code, 0x0b];
  }

  private op(...bytes: readonly number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...imm: readonly number[]): this {
    return this.op(SIMD, ...uleb(opcode), ...imm);
  }

  // Control: every structured instruction takes a body callback, so `end` is never forgotten.
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb(depth));
  }

  // Locals.
  get(index: number): this {
    return this.op(0x20, ...uleb(index));
  }
  set(index: number): this {
    return this.op(0x21, ...uleb(index));
  }
  tee(index: number): this {
    return this.op(0x22, ...uleb(index));
  }

  // i32.
  i32Const(value: number): this {
    return this.op(0x41, ...sleb(value));
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32DivU(): this {
    return this.op(0x6e);
  }
  i32RemU(): this {
    return this.op(0x70);
  }
  i32And(): this {
    return this.op(0x71);
  }

  // f32 (memarg: alignment hint, then a constant byte offset added to the address operand).
  f32Load(offset: number, align: Align = 2): this {
    return this.op(0x2a, ...uleb(align), ...uleb(offset));
  }
  f32Store(offset: number, align: Align = 2): this {
    return this.op(0x38, ...uleb(align), ...uleb(offset));
  }
  f32Const(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true); // wasm is little-endian whatever the host is
    return this.op(0x43, ...new Uint8Array(view.buffer));
  }
  f64Const(value: number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, true);
    return this.op(0x44, ...new Uint8Array(view.buffer));
  }
  f64Mul(): this {
    return this.op(0xa2);
  }
  f64Sub(): this {
    return this.op(0xa1);
  }
  /** f32 → f64, exact. */
  f64PromoteF32(): this {
    return this.op(0xbb);
  }
  /** f64 → f32, rounded to nearest (as Math.fround). */
  f32DemoteF64(): this {
    return this.op(0xb6);
  }
  /** [f64] → v128 of two copies. */
  f64x2Splat(): this {
    return this.simd(0x14);
  }
  /** Lanes 0 and 1 of an f32x4 as f64x2 (exact). */
  f64x2PromoteLowF32x4(): this {
    return this.simd(0x5f);
  }
  /** An f64x2 rounded to f32 in lanes 0 and 1, zeros in 2 and 3. */
  f32x4DemoteF64x2Zero(): this {
    return this.simd(0x5e);
  }
  f64x2Mul(): this {
    return this.simd(0xf2);
  }
  f64x2Sub(): this {
    return this.simd(0xf1);
  }
  f32Add(): this {
    return this.op(0x92);
  }
  f32Mul(): this {
    return this.op(0x94);
  }
  /** [a, b] → a > b as i32 (f32.gt). */
  f32Gt(): this {
    return this.op(0x5e);
  }
  /** [x, y, cond] → cond ? x : y. */
  select(): this {
    return this.op(0x1b);
  }

  // SIMD (0xfd prefix). Alignment hints default to 4 bytes: f32 data is element-aligned, not 16.
  v128Load(offset: number, align: Align = 2): this {
    return this.simd(0x00, ...uleb(align), ...uleb(offset));
  }
  /** Loads one f32 and broadcasts it to all four lanes. */
  v128Load32Splat(offset: number, align: Align = 2): this {
    return this.simd(0x09, ...uleb(align), ...uleb(offset));
  }
  /** Loads one f32 into lane 0 and zeroes the other lanes. */
  v128Load32Zero(offset: number, align: Align = 2): this {
    return this.simd(0x5c, ...uleb(align), ...uleb(offset));
  }
  /** Loads two f32 into lanes 0 and 1 and zeroes the other lanes. */
  v128Load64Zero(offset: number, align: Align = 2): this {
    return this.simd(0x5d, ...uleb(align), ...uleb(offset));
  }
  v128Store(offset: number, align: Align = 2): this {
    return this.simd(0x0b, ...uleb(align), ...uleb(offset));
  }
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  /** Picks 16 bytes from two vectors: byte indices 0–15 from the first, 16–31 from the second. */
  i8x16Shuffle(bytes: readonly number[]): this {
    if (bytes.length !== 16 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 31))
      throw new RangeError('i8x16.shuffle needs 16 byte indices in 0..31');
    return this.simd(0x0d, ...bytes);
  }
  f32x4ExtractLane(lane: 0 | 1 | 2 | 3): this {
    return this.simd(0x1f, lane);
  }
  /** Replaces one lane: [v128, f32] → v128. */
  f32x4ReplaceLane(lane: 0 | 1 | 2 | 3): this {
    return this.simd(0x20, lane);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  /** [a, b] → all-ones lanes where a = b (false for NaN), zeros elsewhere. */
  f32x4Eq(): this {
    return this.simd(0x41);
  }
  /** A vector → 1 when all four 32-bit lanes are non-zero, else 0. */
  i32x4AllTrue(): this {
    return this.simd(0xa3);
  }
  /** [a, b] → all-ones lanes where a > b (false for NaN), zeros elsewhere. */
  f32x4Gt(): this {
    return this.simd(0x44);
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  /** Pseudo-maximum [a, b] → a < b ? b : a, lane by lane (no NaN propagation, unlike f32x4.max). */
  f32x4Pmax(): this {
    return this.simd(0xeb);
  }
  /**
   * Relaxed SIMD `f32x4.relaxed_madd`: [a, b, c] → a·b + c, fused or not as the platform chooses
   * (the same way every time on one platform). Engines without relaxed SIMD reject the module.
   */
  f32x4RelaxedMadd(): this {
    return this.simd(0x105);
  }
}

export interface FuncDef {
  readonly name: string;
  readonly fn: Fn;
  /** More export names for the same function (identical requests share one body). */
  readonly aliases?: readonly string[];
}

const signature = (fn: Fn): number[] => [0x60, ...vec(fn.params.map((t) => [t])), ...vec(fn.results.map((t) => [t]))];

/**
 * The imported memory's limits beyond its minimum: a `maximum` (pages), and `shared`, which threads
 * need (a shared memory must have a maximum). Without them the import is `{ min }` as before.
 */
export interface MemoryLimits {
  readonly maximum: number;
  readonly shared: boolean;
}

/** Limits flags of a memory type: bit 0 = has a maximum, bit 1 = shared. */
const LIMITS_MAX = 0x01;
const LIMITS_SHARED = 0x03;

/**
 * A module that imports `env.memory` (at least `minPages` pages, with `limits` if given) and
 * exports every function by its name and aliases.
 */
export function encodeModule(funcs: readonly FuncDef[], minPages = 1, limits?: MemoryLimits): Uint8Array {
  const types: number[][] = [];
  const typeKeys: string[] = [];
  const typeOf = funcs.map(({ fn }) => {
    const sig = signature(fn);
    const key = sig.join(',');
    let index = typeKeys.indexOf(key);
    if (index < 0) {
      index = typeKeys.push(key) - 1;
      types.push(sig);
    }
    return index;
  });
  const memoryType =
    limits === undefined
      ? [0x00, ...uleb(minPages)]
      : [limits.shared ? LIMITS_SHARED : LIMITS_MAX, ...uleb(minPages), ...uleb(limits.maximum)];
  const memoryImport = [...name('env'), ...name('memory'), 0x02, ...memoryType];
  const exports = funcs.flatMap((f, i) => [f.name, ...(f.aliases ?? [])].map((n) => [...name(n), 0x00, ...uleb(i)]));
  const bodies = funcs.map(({ fn }) => {
    const body = fn.body();
    return append(uleb(body.length), body);
  });
  const parts = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vec(types)),
    section(2, vec([memoryImport])),
    section(3, vec(typeOf.map((t) => uleb(t)))),
    section(7, vec(exports)),
    section(10, vec(bodies)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Byte offset of the imported memory's limits flags in a module from `encodeModule` with limits:
 * flipping that byte between 0x01 and 0x03 makes the same code import an unshared or a shared
 * memory, so a generated module embeds one copy of its bytes for both.
 */
export function memoryFlagsOffset(bytes: Uint8Array): number {
  let at = 8;
  const readUleb = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('wasm: truncated module');
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = readUleb();
    if (id !== 2) {
      at += size;
      continue;
    }
    readUleb(); // import count: encodeModule writes one, env.memory
    for (let i = 0; i < 2; i++) {
      const length = readUleb(); // module and field names
      at += length;
    }
    if (bytes[at] !== 0x02) throw new Error('wasm: the import is not a memory');
    const flags = bytes[at + 1];
    if (flags !== LIMITS_MAX && flags !== LIMITS_SHARED) throw new Error('wasm: the memory import has no maximum');
    return at + 1;
  }
  throw new Error('wasm: the module imports no memory');
}
