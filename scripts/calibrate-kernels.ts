// `npm run bench:kernels`: measures, per matmul shape and form, the TypeScript gemm the compiler
// emits against the WebAssembly SIMD one, and writes the rule `--kernels auto` follows to
// compiler/codegen/wasm/calibration.ts (the committed calibration; docs/wasm-kernels.md, "auto").
//
// Each case times one call of C = op(A)·op(B) (f32 operands, as in a module), in process CPU time
// (so other jobs on a shared machine slow the run down but do not skew it):
//   ts:       the generated TS gemm, storing C into the output array (its epilogue is fused);
//   resident: the wasm gemm with A and B already in the wasm memory (fixed-batch modules keep the
//             arena there), plus the TS pass that reads C back (the wasm kernels' epilogue);
//   copied:   the same with A and B copied in first (run-time batch modules, and inputs).
// Per form and operand case the script then picks the rule "wasm when m·k·n ≥ minMacs and
// k ≥ minK" that loses the least time over the whole grid (sum of log(time of the rule's choice
// / time of the faster one)), ties going to the smaller thresholds.
//
//   npm run bench:kernels                 # measure, print the table, rewrite calibration.ts
//   npm run bench:kernels -- --dry-run    # measure and print only
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gemm } from '../compiler/codegen/gemm.js';
import type { AutoRule, AutoRules } from '../compiler/codegen/wasm/calibration.js';
import {
  type GemmForm,
  type GemmRequest,
  gemmModule,
  gemmParams,
  packFloats,
} from '../compiler/codegen/wasm/gemm-simd.js';

const FORMS: readonly GemmForm[] = ['nn', 'nt', 'tn'];
const MS = [1, 4, 16, 64];
const KS = [1, 2, 3, 4, 8, 16, 64, 256];
const NS = [1, 2, 4, 10, 16, 64];
/** Each timing: batches of calls until this long, best batch of REPEATS (the least disturbed). */
const BATCH_MS = 4;
const REPEATS = 5;

interface WasmExports {
  readonly [name: string]: unknown;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer };
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (m: object, imports: object) => { readonly exports: WasmExports };
}
const WebAssemblyApi = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

interface Case {
  readonly form: GemmForm;
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

interface Timing extends Case {
  /** Nanoseconds per call. */
  readonly ts: number;
  readonly resident: number;
  readonly copied: number;
}

type Kernel = (A: Float32Array, Bm: Float32Array, O: Float32Array) => void;

/** The TS gemm as the modules emit it for `form` (strides as in template-kit's matmulGemm). */
function tsKernel({ form, m, k, n }: Case): Kernel {
  const code = gemm({
    c: 'O',
    a: 'A',
    b: 'Bm',
    m: `${m}`,
    n,
    k: `${k}`,
    ai: form === 'tn' ? '1' : `${k}`,
    ap: form === 'tn' ? `${m}` : '1',
    bp: form === 'nt' ? '1' : `${n}`,
    bj: form === 'nt' ? `${k}` : '1',
  });
  return new Function('A', 'Bm', 'O', code) as Kernel;
}

/** CPU time of this process in ms: unlike the wall clock, it does not count time other jobs ran. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Nanoseconds (process CPU time) per call of `body`: best of REPEATS batches of at least BATCH_MS. */
function time(body: () => void): number {
  for (let i = 0; i < 50; i++) body(); // warm-up: optimized code before timing
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPEATS; r++) {
    let calls = 0;
    const start = cpuMs();
    let elapsed = 0;
    while (elapsed < BATCH_MS) {
      for (let i = 0; i < 16; i++) body();
      calls += 16;
      elapsed = cpuMs() - start;
    }
    best = Math.min(best, (elapsed * 1e6) / calls);
  }
  return best;
}

function measure(c: Case): Timing {
  const { m, k, n } = c;
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
  const out = new Float32Array(m * n);
  const ts = tsKernel(c);
  // The build a module instantiates here: relaxed SIMD where the engine validates it (modules do the same).
  const request: GemmRequest = { name: 'mm', form: c.form, m, k, n };
  const relaxed = gemmModule([request], { relaxed: true });
  const bytes = WebAssemblyApi.validate(relaxed) ? relaxed : gemmModule([request]);
  const packs = gemmParams(request).includes('pack');
  const packSize = packFloats(request).fixed;
  const floats = 16 + a.length + 16 + b.length + 16 + out.length + 16 + packSize;
  const memory = new WebAssemblyApi.Memory({ initial: Math.ceil((floats * 4) / 65536) + 1 });
  const exports = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), { env: { memory } }).exports;
  const mm = exports['mm'] as (c: number, a: number, b: number, pack?: number) => void;
  const heap = new Float32Array(memory.buffer);
  const align = (x: number): number => Math.ceil(x / 16) * 16;
  const aAt = 0;
  const bAt = align(a.length);
  const cAt = bAt + align(b.length);
  const packAt = cAt + align(out.length);
  const call = packs
    ? (): void => mm(cAt * 4, aAt * 4, bAt * 4, packAt * 4)
    : (): void => mm(cAt * 4, aAt * 4, bAt * 4);
  heap.set(a, aAt);
  heap.set(b, bAt);
  const count = out.length;
  const readBack = (): void => {
    for (let i = 0; i < count; i++) out[i] = heap[cAt + i]!;
  };
  return {
    ...c,
    ts: time(() => ts(a, b, out)),
    resident: time(() => {
      call();
      readBack();
    }),
    copied: time(() => {
      heap.set(a, aAt);
      heap.set(b, bAt);
      call();
      readBack();
    }),
  };
}

type Variant = 'resident' | 'copied';

/** Time lost by a rule over the timings (log ratio to the faster backend, summed). */
function lossOf(rule: AutoRule, timings: readonly Timing[], variant: Variant): number {
  return timings.reduce((sum, t) => {
    const wasm = t.m * t.k * t.n >= rule.minMacs && t.k >= rule.minK;
    const chosen = wasm ? t[variant] : t.ts;
    return sum + Math.log(chosen / Math.min(t.ts, t[variant]));
  }, 0);
}

/** The rule with the least loss; candidates are the grid's own values, smaller first. */
export function fitRule(timings: readonly Timing[], variant: Variant): AutoRule & { readonly loss: number } {
  const macs = [0, ...new Set(timings.map((t) => t.m * t.k * t.n))].sort((x, y) => x - y);
  const ks = [1, ...new Set(timings.map((t) => t.k))].sort((x, y) => x - y);
  let best: (AutoRule & { loss: number }) | undefined;
  for (const minK of ks) {
    for (const minMacs of macs) {
      const loss = lossOf({ minMacs, minK }, timings, variant);
      if (best === undefined || loss < best.loss - 1e-9) best = { minMacs, minK, loss };
    }
  }
  if (best === undefined) throw new Error('calibrate: no timings');
  return best;
}

function renderSource(rules: AutoRules, meta: string): string {
  const line = (form: GemmForm, variant: Variant): string => {
    const r = rules[form][variant];
    return `    ${variant}: { minMacs: ${r.minMacs}, minK: ${r.minK} },`;
  };
  return `// The calibration \`--kernels auto\` follows: per gemm form, the smallest matmul (multiply-adds
// m·k·n and inner length k) that runs as WebAssembly SIMD; anything smaller keeps the TypeScript
// gemm. \`resident\`: both operands already in the wasm memory (fixed-batch modules); \`copied\`:
// an operand is copied in per call (run-time batch, caller's inputs).
// Generated by \`npm run bench:kernels\` (scripts/calibrate-kernels.ts) — do not edit by hand;
// re-run it on the machine you care about. How it is measured: docs/wasm-kernels.md, "auto".
// ${meta}
import type { GemmForm } from './gemm-simd.js';

/** wasm when \`m·k·n ≥ minMacs\` and \`k ≥ minK\`. */
export interface AutoRule {
  readonly minMacs: number;
  readonly minK: number;
}

export type AutoRules = Readonly<Record<GemmForm, { readonly resident: AutoRule; readonly copied: AutoRule }>>;

export const AUTO_RULES: AutoRules = {
${FORMS.map((f) => `  ${f}: {\n${line(f, 'resident')}\n${line(f, 'copied')}\n  },`).join('\n')}
};
`;
}

function main(): void {
  const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false } } });
  const loadBefore = loadavg()[0] ?? 0;
  const timings: Timing[] = [];
  for (const form of FORMS)
    for (const m of MS) for (const k of KS) for (const n of NS) timings.push(measure({ form, m, k, n }));
  const loadAfter = loadavg()[0] ?? 0;

  console.log('| form | m×k×n | TS ns | wasm resident ns | wasm copied ns | resident/TS | copied/TS |');
  console.log('|---|---|---|---|---|---|---|');
  for (const t of timings) {
    const r = (x: number): string => (x / t.ts).toFixed(2);
    console.log(
      `| ${t.form} | ${t.m}×${t.k}×${t.n} | ${t.ts.toFixed(0)} | ${t.resident.toFixed(0)} | ${t.copied.toFixed(0)} | ${r(t.resident)} | ${r(t.copied)} |`,
    );
  }
  const rules = Object.fromEntries(
    FORMS.map((form) => {
      const of = timings.filter((t) => t.form === form);
      return [form, { resident: fitRule(of, 'resident'), copied: fitRule(of, 'copied') }];
    }),
  ) as Record<GemmForm, { resident: AutoRule & { loss: number }; copied: AutoRule & { loss: number } }>;
  console.log('\nrules (wasm when m·k·n ≥ minMacs and k ≥ minK; loss = Σ log(chosen / fastest) over the grid):');
  for (const form of FORMS)
    for (const v of ['resident', 'copied'] as const) {
      const r = rules[form][v];
      const allWasm = lossOf(
        { minMacs: 0, minK: 1 },
        timings.filter((t) => t.form === form),
        v,
      );
      console.log(
        `  ${form} ${v.padEnd(8)} minMacs ${r.minMacs}, minK ${r.minK}: loss ${r.loss.toFixed(2)} (all wasm: ${allWasm.toFixed(2)})`,
      );
    }
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const meta = `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${cpus().length} cores), Node ${process.version}, load ${loadBefore.toFixed(1)}–${loadAfter.toFixed(1)}; grid m ∈ {${MS}}, k ∈ {${KS}}, n ∈ {${NS}}.`;
  console.log(`\n${meta}`);
  if (values['dry-run']) return;
  const strip = (r: AutoRule & { loss: number }): AutoRule => ({ minMacs: r.minMacs, minK: r.minK });
  const out: AutoRules = {
    nn: { resident: strip(rules.nn.resident), copied: strip(rules.nn.copied) },
    nt: { resident: strip(rules.nt.resident), copied: strip(rules.nt.copied) },
    tn: { resident: strip(rules.tn.resident), copied: strip(rules.tn.copied) },
  };
  const file = fileURLToPath(new URL('../compiler/codegen/wasm/calibration.ts', import.meta.url));
  writeFileSync(file, renderSource(out, meta));
  console.log(`wrote ${file}`);
}

main();
