// The helpers a generated module carries (it imports nothing). This file is real TypeScript,
// type-checked with the project and unit-tested; emit-module.ts copies a declaration into a
// module only when the module's code names it (and then whatever that declaration names), with
// `export ` dropped and `FloatArray` replaced by the module's float array class. Each
// declaration is one top-level item starting at column 0, with its doc comment, separated from
// the next by a blank line. The module is checked with no ambient types beyond ES2022: no DOM,
// no Node (globals such as WebAssembly and TextDecoder are declared below, as used).

/** Stand-in for the module's float array class (Float32Array or Float64Array); not copied. */
export const FloatArray = Float32Array;
export type FloatArray = Float32Array;

/** What a caller's-array slot holds before the first call. */
export const EMPTY_F: FloatArray = new FloatArray(0);

/** What a class-index slot holds before the first call. */
export const EMPTY_I32: Int32Array = new Int32Array(0);

/** Uniform(−limit, limit) from a seeded stream (Glorot/He limits are computed at compile time). */
export function fillUniform(out: FloatArray, limit: number, seed: number, name: string): void {
  // A mulberry32 stream keyed by (seed, parameter name): adding a layer never shifts the others.
  let s = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) s = Math.imul(s ^ name.charCodeAt(i), 0x01000193) >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    const u = ((z ^ (z >>> 14)) >>> 0) / 4294967296;
    out[i] = (2 * u - 1) * limit;
  }
}

/** Rejects NaN and ±Infinity with the row and column of the first bad value. */
export function assertFinite(name: string, data: FloatArray, row: number): void {
  // x − x is 0 for every finite x and NaN otherwise: four independent sums run at memory speed
  // (one dependent compare per element ran 3–4× slower), and only a failing array is searched.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = data.length;
  const n4 = n - (n % 4);
  for (let i = 0; i < n4; i += 4) {
    const a = data[i] as number;
    const b = data[i + 1] as number;
    const c = data[i + 2] as number;
    const d = data[i + 3] as number;
    s0 += a - a;
    s1 += b - b;
    s2 += c - c;
    s3 += d - d;
  }
  for (let i = n4; i < n; i++) {
    const a = data[i] as number;
    s0 += a - a;
  }
  if (s0 + s1 + s2 + s3 === 0) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v - v !== 0) {
      throw new RangeError(
        `${name}: non-finite value ${v} at row ${Math.floor(i / row)}, column ${i % row} (clean the data, or pass { checkFinite: false } to createModel)`,
      );
    }
  }
}

/**
 * `assertFinite` for modules that carry WebAssembly matmuls: a long float32 array is scanned in
 * wasm SIMD first (6 µs instead of 23 for an MNIST batch of 64 × 784, a tenth of a 2-thread
 * forward call), and searched in JavaScript only when the scan finds something or cannot run.
 */
export function assertFiniteScanned(name: string, data: FloatArray, row: number): void {
  if (data.length >= FINITE_SCAN_MIN && scanFinite(data) === true) return;
  assertFinite(name, data, row);
}

/** Float32 arrays from this length are checked by the WebAssembly scan (shorter ones cost less in JS). */
export const FINITE_SCAN_MIN = 256;

/**
 * The WebAssembly SIMD finiteness scan, base64 (built by compiler/codegen/wasm/finite-scan.ts; a
 * test keeps the two equal): `finite(bytes)` → 1 when the first `bytes` bytes of its memory, a
 * multiple of 64, hold only finite float32s.
 */
export const FINITE_SCAN_WASM =
  'AGFzbQEAAAABBgFgAX8BfwIPAQNlbnYGbWVtb3J5AgABAwIBAAcKAQZmaW5pdGUAAAqLAQGIAQIBfwV7AkADQCABIABJRQ0BIAH9AAIAIgIgAv3lASAD/eQBIQMgAf0AAhAiAiAC/eUBIAT95AEhBCAB/QACICICIAL95QEgBf3kASEFIAH9AAIwIgIgAv3lASAG/eQBIQYgAUHAAGohAQwACwsgAyAE/eQBIAX95AEgBv3kASICIAL9Qf2jAQs=';

/** The scan's memory, a float view of it, and its export. */
export interface FiniteScan {
  readonly memory: WasmMemory;
  view: Float32Array;
  readonly finite: (bytes: number) => number;
}

/** The scan, made on first use (`scan`: null where WebAssembly SIMD is missing or blocked by a CSP). */
export const finiteScanner: { scan?: FiniteScan | null } = {};

/** The scan's instance over a new one-page memory, or null where it cannot run. */
export function startFiniteScan(): FiniteScan | null {
  const api = WebAssemblyApi as WasmApi | undefined;
  try {
    const bytes = decodeBase64(FINITE_SCAN_WASM);
    if (api === undefined || !api.validate(bytes)) return null;
    const memory = new api.Memory({ initial: 1 });
    const exports = new api.Instance(new api.Module(bytes), { env: { memory } }).exports;
    const finite = exports['finite'] as unknown as ((bytes: number) => number) | undefined;
    return finite === undefined ? null : { memory, view: new Float32Array(memory.buffer), finite };
  } catch {
    return null; // e.g. a Content-Security-Policy without 'wasm-unsafe-eval'
  }
}

/**
 * Whether every value of a float32 array is finite, by the WebAssembly scan over a copy (padded
 * with zeros to whole scan steps); undefined where the scan cannot run. Allocates only when the
 * scan's memory has to grow for a longer array.
 */
export function scanFinite(data: FloatArray): boolean | undefined {
  if (data.BYTES_PER_ELEMENT !== 4) return undefined; // float32 only
  let scan = finiteScanner.scan;
  if (scan === undefined) {
    scan = startFiniteScan();
    finiteScanner.scan = scan;
  }
  if (scan === null) return undefined;
  const padded = Math.ceil(data.length / 16) * 16;
  if (padded > scan.view.length) {
    scan.memory.grow(Math.ceil((padded * 4 - scan.memory.buffer.byteLength) / 65536));
    scan.view = new Float32Array(scan.memory.buffer);
  }
  scan.view.set(data);
  scan.view.fill(0, data.length, padded);
  return scan.finite(padded * 4) === 1;
}

/** Class-index targets must select one of the output columns. */
export function assertClasses(name: string, data: Int32Array, classes: number): void {
  for (let i = 0; i < data.length; i++) {
    const c = data[i] as number;
    if (c < 0 || c >= classes) {
      throw new RangeError(`${name}: class index ${c} at row ${i} is out of range [0, ${classes})`);
    }
  }
}

/** Names what the caller passed, for type errors. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing key)';
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Copies named arrays into the arena after checking every name and length (nothing is written if one is wrong). */
export function copyRecord(
  what: string,
  from: Readonly<Record<string, ArrayLike<number>>>,
  into: Readonly<Record<string, FloatArray>>,
  complete: boolean,
): void {
  for (const key of Object.keys(from)) {
    if (!Object.hasOwn(into, key)) {
      throw new RangeError(`${what}: unknown name '${key}' (expected one of ${Object.keys(into).join(', ')})`);
    }
  }
  for (const key of Object.keys(into)) {
    const src = Object.hasOwn(from, key) ? from[key] : undefined;
    const dst = into[key] as FloatArray;
    if (src === undefined) {
      if (complete) throw new RangeError(`${what}: missing '${key}'`);
      continue;
    }
    if (src.length !== dst.length) {
      throw new RangeError(`${what}: '${key}' needs ${dst.length} values, got ${src.length}`);
    }
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (typeof v !== 'number' || v - v !== 0) {
        throw new RangeError(`${what}: '${key}' value ${i} is ${String(v)}, not a finite number`);
      }
    }
  }
  for (const key of Object.keys(into)) {
    const src = Object.hasOwn(from, key) ? from[key] : undefined;
    const dst = into[key] as FloatArray;
    if (src !== undefined) for (let i = 0; i < src.length; i++) dst[i] = src[i] as number;
  }
}

/** Derivative of the tanh-approximated GELU. */
export function geluDerivative(x: number): number {
  // d/dx of 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³)
  const c = Math.sqrt(2 / Math.PI);
  const t = Math.tanh(c * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
}

/** The few members of the WebAssembly JS API used here, declared locally (the module has no ambient types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A matmul export: byte pointers to C, A and B, then the run-time batch if it has one. */
export type WasmMatmul = (...args: number[]) => void;

/** A compiled WebAssembly module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** An instance of a compiled module: its matmul exports. */
export interface WasmInstance {
  readonly exports: Readonly<Record<string, WasmMatmul>>;
}

/** The imports of the matmul module: one memory. */
export interface WasmImports {
  readonly env: { readonly memory: WasmMemory };
}

/** The WebAssembly namespace, as far as a module uses it. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  readonly Memory: new (descriptor: {
    readonly initial: number;
    readonly maximum?: number;
    readonly shared?: boolean;
  }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(bytes: Uint8Array, imports: WasmImports): Promise<{ readonly instance: WasmInstance }>;
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>;
}

/** The host's WebAssembly (Node, browsers, Deno, Bun). */
export const WebAssemblyApi = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/** Base64 → bytes without `atob` or `Buffer`, so the module runs anywhere. */
export function decodeBase64(text: string): Uint8Array {
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array((clean.length * 3) >> 2);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < clean.length; i++) {
    value = ((value << 6) | digits.indexOf(clean.charAt(i))) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 255;
    }
  }
  return out;
}

/**
 * The embedded matmuls to instantiate: the relaxed-SIMD build (multiply-adds as f32x4.relaxed_madd)
 * where the engine validates it (browsers, Node ≥ 22), else the plain-SIMD build.
 */
export function wasmMatmulBytes(relaxed: string, plain: string): Uint8Array {
  const bytes = decodeBase64(relaxed);
  return WebAssemblyApi.validate(bytes) ? bytes : decodeBase64(plain);
}

/** The exported matmul `name` of an instance, or a clear error if the embedded bytes lack it. */
export function wasmExport(exports: Readonly<Record<string, WasmMatmul>>, name: string): WasmMatmul {
  const f = exports[name];
  if (typeof f !== 'function')
    throw new Error(`the embedded WebAssembly has no export '${name}' (regenerate the module)`);
  return f;
}

/**
 * The `threads` option, checked: a positive integer (default 1). `createModel` compiles and runs
 * synchronously and takes only 1; threads start in `createModelAsync`.
 */
export function threadCount(threads: number | undefined, sync: boolean): number {
  const n = threads ?? 1;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `threads: expected a positive integer (e.g. os.availableParallelism() or navigator.hardwareConcurrency), got ${String(threads)}`,
    );
  }
  if (sync && n !== 1) {
    throw new RangeError(
      `threads: ${n} needs createModelAsync({ threads: ${n} }) (workers start asynchronously); createModel runs on one thread`,
    );
  }
  return n;
}

/** The host globals threads need, declared locally (the module has no DOM or Node types). */
export interface ThreadHost {
  readonly SharedArrayBuffer?: new (bytes: number) => ArrayBuffer;
  readonly Worker?: new (url: string) => BrowserWorker;
  readonly Blob?: new (parts: readonly string[], options: { readonly type: string }) => object;
  readonly URL?: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  readonly process?: { getBuiltinModule?(id: string): unknown };
  readonly console?: { warn(message: string): void };
  readonly performance?: { now(): number };
}

/** A browser Worker, as far as used. */
export interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onerror: ((event: { readonly message?: string }) => void) | null;
}

/** A `node:worker_threads` Worker, as far as used. */
export interface NodeWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
  unref(): void;
  on(event: 'message' | 'error', listener: (value: unknown) => void): void;
}

/** One worker, whatever the platform. */
export interface ThreadWorker {
  post(message: unknown): void;
  terminate(): void;
  /** Lets the process exit while the worker idles (Node); nothing in browsers. */
  unref(): void;
  onMessage(listener: (data: unknown) => void): void;
  onError(listener: (message: string) => void): void;
}

/**
 * Slots of the control array (Int32, shared), each group on its own cache line: `job` the job
 * counter workers wait on (−1: stop), `chunk` the chunk counter (job tag << 10 | next chunk),
 * `done` chunks done, `failed` a worker failed, then the job's fields: the function and tail
 * function indices, the C, A, B and extra pointers and their per-chunk steps, the run-time dims,
 * the chunk counts, and the packing space (thread t packs B at pack + t·packStride). TypeScript
 * kernels' jobs (`splitJsRows`) also fill `views` (how many arrays the row function takes) and,
 * from `view`, each array's byte offset and length in the shared memory.
 */
export const CTRL = {
  job: 0,
  chunk: 16,
  done: 32,
  failed: 33,
  fi: 48,
  tail: 49,
  c: 50,
  a: 51,
  b: 52,
  x: 53,
  tailX: 54,
  full: 55,
  total: 56,
  cStep: 57,
  aStep: 58,
  pack: 59,
  packStride: 60,
  bStep: 61,
  extra: 62,
  extraStep: 63,
  views: 64,
  view: 65,
} as const;

/** The most arrays a TypeScript row function can take (its view table fills CTRL.view onwards). */
export const JS_THREAD_VIEWS = 32;

/**
 * The workers' code: instantiate the matmul module over the shared memory (or rebuild the
 * TypeScript row functions from their source), then help with jobs
 * until told to stop. A job is a run of chunks (row blocks of one product); every thread, the
 * caller included, claims chunks from a shared counter, so a worker the OS has descheduled delays
 * a job by at most the chunk it holds. The counter carries the job's tag, so a late worker cannot
 * claim a chunk of a newer job with an older job's fields. After each job a worker spins on the job
 * counter for a while (a hand-off then costs well under a microsecond), then sleeps in Atomics.wait
 * (90 µs to wake at the median here, up to milliseconds). Plain JavaScript: a Blob URL (browsers) or `eval: true` (Node)
 * runs it as it is; its chunk loop is `runChunks` below, written out again. (Indented, so no line of
 * it starts at column 0, where emit-module.ts looks for the next declaration.)
 */
export const WORKER_SOURCE = `  'use strict';
  const nodeThreads = typeof process === 'object' ? process.getBuiltinModule('node:worker_threads') : undefined;
  const port = nodeThreads !== undefined ? nodeThreads.parentPort : self;
  const wasmFunctions = (msg) => {
    const instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } });
    return msg.functions.map((fn) => {
      const f = instance.exports[fn.name];
      if (fn.extra) {
        if (fn.dim) return fn.pack ? f : (c, a, b, z, x) => f(c, a, b, z, x);
        return fn.pack ? (c, a, b, z, x, p) => f(c, a, b, z, p) : (c, a, b, z) => f(c, a, b, z);
      }
      if (fn.dim) return fn.pack ? (c, a, b, z, x, p) => f(c, a, b, x, p) : (c, a, b, z, x) => f(c, a, b, x);
      return fn.pack ? (c, a, b, z, x, p) => f(c, a, b, p) : (c, a, b) => f(c, a, b);
    });
  };
  // TypeScript kernels: the row functions rebuilt from their source text (an expression giving
  // them all, with the helpers they call); a chunk gets its arrays as views of the shared memory
  // (the job's view table), then B and its rows c ≤ i < c + x.
  const jsFunctions = (msg, ctrl) => {
    const Floats = msg.float64 ? Float64Array : Float32Array;
    let rows;
    try {
      rows = (0, eval)(msg.source);
    } catch (err) {
      throw new Error('cannot rebuild the TypeScript kernels from their source (' + String(err && err.message) + '; a Content-Security-Policy without unsafe-eval blocks this: use threads: 1 or --kernels wasm-simd)');
    }
    // The arguments (views of the shared memory, then B and the rows) are made again only when
    // the view table or the memory changed (a new job's arrays, or a grown memory): the chunks of
    // one job allocate nothing.
    const table = new Int32Array(${2 * JS_THREAD_VIEWS});
    let count = -1;
    let buffer;
    let args = [];
    const argsOfJob = () => {
      const n = ctrl[${CTRL.views}];
      const current = msg.memory.buffer;
      let same = current === buffer && n === count;
      for (let i = 0; same && i < 2 * n; i++) same = table[i] === ctrl[${CTRL.view} + i];
      if (same) return args;
      buffer = current;
      count = n;
      args = [];
      for (let i = 0; i < 2 * n; i++) table[i] = ctrl[${CTRL.view} + i];
      for (let v = 0; v < n; v++) args.push(new Floats(buffer, table[2 * v], table[2 * v + 1]));
      args.push(0, 0, 0);
      return args;
    };
    return rows.map((f) => (c, a, b, z, x) => {
      const args = argsOfJob();
      args[count] = a;
      args[count + 1] = c;
      args[count + 2] = c + x;
      f.apply(undefined, args);
    });
  };
  const start = (msg) => {
    const ctrl = new Int32Array(msg.control);
    let fns;
    try {
      fns = msg.source !== undefined ? jsFunctions(msg, ctrl) : wasmFunctions(msg);
    } catch (err) {
      port.postMessage('failed: ' + String(err && err.message));
      return;
    }
    port.postMessage('ready');
    let last = 0;
    let spins = msg.spin; // asleep until the first job: an idle model costs no CPU
    for (;;) {
      let seq = Atomics.load(ctrl, ${CTRL.job});
      while (seq === last) {
        if (++spins > msg.spin) Atomics.wait(ctrl, ${CTRL.job}, last);
        seq = Atomics.load(ctrl, ${CTRL.job});
      }
      spins = 0;
      last = seq;
      if (seq < 0) break;
      const tag = (seq & 0x1fffff) << 10;
      for (;;) {
        const cur = Atomics.load(ctrl, ${CTRL.chunk});
        if ((cur & -1024) !== tag) break;
        const i = cur & 1023;
        const fi = ctrl[${CTRL.fi}], tail = ctrl[${CTRL.tail}], c = ctrl[${CTRL.c}], a = ctrl[${CTRL.a}], b = ctrl[${CTRL.b}], x = ctrl[${CTRL.x}];
        const tailX = ctrl[${CTRL.tailX}], full = ctrl[${CTRL.full}], total = ctrl[${CTRL.total}], cStep = ctrl[${CTRL.cStep}], aStep = ctrl[${CTRL.aStep}];
        const pack = ctrl[${CTRL.pack}] + msg.index * ctrl[${CTRL.packStride}], bStep = ctrl[${CTRL.bStep}], extra = ctrl[${CTRL.extra}], extraStep = ctrl[${CTRL.extraStep}];
        if (i >= total) break;
        if (Atomics.compareExchange(ctrl, ${CTRL.chunk}, cur, cur + 1) !== cur) continue;
        try {
          if (i < full) fns[fi](c + i * cStep, a + i * aStep, b + i * bStep, extra + i * extraStep, x, pack);
          else fns[tail](c + i * cStep, a + i * aStep, b + i * bStep, extra + i * extraStep, tailX, pack);
        } catch (err) {
          Atomics.store(ctrl, ${CTRL.failed}, 1);
        }
        if (Atomics.add(ctrl, ${CTRL.done}, 1) + 1 === total) Atomics.notify(ctrl, ${CTRL.done});
      }
    }
    if (nodeThreads !== undefined) port.close();
    else self.close();
  };
  if (nodeThreads !== undefined) port.once('message', start);
  else self.onmessage = (event) => { self.onmessage = null; start(event.data); };
`;

/** Ints of the control array: CTRL's slots and the view table, rounded up to whole cache lines. */
export const THREAD_CONTROL_INTS = Math.ceil((CTRL.view + 2 * JS_THREAD_VIEWS) / 16) * 16;

/** Spins (about 5 ns each here, 0.65 ms in all) a worker waits for its next job before it sleeps. */
export const THREAD_SPIN = 1 << 17;

/**
 * A matmul workers may run: its export, and whether it takes an extra pointer (a bias, the weights
 * an SGD store updates, or a saved activation), the run-time dim and
 * a pack pointer after c, a, b (in that order).
 */
export interface ThreadFunction {
  readonly name: string;
  readonly extra: boolean;
  readonly dim: boolean;
  readonly pack: boolean;
}

/** A matmul called as (c, a, b, extra pointer, run-time dim, pack pointer), whatever it takes. */
export type ThreadCall = (c: number, a: number, b: number, extra: number, x: number, pack: number) => void;

/** The call form of `f`, described by `fn`. */
export function threadCall(f: WasmMatmul, fn: ThreadFunction): ThreadCall {
  if (fn.extra) {
    if (fn.dim) return fn.pack ? (c, a, b, z, x, p) => f(c, a, b, z, x, p) : (c, a, b, z, x) => f(c, a, b, z, x);
    return fn.pack ? (c, a, b, z, _x, p) => f(c, a, b, z, p) : (c, a, b, z) => f(c, a, b, z);
  }
  if (fn.dim) return fn.pack ? (c, a, b, _z, x, p) => f(c, a, b, x, p) : (c, a, b, _z, x) => f(c, a, b, x);
  return fn.pack ? (c, a, b, _z, _x, p) => f(c, a, b, p) : (c, a, b) => f(c, a, b);
}

/** A started set of workers over the model's shared memory; the calling thread is thread 0. */
export interface ThreadPool {
  /** Threads including the caller. */
  readonly threads: number;
  readonly workers: readonly ThreadWorker[];
  readonly ctrl: Int32Array;
  /** The caller's own exports (or row functions), by function index. */
  fns: readonly ThreadCall[];
  /** The shared memory the threads work in. */
  readonly memory: WasmMemory;
  /** TypeScript kernels: the first byte past the arena and the batch's rows (inputs are copied there). */
  top: number;
  /** TypeScript kernels: the current job's arguments on the calling thread (arrays, B, row range). */
  args: (FloatArray | number)[];
  /** Atomics.wait is allowed here (not on a browser main thread). */
  readonly canWait: boolean;
  seq: number;
  /** Per function, `BACK_OFF_INTS` ints of back-off state (see `noteJob`). */
  readonly backOff: Int32Array;
  /**
   * Jobs that never back off: workers rebuild TypeScript row functions from source, so their first
   * chunks run unoptimized and would look like a worker holding the caller up (wasm: 0).
   */
  readonly grace: number;
}

/** The host's `globalThis`, typed as far as threads use it. */
export const threadHost = globalThis as unknown as ThreadHost;

/**
 * Whether `threads` can run here: shared memory and workers exist. If not (a browser page that
 * is not cross-origin isolated has no SharedArrayBuffer), says so in one line and returns false.
 */
export function canShareMemory(threads: number): boolean {
  if (threads <= 1) return false;
  const missing =
    threadHost.SharedArrayBuffer === undefined
      ? 'SharedArrayBuffer (serve the page cross-origin isolated: Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
      : workerFactory() === undefined
        ? 'a Worker (node:worker_threads on Node ≥ 20.16, or globalThis.Worker)'
        : undefined;
  if (missing === undefined) return true;
  threadHost.console?.warn(`chainrule: threads: ${threads} needs ${missing}; running on 1 thread`);
  return false;
}

/** How to start a worker running WORKER_SOURCE here, or undefined if this host has none. */
export function workerFactory(): (() => ThreadWorker) | undefined {
  const node = threadHost.process?.getBuiltinModule?.('node:worker_threads') as
    | { readonly Worker: new (code: string, options: { readonly eval: true }) => NodeWorker }
    | undefined;
  if (node !== undefined) {
    return () => {
      const w = new node.Worker(WORKER_SOURCE, { eval: true });
      return {
        post: (m) => w.postMessage(m),
        terminate: () => void w.terminate(),
        unref: () => w.unref(),
        onMessage: (f) => w.on('message', f),
        onError: (f) => w.on('error', (e) => f(String((e as { readonly message?: unknown }).message ?? e))),
      };
    };
  }
  const { Worker, Blob, URL } = threadHost;
  if (Worker === undefined || Blob === undefined || URL === undefined) return undefined;
  return () => {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(url);
    URL.revokeObjectURL(url);
    return {
      post: (m) => w.postMessage(m),
      terminate: () => w.terminate(),
      unref: () => undefined,
      onMessage: (f) => {
        w.onmessage = (e) => f(e.data);
      },
      onError: (f) => {
        w.onerror = (e) => f(e.message ?? 'the worker failed to start');
      },
    };
  };
}

/** Started workers, ready for jobs: the control array they share with the caller. */
export interface StartedWorkers {
  readonly workers: readonly ThreadWorker[];
  readonly ctrl: Int32Array;
  readonly canWait: boolean;
}

/**
 * Starts `threads - 1` workers, posts each `message` with the control array and its index, and
 * resolves when all are ready (or ends them all and rejects with the first failure).
 */
export async function startWorkers(
  threads: number,
  message: Readonly<Record<string, unknown>>,
): Promise<StartedWorkers> {
  const spawn = workerFactory();
  const SAB = threadHost.SharedArrayBuffer;
  if (spawn === undefined || SAB === undefined) throw new Error('threads: no Worker or SharedArrayBuffer here');
  const control = new SAB(THREAD_CONTROL_INTS * 4);
  const workers: ThreadWorker[] = [];
  const ready: Promise<void>[] = [];
  for (let t = 1; t < threads; t++) {
    const w = spawn();
    workers.push(w);
    ready.push(
      new Promise<void>((resolve, reject) => {
        w.onMessage((m) => (m === 'ready' ? resolve() : reject(new Error(`threads: a worker ${String(m)}`))));
        w.onError((message) => reject(new Error(`threads: a worker failed: ${message}`)));
      }),
    );
    w.post({ ...message, control, index: t, spin: THREAD_SPIN });
  }
  try {
    await Promise.all(ready);
  } catch (err) {
    for (const w of workers) w.terminate();
    throw err;
  }
  // Only now: an unref'd worker's 'ready' would not keep Node alive for the await above.
  for (const w of workers) w.unref();
  let canWait = true;
  try {
    Atomics.wait(new Int32Array(new SAB(4)), 0, 1, 0);
  } catch {
    canWait = false;
  }
  return { workers, ctrl: new Int32Array(control), canWait };
}

/**
 * Starts `threads - 1` workers, each with its own instance of `module` over the shared `memory`,
 * and resolves when all are ready. `functions`: the exports jobs may run, by function index.
 */
export async function startThreads(
  threads: number,
  module: WasmModule,
  memory: WasmMemory,
  exports: Readonly<Record<string, WasmMatmul>>,
  functions: readonly ThreadFunction[],
): Promise<ThreadPool> {
  const started = await startWorkers(threads, { module, memory, functions });
  const fns = functions.map((fn) => threadCall(wasmExport(exports, fn.name), fn));
  const backOff = new Int32Array(BACK_OFF_INTS * functions.length);
  return { threads, ...started, fns, memory, top: 0, args: [], seq: 0, backOff, grace: 0 };
}

/**
 * A TypeScript kernel's row function: its arrays, then B, then the rows it computes
 * (`rowFrom` ≤ i < `rowTo`). Self-contained (it names only its parameters, `Math` and the module
 * helpers sent along with it), so a worker can rebuild it from its source text.
 */
export type JsRowFunction = (...args: never[]) => void;

/** Jobs a TypeScript-kernel pool runs on every thread before it may back off (the workers' JIT warm-up). */
export const JS_THREAD_GRACE = 64;

/** Shared-memory pages a TypeScript-kernel pool may grow to (2 GiB: byte offsets fit an Int32). */
export const JS_THREAD_MAX_PAGES = 32768;

/**
 * Starts `threads - 1` workers for TypeScript kernels over a new shared memory (the model places
 * its arena there with `sharedFloats`). Each worker rebuilds `functions`, and the module's
 * `helpers` they call, from their source text, so a page whose Content-Security-Policy forbids
 * eval cannot run them: the failure rejects.
 */
export async function startJsThreads(
  threads: number,
  functions: readonly JsRowFunction[],
  helpers: readonly JsRowFunction[],
): Promise<ThreadPool> {
  const memory = new WebAssemblyApi.Memory({ initial: 1, maximum: JS_THREAD_MAX_PAGES, shared: true });
  const source = `(() => {\n${helpers.map(String).join('\n')}\nreturn [${functions.map(String).join(',\n')}];\n})()`;
  const started = await startWorkers(threads, { memory, source, float64: FloatArray.BYTES_PER_ELEMENT === 8 });
  const pool: ThreadPool = {
    threads,
    ...started,
    fns: [],
    memory,
    top: 0,
    args: [],
    seq: 0,
    backOff: new Int32Array(BACK_OFF_INTS * functions.length),
    grace: JS_THREAD_GRACE,
  };
  // On the calling thread a chunk runs over the job's own arrays (pool.args, set by splitJsRows).
  pool.fns = functions.map((f) => (c, a, _b, _z, x) => {
    const args = pool.args;
    const n = args.length - 3;
    args[n] = a;
    args[n + 1] = c;
    args[n + 2] = c + x;
    Reflect.apply(f, undefined, args);
  });
  return pool;
}

/**
 * `count` floats of the pool's shared memory from byte `at` (growing the memory when they do not
 * fit yet); marks everything before their end as taken (`pool.top`).
 */
export function sharedFloats(pool: ThreadPool, at: number, count: number): FloatArray {
  const end = at + count * FloatArray.BYTES_PER_ELEMENT;
  const have = pool.memory.buffer.byteLength;
  if (end > have) {
    if (end > JS_THREAD_MAX_PAGES * 65536)
      throw new RangeError(
        `threads: the model needs ${end} bytes of shared memory, more than 2 GiB (use a smaller batch)`,
      );
    pool.memory.grow(Math.ceil((end - have) / 65536));
  }
  pool.top = Math.max(pool.top, Math.ceil(end / 64) * 64);
  return new FloatArray(pool.memory.buffer, at, count);
}

/**
 * Runs TypeScript row function `fi` over rows 0 ≤ i < `rows` on all threads, in chunks of a
 * multiple of 4 rows (the register tile), about three per thread. `views`: its arrays, all in
 * the shared memory but those flagged in `copy` (the caller's inputs), which are copied there
 * first (past `pool.top`, where nothing else lives). Each row is computed whole by one thread,
 * so the result is the same for any thread count.
 */
export function splitJsRows(
  pool: ThreadPool,
  fi: number,
  views: readonly FloatArray[],
  copy: number,
  B: number,
  rows: number,
): void {
  const ctrl = pool.ctrl;
  const top = pool.top;
  const args: (FloatArray | number)[] = [];
  for (let v = 0; v < views.length; v++) {
    let view = views[v] as FloatArray;
    if ((copy & (1 << v)) !== 0) {
      // Staged past everything the model keeps in the memory; the next staged array after it.
      const staged = sharedFloats(pool, pool.top, view.length);
      staged.set(view);
      view = staged;
    }
    ctrl[CTRL.view + 2 * v] = view.byteOffset;
    ctrl[CTRL.view + 2 * v + 1] = view.length;
    args.push(view);
  }
  pool.top = top;
  ctrl[CTRL.views] = views.length;
  args.push(B, 0, 0);
  pool.args = args;
  const chunk = Math.max(4, Math.ceil(rows / (3 * pool.threads) / 4) * 4);
  const full = Math.floor(rows / chunk);
  const left = rows - full * chunk;
  runChunks(pool, fi, fi, 0, B, 0, chunk, left, full, full + (left > 0 ? 1 : 0), chunk, 0, 0, 0, 0, 0, 0);
}

/** Tells every worker to stop and ends it; the pool must not be used afterwards. */
export function stopThreads(pool: ThreadPool): void {
  Atomics.store(pool.ctrl, CTRL.job, -1);
  Atomics.notify(pool.ctrl, CTRL.job);
  for (const w of pool.workers) w.terminate();
}

/**
 * Runs `total` chunks on all threads: chunk i < full is `fns[fi](c + i·cStep, a + i·aStep, b + i·bStep, extra + i·extraStep, x)`,
 * the others `fns[tail](…, tailX)`; thread t packs B at `pack + t·packStride`. Returns when every
 * chunk is done. Which thread computes a chunk does not change its values, so results are the same
 * for any thread count. Whether the job saved time is judged by the chunks the caller ran (on a
 * machine with more busy threads than cores, workers get little CPU or are descheduled holding a
 * chunk); `noteJob` then backs off, so threads never cost much more than they can save.
 */
export function runChunks(
  pool: ThreadPool,
  fi: number,
  tail: number,
  c: number,
  a: number,
  b: number,
  x: number,
  tailX: number,
  full: number,
  total: number,
  cStep: number,
  aStep: number,
  bStep: number,
  extra: number,
  extraStep: number,
  pack: number,
  packStride: number,
): void {
  const backOff = pool.backOff;
  const alone = backOff[BACK_OFF_INTS * fi] as number;
  if (alone > 0) {
    backOff[BACK_OFF_INTS * fi] = alone - 1;
    // The workers have likely gone to sleep: wake them now, so the next job finds them spinning.
    if (alone === 1) wakeThreads(pool);
    for (let i = 0; i < total; i++) {
      const z = extra + i * extraStep;
      if (i < full) (pool.fns[fi] as ThreadCall)(c + i * cStep, a + i * aStep, b + i * bStep, z, x, pack);
      else (pool.fns[tail] as ThreadCall)(c + i * cStep, a + i * aStep, b + i * bStep, z, tailX, pack);
    }
    return;
  }
  const clock = threadHost.performance;
  const started = clock?.now() ?? 0;
  const ctrl = pool.ctrl;
  const seq = retagJob(pool);
  ctrl[CTRL.fi] = fi;
  ctrl[CTRL.tail] = tail;
  ctrl[CTRL.c] = c;
  ctrl[CTRL.a] = a;
  ctrl[CTRL.b] = b;
  ctrl[CTRL.x] = x;
  ctrl[CTRL.tailX] = tailX;
  ctrl[CTRL.full] = full;
  ctrl[CTRL.total] = total;
  ctrl[CTRL.cStep] = cStep;
  ctrl[CTRL.aStep] = aStep;
  ctrl[CTRL.pack] = pack;
  ctrl[CTRL.packStride] = packStride;
  ctrl[CTRL.bStep] = bStep;
  ctrl[CTRL.extra] = extra;
  ctrl[CTRL.extraStep] = extraStep;
  announceJob(ctrl, seq);
  let mine = 0;
  for (;;) {
    const cur = Atomics.load(ctrl, CTRL.chunk);
    const i = cur & 1023;
    if (i >= total) break;
    if (Atomics.compareExchange(ctrl, CTRL.chunk, cur, cur + 1) !== cur) continue;
    const z = extra + i * extraStep;
    if (i < full) (pool.fns[fi] as ThreadCall)(c + i * cStep, a + i * aStep, b + i * bStep, z, x, pack);
    else (pool.fns[tail] as ThreadCall)(c + i * cStep, a + i * aStep, b + i * bStep, z, tailX, pack);
    Atomics.add(ctrl, CTRL.done, 1);
    mine++;
  }
  const own = clock?.now() ?? 0;
  let spins = 0;
  for (let done = Atomics.load(ctrl, CTRL.done); done !== total; done = Atomics.load(ctrl, CTRL.done)) {
    if (++spins > THREAD_SPIN && pool.canWait) Atomics.wait(ctrl, CTRL.done, done, 10);
  }
  if (ctrl[CTRL.failed] !== 0) throw new Error('threads: a matmul failed in a worker (create the model again)');
  // Alone, the caller would have taken about (own − started) / mine per chunk. A job one side ran
  // whole (the other descheduled, or still waking) took no longer than one thread: no verdict.
  if (clock !== undefined && seq > pool.grace && mine > 0 && mine < total)
    noteJob(backOff, fi, (clock.now() - started) * mine > 0.9 * (own - started) * total);
}

/**
 * Wakes sleeping workers with an empty job, so they spin, ready, when the next job comes: a wake
 * takes about 0.1 ms, and up to milliseconds on a virtual machine (measured here: median 90 µs,
 * 99th percentile 0.3–1.5 ms), longer than many jobs.
 */
export function wakeThreads(pool: ThreadPool): void {
  const seq = retagJob(pool);
  pool.ctrl[CTRL.total] = 0;
  announceJob(pool.ctrl, seq);
}

/**
 * Starts the pool's next job: its number, and the chunk counter retagged with it before any field
 * is written, so a worker still on the last job can no longer claim anything (the worker source
 * reads the same tag: bits 10 and up of the counter, the job number's low 21 bits).
 */
export function retagJob(pool: ThreadPool): number {
  const seq = (pool.seq + 1) & 0x3fffffff;
  pool.seq = seq;
  Atomics.store(pool.ctrl, CTRL.chunk, (seq & 0x1fffff) << 10);
  return seq;
}

/** Publishes job `seq` once its fields are written (no chunk done yet) and wakes sleeping workers. */
export function announceJob(ctrl: Int32Array, seq: number): void {
  Atomics.store(ctrl, CTRL.done, 0);
  Atomics.store(ctrl, CTRL.job, seq);
  Atomics.notify(ctrl, CTRL.job);
}

/** Ints of back-off state per function: jobs left to run alone, the next back-off, jobs lost in a row. */
export const BACK_OFF_INTS = 3;

/**
 * Records how a threaded job of function `fi` went: `lost` when the workers made the caller wait
 * about as long as it would have taken alone (workers descheduled or busy elsewhere). Two lost
 * jobs in a row make the next 16, 32, … up to 4096 jobs of `fi` run on the calling thread alone;
 * a job that was not lost resets the count. One lost job is no pattern: the OS preempts a worker
 * for a few milliseconds now and then, and backing off for it cost a third of the jobs of a
 * training run measured on an idle 2-core machine. The state is per function, so a small product
 * whose chunks the workers cannot keep up with does not take the threads from the big ones.
 */
export function noteJob(backOff: Int32Array, fi: number, lost: boolean): void {
  const at = BACK_OFF_INTS * fi;
  if (!lost) {
    backOff[at + 1] = 0;
    backOff[at + 2] = 0;
    return;
  }
  const strikes = (backOff[at + 2] as number) + 1;
  backOff[at + 2] = strikes;
  if (strikes < 2) return;
  const next = Math.min(4096, Math.max(16, 2 * (backOff[at + 1] as number)));
  backOff[at + 1] = next;
  backOff[at] = next;
}

/**
 * nn/nt over rows: C's and A's rows in chunks of a multiple of 4 (the register tile), about three
 * per thread; `fi` takes the row count after the extra pointer `z` (a bias, which stays put:
 * `zRow` 0; or a saved value laid out like C: `zRow` = `cRow`; ignored by functions without one).
 */
export function splitRows(
  pool: ThreadPool,
  fi: number,
  c: number,
  a: number,
  b: number,
  z: number,
  zRow: number,
  rows: number,
  cRow: number,
  aRow: number,
  pack: number,
  packStride: number,
): void {
  const chunk = Math.max(4, Math.ceil(rows / (3 * pool.threads) / 4) * 4);
  const full = Math.floor(rows / chunk);
  const left = rows - full * chunk;
  const total = full + (left > 0 ? 1 : 0);
  runChunks(
    pool,
    fi,
    fi,
    c,
    a,
    b,
    chunk,
    left,
    full,
    total,
    chunk * cRow,
    chunk * aRow,
    0,
    z,
    chunk * zRow,
    pack,
    packStride,
  );
}

/**
 * nn/nt over columns: `blocks` blocks of C's columns computed by `fi`, then a narrower last block
 * by `tail` (−1: none); block i starts `cStep` bytes into C and `bStep` into B. Every block reads
 * all of A and packs only its own panels of B, so no thread packs what another packs (row chunks
 * each pack all of B). `extra` (ignored by functions without one) advances with C's columns; `rows` is the run-time row
 * count (for the functions that take one).
 */
export function splitCols(
  pool: ThreadPool,
  fi: number,
  tail: number,
  c: number,
  a: number,
  b: number,
  extra: number,
  rows: number,
  blocks: number,
  cStep: number,
  bStep: number,
  pack: number,
  packStride: number,
): void {
  const total = blocks + (tail < 0 ? 0 : 1);
  // The extra pointer (a bias, or a saved activation laid out like C) advances with C's columns.
  runChunks(pool, fi, tail, c, a, b, rows, rows, blocks, total, cStep, 0, bStep, extra, cStep, pack, packStride);
}

/**
 * tn over output rows: `blocks` blocks of rows computed by `fi`, then a shorter last block by
 * `tail` (−1: none); block i starts `cStep` bytes into C and `aStep` into A. `w`: the weights an
 * SGD store updates, laid out like C, so they advance with it (ignored by functions without one).
 */
export function splitBlocks(
  pool: ThreadPool,
  fi: number,
  tail: number,
  c: number,
  a: number,
  b: number,
  w: number,
  k: number,
  blocks: number,
  cStep: number,
  aStep: number,
  pack: number,
  packStride: number,
): void {
  const total = blocks + (tail < 0 ? 0 : 1);
  // w advances with C (a function that takes no w ignores it; 0 is a valid pointer, not "none").
  runChunks(pool, fi, tail, c, a, b, k, k, blocks, total, cStep, aStep, 0, w, cStep, pack, packStride);
}

/** A tensor of a safetensors file: where its bytes are (relative to the data section) and what they hold. */
export interface SafetensorsEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A checked safetensors file: every entry's offsets tile the data section exactly. */
export interface SafetensorsFile {
  readonly tensors: Readonly<Record<string, SafetensorsEntry>>;
  readonly metadata: Readonly<Record<string, string>>;
  /** The data section. */
  readonly data: DataView;
}

/** UTF-8 decoding from the host (every JS runtime has TextDecoder). */
export const utf8 = new (
  globalThis as unknown as { readonly TextDecoder: new () => { decode(b: Uint8Array): string } }
).TextDecoder();

/**
 * Parses a safetensors header (the format of chainrule's weights files: an 8-byte little-endian
 * header length, a JSON header, then the tensor bytes) and checks every offset against the
 * layout. Reads nothing outside `bytes` and allocates nothing from an untrusted size.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const bad = (what: string): RangeError =>
    new RangeError(
      `weights: not a valid safetensors file: ${what} (pass weights.safetensors from \`chainrule train\`)`,
    );
  if (!(bytes instanceof Uint8Array))
    throw new TypeError(`weights: expected a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length < 8) throw bad(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
  if (n > Math.min(100 * 1024 * 1024, bytes.length - 8)) {
    throw bad(`the header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw bad(`the header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad('the header is not a JSON object');
  const dataBytes = bytes.length - 8 - n;
  const tensors: Record<string, SafetensorsEntry> = {};
  const metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  const natural = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw bad(`tensor '${name}' is not an object`);
    const e = entry as { readonly dtype?: unknown; readonly shape?: unknown; readonly data_offsets?: unknown };
    const size = e.dtype === 'F64' ? 8 : e.dtype === 'F32' || e.dtype === 'I32' ? 4 : 0;
    if (size === 0) throw bad(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; expected F32, F64 or I32`);
    const shape = e.shape;
    const offsets = e.data_offsets;
    if (!Array.isArray(shape) || !shape.every(natural)) throw bad(`tensor '${name}' has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(natural)) {
      throw bad(`tensor '${name}' has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataBytes) {
      throw bad(`tensor '${name}' has data_offsets [${begin}, ${end}] outside the ${dataBytes} data bytes`);
    }
    if (end - begin !== count * size) {
      throw bad(
        `tensor '${name}' has ${end - begin} bytes but shape [${shape.join(', ')}] of ${e.dtype} needs ${count * size}`,
      );
    }
    tensors[name] = { dtype: e.dtype as string, shape: shape as number[], begin, end };
    ranges.push([begin, end, name]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== at) throw bad(`tensor '${name}' starts at byte ${begin}, expected ${at} (overlap or hole)`);
    at = end;
  }
  if (at !== dataBytes) throw bad(`${dataBytes - at} bytes after the last tensor are not described by the header`);
  return { tensors, metadata, data: new DataView(bytes.buffer, bytes.byteOffset + 8 + n, dataBytes) };
}

/** Value `i` of a float tensor (little-endian, any alignment). */
export function tensorValue(file: SafetensorsFile, entry: SafetensorsEntry, i: number): number {
  return entry.dtype === 'F64'
    ? file.data.getFloat64(entry.begin + i * 8, true)
    : file.data.getFloat32(entry.begin + i * 4, true);
}

/**
 * Checks that `file` holds every parameter with the expected shape, as finite F32/F64 values,
 * and nothing else but optimizer state (`optimizer/…`, in checkpoints). Writes nothing.
 */
export function checkWeights(file: SafetensorsFile, shapes: Readonly<Record<string, readonly number[]>>): void {
  for (const name of Object.keys(file.tensors)) {
    if (!Object.hasOwn(shapes, name) && !name.startsWith('optimizer/')) {
      throw new RangeError(`weights: unknown tensor '${name}' (expected ${Object.keys(shapes).join(', ')})`);
    }
  }
  for (const [name, shape] of Object.entries(shapes)) {
    const entry = Object.hasOwn(file.tensors, name) ? file.tensors[name] : undefined;
    if (entry === undefined) throw new RangeError(`weights: missing tensor '${name}'`);
    if (entry.dtype !== 'F32' && entry.dtype !== 'F64') {
      throw new RangeError(`weights: tensor '${name}' has dtype ${entry.dtype}; parameters are F32 or F64`);
    }
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(
        `weights: tensor '${name}' has shape [${entry.shape.join(', ')}], this model needs [${shape.join(', ')}] (weights are [in, out])`,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < count; i++) {
      const v = tensorValue(file, entry, i);
      if (v - v !== 0) throw new RangeError(`weights: tensor '${name}' value ${i} is ${v}, not finite`);
    }
  }
}

/** How raw inputs were prepared in training: per-feature `(x − mean) / std` (absent: used as they are). */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** What a chainrule weights file says about preparing inputs and naming classes. */
export interface WeightsPreprocessing {
  readonly standardizer: Standardizer | null;
  /** Class names by index (empty: classes are shown as their index). */
  readonly classNames: readonly string[];
}

/**
 * Reads the preprocessing `chainrule train` recorded in the file's metadata (`run`), checked
 * against the model: the standardizer's width must match the input row, the class names the
 * class count. A file without a `run` (not written by train) has no preprocessing.
 */
export function readPreprocessing(
  metadata: Readonly<Record<string, string>>,
  features: number,
  classes: number,
): WeightsPreprocessing {
  const bad = (what: string): RangeError => new RangeError(`weights: __metadata__.run ${what}`);
  const text = metadata['run'];
  if (text === undefined) return { standardizer: null, classNames: [] };
  let run: unknown;
  try {
    run = JSON.parse(text);
  } catch {
    throw bad('is not JSON');
  }
  if (typeof run !== 'object' || run === null) throw bad('is not an object');
  const r = run as { readonly standardizer?: unknown; readonly classNames?: unknown };
  const numbers = (v: unknown, what: string, positive: boolean): Float64Array => {
    if (!Array.isArray(v) || v.length !== features) {
      throw bad(`standardizer.${what} must be an array of ${features} numbers (one per input feature)`);
    }
    const out = new Float64Array(features);
    v.forEach((x: unknown, i) => {
      if (typeof x !== 'number' || x - x !== 0 || (positive && x <= 0)) {
        throw bad(
          `standardizer.${what}[${i}] is ${JSON.stringify(x)}, expected a finite${positive ? ' positive' : ''} number`,
        );
      }
      out[i] = x;
    });
    return out;
  };
  let standardizer: Standardizer | null = null;
  if (r.standardizer !== undefined && r.standardizer !== null) {
    if (typeof r.standardizer !== 'object') throw bad('standardizer is not an object');
    const s = r.standardizer as { readonly mean?: unknown; readonly std?: unknown };
    standardizer = { mean: numbers(s.mean, 'mean', false), std: numbers(s.std, 'std', true) };
  }
  const names = r.classNames ?? [];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    throw bad('classNames is not a list of strings');
  if (names.length !== 0 && names.length !== classes) {
    throw bad(`classNames has ${names.length} names but the model has ${classes} classes`);
  }
  return { standardizer, classNames: names as string[] };
}

/** `(x − mean) / std` per feature, row by row, into `out` (computed in doubles, like `chainrule predict`). */
export function standardizeInto(out: FloatArray, x: FloatArray, s: Standardizer): void {
  const f = s.mean.length;
  for (let i = 0; i < x.length; i++) {
    const c = i % f;
    out[i] = ((x[i] as number) - (s.mean[c] as number)) / (s.std[c] as number);
  }
}
