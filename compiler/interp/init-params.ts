// The initial parameters a generated module's `createModel({ seed })` starts from, computed
// without generating code, so the reference interpreter can run a spec that was never trained
// (`chainrule run` without --weights). Same streams as the module's `fillUniform`: a mulberry32
// stream keyed by (seed, parameter name); a test keeps the two identical.
import type { Graph } from '../ir/types.js';

/** Uniform(−limit, limit) values from the stream of (seed, name). */
function uniformStream(size: number, limit: number, seed: number, name: string): Float64Array {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) s = Math.imul(s ^ name.charCodeAt(i), 0x01000193) >>> 0;
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    const u = ((z ^ (z >>> 14)) >>> 0) / 4294967296;
    out[i] = (2 * u - 1) * limit;
  }
  return out;
}

/** Every parameter of `graph` as `createModel({ seed })` initializes it (zeros stay zeros). */
export function initialParams(graph: Graph, seed: number): Record<string, Float64Array> {
  const params: Record<string, Float64Array> = {};
  for (const n of graph.nodes) {
    if (n.op !== 'param') continue;
    const size = n.type.shape.reduce<number>((a, d) => a * (d === 'B' ? 1 : d), 1);
    const { init, fanIn, fanOut } = n.attrs;
    const limit =
      init === 'he_uniform' ? Math.sqrt(6 / fanIn) : init === 'glorot_uniform' ? Math.sqrt(6 / (fanIn + fanOut)) : 0;
    params[n.name] = init === 'zeros' ? new Float64Array(size) : uniformStream(size, limit, seed, n.name);
  }
  return params;
}
