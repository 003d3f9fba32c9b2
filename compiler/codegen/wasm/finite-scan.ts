// The WebAssembly SIMD finiteness scan behind the prelude's `assertFinite`: a JavaScript loop
// checks about 2 floats per nanosecond (23 µs for one MNIST batch of 64 × 784), which was an
// eighth of a 2-thread forward call; four f32x4 lanes at a time take a few microseconds. The
// prelude carries these bytes as a literal (FINITE_SCAN_WASM), so a generated module needs no
// compiler at run time; test/compiler/codegen/prelude.test.ts checks the literal is these bytes.
import { encodeModule, Fn, ValType } from './encode.js';

/** Bytes the scan reads per loop trip: four vectors. Callers pad their data to a multiple. */
export const FINITE_SCAN_STEP = 64;

/**
 * A module importing `env.memory` and exporting `finite(bytes)`: 1 when the float32s in the
 * first `bytes` bytes of the memory (a multiple of FINITE_SCAN_STEP) are all finite, else 0.
 * Each vector v adds v − v (0 when finite, NaN for NaN and ±Infinity) to one of four sums, and
 * NaN survives every addition; the sums are then compared with themselves.
 */
export function finiteScanModule(): Uint8Array {
  const f = new Fn([ValType.i32], [ValType.i32]);
  const bytes = 0;
  const p = f.local(ValType.i32);
  const v = f.local(ValType.v128);
  const sums = [0, 1, 2, 3].map(() => f.local(ValType.v128));
  f.block(() => {
    f.loop(() => {
      f.get(p).get(bytes).i32LtU().i32Eqz().brIf(1);
      sums.forEach((sum, i) => {
        f.get(p)
          .v128Load(i * 16)
          .tee(v)
          .get(v)
          .f32x4Sub()
          .get(sum)
          .f32x4Add()
          .set(sum);
      });
      f.get(p).i32Const(FINITE_SCAN_STEP).i32Add().set(p).br(0);
    });
  });
  f.get(sums[0]!);
  for (const sum of sums.slice(1)) f.get(sum).f32x4Add();
  f.tee(v);
  f.get(v).f32x4Eq().i32x4AllTrue();
  return encodeModule([{ name: 'finite', fn: f }]);
}
