// The prelude (compiler/codegen/prelude.ts) is what generated modules carry: its shipped text is
// current, every declaration is found, a module carries exactly the helpers its code names, and
// the safetensors checks refuse bad files before anything is written, and the thread back-off
// keeps to its rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { preludeFor, preludeItems } from '../../../compiler/codegen/module-helpers.js';
import {
  assertFinite,
  assertFiniteScanned,
  BACK_OFF_INTS,
  CTRL,
  checkWeights,
  FINITE_SCAN_MIN,
  FINITE_SCAN_WASM,
  finiteScanner,
  noteJob,
  parseSafetensors,
  readPreprocessing,
  runChunks,
  THREAD_CONTROL_INTS,
  type ThreadPool,
} from '../../../compiler/codegen/prelude.js';
import { PRELUDE_SOURCE } from '../../../compiler/codegen/prelude-source.js';
import { finiteScanModule } from '../../../compiler/codegen/wasm/finite-scan.js';
import { encodeSafetensors } from '../../../runtime/safetensors.js';
import { compile } from '../../../src/api.js';
import { exampleSpec } from '../../support/examples.js';

const source = readFileSync(new URL('../../../compiler/codegen/prelude.ts', import.meta.url), 'utf8');

describe('the prelude', () => {
  it('prelude-source.ts is prelude.ts (run `npm run gen:prelude` after editing prelude.ts)', () => {
    expect(PRELUDE_SOURCE).toBe(source);
  });

  it('every exported declaration is an item, copied without `export`', () => {
    const exported = [...source.matchAll(/^export (?:async )?(?:function|const|interface|type) (\w+)/gm)].map(
      (m) => m[1],
    );
    const names = preludeItems().map((i) => i.name);
    expect(names).toEqual([...new Set(exported)].filter((n) => n !== 'FloatArray'));
    for (const item of preludeItems()) expect(item.text).not.toMatch(/^export /m);
  });

  it('a module carries only what it uses, with its dependencies, in the float type', () => {
    expect(preludeFor('const a = 1; // fillUniform in a comment', 'Float32Array')).toEqual([]);
    const [gelu, ...rest] = preludeFor('x = geluDerivative(y);', 'Float64Array');
    expect(gelu).toMatch(/^\/\*\* Derivative of the tanh-approximated GELU\. \*\/\nfunction geluDerivative/);
    expect(rest).toEqual([]);
    const loader = preludeFor('parseSafetensors(bytes)', 'Float64Array').join('\n');
    expect(loader).toMatch(/function parseSafetensors/);
    expect(loader).toMatch(/function describeValue/); // used by parseSafetensors
    expect(loader).toMatch(/const utf8 = /);
    expect(loader).not.toMatch(/FloatArray/);
  });

  it('models without GELU carry no geluDerivative; models without wasm no decoder', () => {
    const xor = compile(exampleSpec('xor_mlp'), { kernels: 'js' }).source;
    expect(xor).not.toMatch(/geluDerivative|decodeBase64|WebAssemblyApi\.(Module|Instance|compile)/);
    expect(compile(exampleSpec('xor_mlp'), { kernels: 'wasm-simd' }).source).toMatch(/function decodeBase64/);
  });
});

describe('assertFinite (a WebAssembly scan or four running sums, then a search)', () => {
  it('finds NaN and ±Infinity at every position of every length, in the unrolled lanes and the tail', () => {
    for (let n = 1; n <= 11; n++) {
      const clean = Float32Array.from({ length: n }, (_, i) => (i % 3) - 1.5 + i * 1e30);
      expect(() => assertFinite('x', clean, 3)).not.toThrow();
      for (let at = 0; at < n; at++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const data = clean.slice();
          data[at] = bad;
          expect(() => assertFinite('x', data, 3)).toThrow(
            `x: non-finite value ${bad} at row ${Math.floor(at / 3)}, column ${at % 3}`,
          );
        }
      }
    }
  });

  it('FINITE_SCAN_WASM is what finite-scan.ts builds (paste the printed text into prelude.ts if not)', () => {
    const built = Buffer.from(finiteScanModule()).toString('base64');
    expect(FINITE_SCAN_WASM, built).toBe(built);
  });

  it('the WebAssembly scan (long float32 arrays) finds NaN and ±Infinity in every lane, step and tail', () => {
    finiteScanner.scan = undefined;
    for (const n of [FINITE_SCAN_MIN, FINITE_SCAN_MIN + 1, 271, 272, 1000, 64 * 784 + 5]) {
      const clean = Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) * (i % 5 === 0 ? 1e38 : 1));
      expect(() => assertFiniteScanned('x', clean, 16)).not.toThrow();
      for (const at of new Set([0, 1, 3, 4, 15, 16, 17, 47, 63, 64, Math.floor(n / 2), n - 2, n - 1])) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const data = clean.slice();
          data[at] = bad;
          expect(() => assertFiniteScanned('x', data, 16), `n ${n}, at ${at}`).toThrow(
            `x: non-finite value ${bad} at row ${Math.floor(at / 16)}, column ${at % 16}`,
          );
        }
      }
    }
    expect(finiteScanner.scan).not.toBeNull(); // the scan ran (Node has WebAssembly SIMD)
  });

  it("the scan's padding is cleared: a shorter array after a failing longer one passes", () => {
    const long = new Float32Array(1000);
    long[999] = Number.NaN;
    expect(() => assertFiniteScanned('x', long, 10)).toThrow('at row 99, column 9');
    expect(() => assertFiniteScanned('x', new Float32Array(990), 10)).not.toThrow();
  });

  it('without the scan (no WebAssembly, or a CSP that blocks it) the JavaScript sums decide', () => {
    const saved = finiteScanner.scan;
    finiteScanner.scan = null;
    try {
      const data = new Float32Array(4096);
      expect(() => assertFiniteScanned('x', data, 64)).not.toThrow();
      data[4095] = Number.NEGATIVE_INFINITY;
      expect(() => assertFiniteScanned('x', data, 64)).toThrow('non-finite value -Infinity at row 63, column 63');
    } finally {
      finiteScanner.scan = saved;
    }
  });

  it('float64 data never goes through the float32 scan (1e300 is finite)', () => {
    finiteScanner.scan = undefined;
    const data = new Float64Array(4096).fill(1e300);
    expect(() => assertFiniteScanned('x', data as unknown as Float32Array, 64)).not.toThrow();
    expect(finiteScanner.scan).toBeUndefined(); // not even started
  });

  it('f32 modules with WebAssembly matmuls scan their inputs; --kernels js modules stay pure TypeScript', () => {
    expect(compile(exampleSpec('mnist_mlp'), { kernels: 'wasm-simd' }).source).toMatch(
      /if \(finite\) assertFiniteScanned\("x", input0, 784\);/,
    );
    const js = compile(exampleSpec('mnist_mlp'), { kernels: 'js' }).source;
    expect(js).toMatch(/if \(finite\) assertFinite\("x", input0, 784\);/);
    expect(js).not.toMatch(/FINITE_SCAN|assertFiniteScanned|decodeBase64/);
  });

  it('+Infinity and −Infinity in different lanes do not cancel', () => {
    const data = new Float32Array([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, 2]);
    expect(() => assertFinite('x', data, 4)).toThrow('non-finite value Infinity at row 0, column 0');
  });
});

describe('safetensors checks (before anything is written)', () => {
  const weights = (shape: number[], values: number[], metadata: Record<string, string> = {}): Uint8Array =>
    encodeSafetensors({ w: { data: Float32Array.from(values), shape } }, metadata);

  it('accepts a file with the expected shape and finite values', () => {
    expect(() => checkWeights(parseSafetensors(weights([2, 2], [1, 2, 3, 4])), { w: [2, 2] })).not.toThrow();
  });

  it.each([
    ['a transposed shape', weights([1, 4], [1, 2, 3, 4]), /has shape \[1, 4\], this model needs \[2, 2\]/],
    ['NaN', weights([2, 2], [1, Number.NaN, 3, 4]), /value 1 is NaN, not finite/],
    ['a truncated file', weights([2, 2], [1, 2, 3, 4]).subarray(0, 30), /not a valid safetensors file/],
    ['a header length past the end', new Uint8Array([255, 255, 255, 0, 0, 0, 0, 0, 123]), /runs past the end/],
  ])('rejects %s', (_what, bytes, message) => {
    expect(() => checkWeights(parseSafetensors(bytes), { w: [2, 2] })).toThrow(message);
  });

  it('reads the standardizer and class names, checked against the model', () => {
    const run = (r: unknown): Record<string, string> => ({ run: JSON.stringify(r) });
    const ok = readPreprocessing(
      run({ standardizer: { mean: [1, 2], std: [3, 4] }, classNames: ['a', 'b', 'c'] }),
      2,
      3,
    );
    expect([...(ok.standardizer?.mean ?? [])]).toEqual([1, 2]);
    expect(ok.classNames).toEqual(['a', 'b', 'c']);
    expect(readPreprocessing({}, 2, 3)).toEqual({ standardizer: null, classNames: [] });
    expect(() => readPreprocessing(run({ standardizer: { mean: ['1', 2], std: [3, 4] } }), 2, 3)).toThrow(
      /standardizer\.mean\[0\] is "1"/,
    );
    expect(() => readPreprocessing(run({ standardizer: { mean: [1, 2], std: [0, 4] } }), 2, 3)).toThrow(/positive/);
    expect(() => readPreprocessing(run({ standardizer: 5 }), 2, 3)).toThrow(/not an object/);
    expect(() => readPreprocessing(run({ standardizer: { mean: [1], std: [1] } }), 2, 3)).toThrow(/2 numbers/);
    expect(() => readPreprocessing(run({ classNames: ['a'] }), 2, 3)).toThrow(/1 names but the model has 3/);
  });
});

describe('thread back-off (noteJob, runChunks)', () => {
  const state = (functions: number): Int32Array => new Int32Array(BACK_OFF_INTS * functions);
  const alone = (s: Int32Array, fi: number): number => s[BACK_OFF_INTS * fi] as number;

  it('one lost job is no pattern; two in a row back off 16 jobs, then 32, 64, … up to 4096', () => {
    const s = state(2);
    noteJob(s, 1, true);
    expect(alone(s, 1)).toBe(0);
    noteJob(s, 1, true);
    expect(alone(s, 1)).toBe(16);
    // After the back-off, one more lost job is enough: the count was not reset by a good job.
    const lengths = [];
    for (let i = 0; i < 10; i++) {
      noteJob(s, 1, true);
      lengths.push(alone(s, 1));
    }
    expect(lengths).toEqual([32, 64, 128, 256, 512, 1024, 2048, 4096, 4096, 4096]);
    expect(alone(s, 0)).toBe(0); // per function: the other keeps its threads
  });

  it('a job that was not lost resets the count and the next back-off length', () => {
    const s = state(1);
    noteJob(s, 0, true);
    noteJob(s, 0, false);
    noteJob(s, 0, true);
    expect(alone(s, 0)).toBe(0);
    noteJob(s, 0, true);
    expect(alone(s, 0)).toBe(16);
    noteJob(s, 0, false);
    noteJob(s, 0, true);
    noteJob(s, 0, true);
    expect(alone(s, 0)).toBe(16);
  });

  it('runChunks runs a backed-off function on the calling thread, in order, and wakes the workers before its last lone job', () => {
    const ran: number[] = [];
    const ctrl = new Int32Array(new SharedArrayBuffer(4 * THREAD_CONTROL_INTS));
    const call = (c: number): void => {
      ran.push(c);
    };
    const pool: ThreadPool = {
      threads: 2,
      workers: [],
      ctrl,
      fns: [call, call],
      memory: { buffer: new ArrayBuffer(0), grow: () => 0 },
      top: 0,
      args: [],
      canWait: true,
      seq: 5,
      backOff: state(2),
      grace: 0,
    };
    pool.backOff[BACK_OFF_INTS * 1] = 2;
    runChunks(pool, 1, 1, 100, 0, 0, 4, 2, 2, 3, 10, 0, 0, 0, 0, 0, 0);
    expect(ran).toEqual([100, 110, 120]);
    expect([alone(pool.backOff, 1), Atomics.load(ctrl, CTRL.job)]).toEqual([1, 0]); // still asleep
    runChunks(pool, 1, 1, 200, 0, 0, 4, 2, 2, 3, 10, 0, 0, 0, 0, 0, 0);
    expect(ran.slice(3)).toEqual([200, 210, 220]);
    // The wake-up: an empty job (no chunks) under a new tag.
    expect([alone(pool.backOff, 1), Atomics.load(ctrl, CTRL.job), ctrl[CTRL.total]]).toEqual([0, 6, 0]);
    expect(Atomics.load(ctrl, CTRL.chunk)).toBe(6 << 10);
  });
});
