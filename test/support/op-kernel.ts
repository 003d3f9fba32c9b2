// One op's generated kernel against its reference, on a one-node graph: the operands are the
// module's inputs, the op's node is its only output, and `forward` runs exactly that node's
// kernel (pattern `single`). Used by the registry loop in test/compiler/codegen/op-kernels.test.ts.
import { type EmitOptions, emitModule } from '../../compiler/codegen/emit-module.js';
import type { KernelMode } from '../../compiler/codegen/wasm/module-wasm.js';
import { createNode } from '../../compiler/ir/node.js';
import type { FloatDType, Graph, Node, TensorType } from '../../compiler/ir/types.js';
import { inferNodeType, ops } from '../../compiler/ops/index.js';
import { loadModuleSource } from '../../runtime/load-module.js';
import { type AnyOpRow, rowName, sampleOperand } from './ops-table.js';
import { rng } from './rng.js';
import { runOp } from './run-op.js';

export interface KernelCheck {
  readonly dtype: FloatDType;
  readonly kernels: KernelMode;
}

/** The row's operand types in the module's float type (class indices stay i32). */
function operandTypes(row: AnyOpRow, dtype: FloatDType): TensorType[] {
  return row.operands.map((o) => ({ shape: o.shape, dtype: o.domain === 'classIndex' ? 'i32' : dtype }));
}

/**
 * Operands as the module's parameters `a0, a1, …` (set through `params`: a parameter's length is
 * its whole shape, while an input's first dim would be read as the batch), then the op's node
 * `y` as the one output.
 */
export function oneNodeGraph(row: AnyOpRow, dtype: FloatDType): Graph {
  const types = operandTypes(row, dtype);
  const leaves: Node[] = types.map((type, k) =>
    createNode(
      { op: 'param', attrs: { init: 'zeros', fanIn: 1, fanOut: 1 } },
      { id: k, name: `a${k}`, inputs: [], type, role: 'param' },
    ),
  );
  const type = inferNodeType(
    ops[row.op],
    types,
    row.attrs,
    types.map((_, k) => `a${k}`),
  );
  if (typeof type === 'string') throw new Error(`${rowName(row)}: ${type}`);
  const id = leaves.length;
  const node = createNode(row, { id, name: 'y', inputs: leaves.map((l) => l.id), type, role: 'forward' });
  return { name: `op_${row.op}`, nodes: [...leaves, node], outputs: [id] };
}

/**
 * Every dim of a one-node graph is static; a fixed batch makes the module check each input's
 * full length instead of reading a batch size off the first input's rows.
 */
function emitOptions(check: KernelCheck): EmitOptions {
  return { dtype: check.dtype, kernels: check.kernels, batch: 1 };
}

/** The module source of the row's one-node graph. */
export function oneNodeModule(row: AnyOpRow, check: KernelCheck): string {
  return emitModule(oneNodeGraph(row, check.dtype), emitOptions(check));
}

const TOL: Readonly<Record<FloatDType, number>> = { f64: 1e-12, f32: 1e-5 };

/**
 * Where the generated kernel and the op's reference disagree on random operands (same values,
 * rounded to the module's float type); empty when they agree.
 */
export async function kernelProblems(row: AnyOpRow, check: KernelCheck, seed = 5): Promise<string[]> {
  const graph = oneNodeGraph(row, check.dtype);
  const source = emitModule(graph, emitOptions(check));
  const mod = await loadModuleSource(source, graph.name);
  const model = mod.createModel({ seed: 1 });
  const r = rng(seed);
  const classes = row.operands[0]?.shape[row.operands[0].shape.length - 1] ?? 2;
  const float = check.dtype === 'f32' ? Float32Array : Float64Array;
  const values = row.operands.map((o) => {
    const v = sampleOperand(o, classes, r);
    return v instanceof Int32Array ? v : float.from(v);
  });
  values.forEach((v, k) => {
    const param = model.params[`a${k}`];
    if (param === undefined) throw new Error(`module has no parameter a${k}`);
    param.set(v);
  });
  const out = model.forward({});
  const expected = runOp(
    row.op,
    row.attrs,
    row.operands.map((o, k) => ({
      shape: o.shape,
      data: values[k] ?? [],
      dtype: values[k] instanceof Int32Array ? 'i32' : check.dtype,
    })),
    check.dtype,
  ).data;
  const actual = out.y;
  if (actual === undefined) return ['forward() returned no output y'];
  if (actual.length !== expected.length) return [`output length ${actual.length}, expected ${expected.length}`];
  const problems: string[] = [];
  let scale = 1;
  for (const e of expected) scale = Math.max(scale, Math.abs(e));
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i] ?? Number.NaN, expected[i] ?? Number.NaN];
    if (!(Math.abs(a - e) <= TOL[check.dtype] * (Math.abs(e) + scale)))
      problems.push(`y[${i}]: kernel ${a}, reference ${e}`);
  }
  return problems;
}
