// Shared by the gemm tests: a generated matmul compiled into a callable function, strided for
// each form as codegen's matmulGemm strides a matmul node, and seeded random operands.
import { type GemmSpec, gemm, type Tile } from '../../../compiler/codegen/gemm.js';
import { rng } from '../../support/rng.js';

/** `nn` C = A·B, `nt` C = A·Bᵀ (dY·Wᵀ), `tn` C = Aᵀ·B (Xᵀ·dY); A, B, C row-major. */
export type Form = 'nn' | 'nt' | 'tn';
export type FloatArray = Float32Array | Float64Array;
/** The compiled kernel: `B` is the run-time batch when the rows were left symbolic. */
export type GemmKernel = (A: FloatArray, Bm: FloatArray, O: FloatArray, B: number) => void;

/** The kernel `gemmSpec` describes, compiled. */
export function compileGemm(...args: Parameters<typeof gemmSpec>): GemmKernel {
  return new Function('A', 'Bm', 'O', 'B', gemm(gemmSpec(...args))) as GemmKernel;
}

/**
 * The spec for C[m,n] = op(A)·op(B) in `form` with `tile` (default: the generator's choice).
 * With `runtimeRows` the batch symbol `B` stands for m (X·W, dY·Wᵀ) or k (Xᵀ·dY), as in modules.
 */
export function gemmSpec(
  form: Form,
  m: number,
  k: number,
  n: number,
  tile: Tile | undefined,
  runtimeRows: boolean,
): GemmSpec {
  return {
    c: 'O',
    a: 'A',
    b: 'Bm',
    m: runtimeRows && form !== 'tn' ? 'B' : `${m}`,
    n,
    k: runtimeRows && form === 'tn' ? 'B' : `${k}`,
    ai: form === 'tn' ? '1' : `${k}`,
    ap: form === 'tn' ? `${m}` : '1',
    bp: form === 'nt' ? '1' : `${n}`,
    bj: form === 'nt' ? `${k}` : '1',
    ...(tile === undefined ? {} : { tile }),
  };
}

/** `n` values uniform in [−1, 1) from `seed`. */
export function randomArray(
  n: number,
  seed: number,
  array: Float32ArrayConstructor | Float64ArrayConstructor,
): FloatArray {
  const r = rng(seed);
  const out = new array(n);
  for (let i = 0; i < n; i++) out[i] = r.uniform(-1, 1);
  return out;
}
