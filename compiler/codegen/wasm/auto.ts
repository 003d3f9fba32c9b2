// `kernels: 'auto'` (the default): per matmul, the backend the committed calibration measured
// faster for its form and size (calibration.ts, written by `npm run bench:kernels`). Only f32
// modules get here; f64 matmuls are always TS (the wasm kernels are float32 only).
import { AUTO_RULES } from './calibration.js';
import { ASSUMED_BATCH, type MatmulPath } from './kernels-wasm.js';

/** `path` unchanged when the calibration says wasm wins for its shape, else the TS gemm with the reason. */
export function autoPath(path: MatmulPath): MatmulPath {
  if (path.kind !== 'wasm') return path;
  const { request: r, a, b, shapes } = path.mm;
  const operands = a.resident && b.resident ? 'resident' : 'copied';
  const rule = AUTO_RULES[r.form][operands];
  const at = (d: number | 'runtime'): number => (d === 'runtime' ? ASSUMED_BATCH : d);
  const k = at(r.k);
  const macs = at(r.m) * k * r.n;
  if (macs >= rule.minMacs && k >= rule.minK) return path;
  const batchNote = r.m === 'runtime' || r.k === 'runtime' ? ` at batch ${ASSUMED_BATCH}` : '';
  return {
    kind: 'js',
    reason: `${shapes}: ${r.form}, ${macs} multiply-adds${batchNote}, k = ${k}: measured faster in TS (auto runs ${operands} ${r.form} in wasm from ${rule.minMacs} multiply-adds and k ≥ ${rule.minK}: calibration.ts)`,
  };
}
