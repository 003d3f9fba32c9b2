// `npm run bench:gemm [-- options]`: the WebAssembly SIMD matmul kernels alone, single-thread
// GFLOP/s for every W2/W3 matmul shape in all three forms, today's packed schedule against the
// classic one (before packing), with plain SIMD and with relaxed SIMD (f32x4.relaxed_madd) where
// the engine accepts it. Node 20 has relaxed SIMD behind a V8 flag, which this script sets for
// itself (generated modules choose at instantiation with WebAssembly.validate). `--write` puts the
// table into docs/wasm-kernels.md between the `bench:gemm` markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { seededRandom } from './data.js';
import {
  gemmModule,
  gemmParams,
  packFloats,
  type GemmForm,
  type GemmKernelKind,
  type GemmRequest,
} from '../compiler/codegen/wasm/gemm-simd.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (
    module: object,
    imports: { env: { memory: WasmMemory } },
  ) => { readonly exports: Record<string, (...args: number[]) => void> };
  readonly Memory: new (d: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** One layer of a workload at its bench batch: [batch, inputs, units]. */
const LAYERS: readonly {
  readonly workload: string;
  readonly batch: number;
  readonly inputs: number;
  readonly units: number;
}[] = [
  { workload: 'W2', batch: 64, inputs: 784, units: 128 },
  { workload: 'W2', batch: 64, inputs: 128, units: 10 },
  { workload: 'W3', batch: 128, inputs: 784, units: 512 },
  { workload: 'W3', batch: 128, inputs: 512, units: 512 },
  { workload: 'W3', batch: 128, inputs: 512, units: 10 },
  { workload: 'W4', batch: 1, inputs: 784, units: 128 },
];

/** The matmul each form computes for a layer in training: X·W (nn), dY·Wᵀ (nt), Xᵀ·dY (tn). */
function shapeOf(
  form: GemmForm,
  l: (typeof LAYERS)[number],
): { readonly m: number; readonly k: number; readonly n: number } {
  switch (form) {
    case 'nn':
      return { m: l.batch, k: l.inputs, n: l.units };
    case 'nt':
      return { m: l.batch, k: l.units, n: l.inputs };
    case 'tn':
      return { m: l.inputs, k: l.batch, n: l.units };
  }
}

interface Variant {
  readonly label: string;
  readonly kernel: GemmKernelKind;
  readonly relaxed: boolean;
}

const VARIANTS: readonly Variant[] = [
  { label: 'classic', kernel: 'classic', relaxed: false },
  { label: 'packed', kernel: 'packed', relaxed: false },
  { label: 'packed + relaxed', kernel: 'packed', relaxed: true },
];

/** Deterministic values in [-1, 1), from the benchmark's seeded generator. */
function fill(out: Float32Array, seed: number): void {
  const next = seededRandom(seed);
  for (let i = 0; i < out.length; i++) out[i] = 2 * next() - 1;
}

/** CPU seconds of this process (the machine is shared: wall time would count other processes' turns). */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** GFLOP/s of one kernel: best of `reps` timed segments of at least `segment` CPU seconds each. */
function measure(
  form: GemmForm,
  shape: { m: number; k: number; n: number },
  v: Variant,
  reps: number,
  segment: number,
): number | undefined {
  const req: GemmRequest = { name: 'g', form, ...shape, kernel: v.kernel };
  const bytes = gemmModule([req], { relaxed: v.relaxed });
  if (!wasm.validate(bytes)) return undefined;
  const align = (x: number): number => Math.ceil(x / 16) * 16;
  const sizes = { a: shape.m * shape.k, b: shape.k * shape.n, c: shape.m * shape.n, pack: packFloats(req).fixed };
  const at = { a: 16, b: 0, c: 0, pack: 0 };
  at.b = align(at.a + sizes.a);
  at.c = align(at.b + sizes.b);
  at.pack = align(at.c + sizes.c);
  const memory = new wasm.Memory({ initial: Math.ceil(((at.pack + sizes.pack + 16) * 4) / 65536) });
  const heap = new Float32Array(memory.buffer);
  fill(heap.subarray(at.a, at.a + sizes.a), 1);
  fill(heap.subarray(at.b, at.b + sizes.b), 2);
  const kernel = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports.g;
  if (kernel === undefined) throw new Error('bench:gemm: the module has no export g');
  const args = gemmParams(req).map((p) => 4 * (at as Record<string, number>)[p]!);
  const flops = 2 * shape.m * shape.k * shape.n;
  // Warm-up: Liftoff first, TurboFan from the second call on.
  const warm = Math.max(3, Math.ceil(2e7 / flops));
  for (let i = 0; i < warm; i++) kernel(...args);
  let best = 0;
  for (let r = 0; r < reps; r++) {
    let calls = 0;
    const t0 = cpuSeconds();
    let t = t0;
    while (t - t0 < segment) {
      for (let i = 0; i < 8; i++) kernel(...args);
      calls += 8;
      t = cpuSeconds();
    }
    best = Math.max(best, (calls * flops) / (t - t0) / 1e9);
  }
  return best;
}

const usage = `usage: npm run bench:gemm -- [--reps N] [--segment SECONDS] [--write]
  --reps N        timed segments per kernel, best taken (default 10: many short ones find the quiet moments of a shared machine)
  --segment S     CPU seconds per segment (default 0.05)
  --write         put the table into docs/wasm-kernels.md (between the bench:gemm markers)`;

function main(): void {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string' },
      segment: { type: 'string' },
      write: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const reps = Number(values.reps ?? 10);
  const segment = Number(values.segment ?? 0.05);
  if (!(Number.isInteger(reps) && reps >= 1) || !(segment > 0)) throw new Error(usage);
  const loadBefore = loadavg()[0]!;
  const rows: string[] = [];
  const figures: number[] = [];
  for (const l of LAYERS) {
    // W4 is inference only: its batch-1 forward, for the latency target.
    for (const form of l.workload === 'W4' ? (['nn'] as const) : (['nn', 'nt', 'tn'] as const)) {
      const s = shapeOf(form, l);
      const cells = VARIANTS.map((v) => measure(form, s, v, reps, segment));
      const best = Math.max(...cells.slice(1).map((c) => c ?? 0));
      if (l.workload !== 'W4') figures.push(best);
      const text = cells.map((c) => (c === undefined ? '–' : c.toFixed(1)));
      const row = `| ${l.workload} ${l.inputs}→${l.units} | ${form} | ${s.m}×${s.k}×${s.n} | ${text.join(' | ')} | ×${(best / (cells[0] ?? 1)).toFixed(2)} |`;
      rows.push(row);
      console.log(row);
    }
  }
  const loadAfter = loadavg()[0]!;
  const table = [
    `GFLOP/s, one thread, best of ${reps} segments of ${segment} s CPU time each; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after.`,
    '',
    `| layer | form | m×k×n | ${VARIANTS.map((v) => v.label).join(' | ')} | new / classic |`,
    `|---|---|---|${VARIANTS.map(() => '---|').join('')}---|`,
    ...rows,
    '',
    `Slowest W2/W3 shape with the new kernel (the better build): ${Math.min(...figures).toFixed(1)} GFLOP/s; median ${[...figures].sort((a, b) => a - b)[Math.floor(figures.length / 2)]!.toFixed(1)}.`,
  ].join('\n');
  console.log(`\n${table}`);
  if (values.write) {
    const path = new URL('../docs/wasm-kernels.md', import.meta.url);
    const doc = readFileSync(path, 'utf8');
    const begin = '<!-- bench:gemm begin -->';
    const end = '<!-- bench:gemm end -->';
    const i = doc.indexOf(begin);
    const j = doc.indexOf(end);
    if (i < 0 || j < i)
      throw new Error(`docs/wasm-kernels.md: add the markers ${begin} and ${end} where the table goes`);
    writeFileSync(path, `${doc.slice(0, i + begin.length)}\n${table}\n${doc.slice(j)}`);
    console.log('wrote docs/wasm-kernels.md');
  }
}

main();
