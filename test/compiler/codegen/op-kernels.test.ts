// One op, one file: every computed op carries its kernel template (and pointwise ops their
// element formula) in compiler/ops/, and every kernel is run: for each op of the registry (a row
// of test/support/ops-table.ts), its generated kernel on a one-node graph equals its reference,
// in float64 and float32 JS and, where a wasm-simd form exists, in WebAssembly.
import { afterEach, describe, expect, it } from 'vitest';
import { preludeItems } from '../../../compiler/codegen/module-helpers.js';
import type { OpName } from '../../../compiler/ir/types.js';
import { opNames, ops } from '../../../compiler/ops/index.js';
import type { OpDef } from '../../../compiler/ops/op-def.js';
import { ELEMENTWISE_UPDATES, POINTWISE } from '../../../compiler/passes/fuse.js';
import { kernelProblems, oneNodeModule } from '../../support/op-kernel.js';
import { type AnyOpRow, opRows, rowName } from '../../support/ops-table.js';

const computed = opRows.filter((r) => !ops[r.op].leaf);
/** The wasm-simd module embeds WebAssembly only when the op has a wasm form (matmuls). */
const hasWasm = (row: AnyOpRow): boolean =>
  oneNodeModule(row, { dtype: 'f32', kernels: 'wasm-simd' }).includes('WASM_MATMULS');

describe('op files hold their kernels', () => {
  const all = Object.values(ops);

  it('every non-leaf op has a kernel template; leaves have none', () => {
    expect(
      all
        .filter((d) => !d.leaf && d.kernel === undefined)
        .map((d) => `${d.op}: add \`kernel\` to its file in compiler/ops/`),
    ).toEqual([]);
    expect(all.filter((d) => d.leaf && d.kernel !== undefined).map((d) => d.op)).toEqual([]);
  });

  it('every op fusion treats as pointwise, and every elementwise optimizer update, has its element formula', () => {
    const missing = [...POINTWISE, ...ELEMENTWISE_UPDATES].filter((op) => ops[op].pointwise === undefined);
    expect(missing.map((op) => `${op}: add \`pointwise\` to its file in compiler/ops/`)).toEqual([]);
  });

  it('every module helper an op declares exists in compiler/codegen/prelude.ts', () => {
    const helpers = new Set(preludeItems().map((item) => item.name));
    const missing = opNames.flatMap((op) =>
      (ops[op].helpers ?? []).filter((h) => !helpers.has(h)).map((h) => `${op}: ${h}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('every op kernel equals its reference on a one-node graph', () => {
  it.each(computed.map((r) => [rowName(r), r] as const))('%s (f64 and f32 JS)', async (_name, row) => {
    expect(await kernelProblems(row, { dtype: 'f64', kernels: 'js' }), 'f64').toEqual([]);
    expect(await kernelProblems(row, { dtype: 'f32', kernels: 'js' }), 'f32').toEqual([]);
  });

  const wasmRows = computed.filter(hasWasm);
  it('the wasm-simd form exists for the matmul ops (so the loop below runs)', () => {
    expect([...new Set(wasmRows.map((r) => r.op))].sort()).toEqual(['linear', 'matmul']);
  });
  it.each(wasmRows.map((r) => [rowName(r), r] as const))('%s (f32 wasm-simd)', async (_name, row) => {
    expect(await kernelProblems(row, { dtype: 'f32', kernels: 'wasm-simd' })).toEqual([]);
  });
});

describe('a wrong kernel fails the per-op check', () => {
  const originals = new Map<OpName, OpDef<OpName>['kernel']>();
  /** Replaces an op's kernel template in the registry for one test (restored afterwards). */
  function corrupt(op: OpName, wrap: (code: string) => string): void {
    const def = ops[op] as OpDef<OpName>;
    const kernel = def.kernel;
    if (kernel === undefined) throw new Error(`${op} has no kernel`);
    originals.set(op, kernel);
    Reflect.set(def, 'kernel', (node: Parameters<typeof kernel>[0], ctx: Parameters<typeof kernel>[1]) =>
      wrap(kernel(node, ctx)),
    );
  }
  afterEach(() => {
    for (const [op, kernel] of originals) Reflect.set(ops[op], 'kernel', kernel);
    originals.clear();
  });

  const row = (op: OpName): AnyOpRow => {
    const r = opRows.find((x) => x.op === op);
    if (r === undefined) throw new Error(`no row for ${op}`);
    return r;
  };

  // Each corruption writes a wrong value into one output element after the right formula ran.
  it.each(['sigmoid', 'sigmoid_grad', 'softmax', 'mse_grad', 'adam_update'] as const)(
    '%s: an off-by-0.5 output element is caught',
    async (op) => {
      expect(await kernelProblems(row(op), { dtype: 'f64', kernels: 'js' })).toEqual([]);
      corrupt(op, (code) => `${code}\n${code.includes('const O') || code.includes(', O =') ? 'O' : 'L'}[0] += 0.5;`);
      expect(await kernelProblems(row(op), { dtype: 'f64', kernels: 'js' })).not.toEqual([]);
    },
  );

  it('a wrong formula inside the loop is caught (tanh computed as sin)', async () => {
    corrupt('tanh', (code) => code.replace('Math.tanh(', 'Math.sin('));
    const problems = await kernelProblems(row('tanh'), { dtype: 'f32', kernels: 'js' });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^y\[\d+\]: kernel .*, reference /);
  });
});
