// Per-op VJP check in float64, driven by the op table: for every row of an op with a VJP rule,
// ⟨t, vjp(c)⟩ = ⟨numeric_jvp(t), c⟩ along random directions, for every differentiable operand.
// The VJP is evaluated exactly as the autodiff pass emits it: the rule's backward equation
// becomes a node, run by the reference interpreter.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../../compiler/interp/interpret.js';
import { createNode } from '../../../compiler/ir/node.js';
import type { Graph, Node, NodeOf, OpName, TensorType } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { defOf, inferNodeType, opNames, ops } from '../../../compiler/ops/index.js';
import type { GradEquation, Tensor } from '../../../compiler/ops/op-def.js';
import { checkVjp } from '../../support/gradcheck.js';
import { type AnyOpRow, opRows, rowName, sampleOperand } from '../../support/ops-table.js';
import { rng } from '../../support/rng.js';
import { runOp } from '../../support/run-op.js';

function operandType(row: AnyOpRow, k: number): TensorType {
  const spec = row.operands[k];
  return { shape: spec?.shape ?? [], dtype: spec?.domain === 'classIndex' ? 'i32' : 'f64' };
}

/** The op's VJP contribution to operand k (the same call the autodiff pass makes). */
function vjpOf<K extends OpName>(
  node: NodeOf<K>,
  dy: number,
  name: (id: number) => string,
  k: number,
): GradEquation | number | undefined {
  const rule = defOf(node).vjp;
  if (rule === undefined) throw new Error(`${node.op} has no VJP rule`);
  return rule.grad({ node, dy, name }, k);
}

/** A tiny graph: operand leaves, the op, a `dy` leaf, and the rule's backward node per operand. */
function vjpGraph(row: AnyOpRow, build: (leaf: number[]) => Node): { graph: Graph; grads: Map<number, number> } {
  const nodes: Node[] = row.operands.map((_, k) =>
    createNode(
      { op: 'input', attrs: {} },
      { id: k, name: `a${k}`, inputs: [], type: operandType(row, k), role: 'input' },
    ),
  );
  const leaves = nodes.map((n) => n.id);
  const dyId = leaves.length + 1;
  const fwd = build(leaves);
  nodes.push(fwd);
  nodes.push(
    createNode({ op: 'input', attrs: {} }, { id: dyId, name: 'dy', inputs: [], type: fwd.type, role: 'input' }),
  );
  const grads = new Map<number, number>();
  const name = (id: number): string => nodes.find((n) => n.id === id)?.name ?? '?';
  const noGradient = defOf(fwd).vjp?.noGradient ?? [];
  leaves.forEach((leaf, k) => {
    if (operandType(row, k).dtype === 'i32') return;
    const eq = vjpOf(fwd, dyId, name, k);
    if (eq === undefined) {
      const operand = ops[row.op].inputNames[k] ?? ops[row.op].inputNames[0] ?? '?';
      if (noGradient.includes(operand)) return;
      throw new Error(
        `${rowName(row)}: the VJP rule returned no gradient for float operand ${k} ('${operand}'): return an equation (or a node id) in compiler/ops/, or list '${operand}' in its vjp.noGradient`,
      );
    }
    if (typeof eq === 'number') return void grads.set(leaf, eq);
    const { inputs, factor, ...op } = eq;
    const types = inputs.map((i) => nodes.find((n) => n.id === i)?.type ?? fwd.type);
    const type = inferNodeType(ops[op.op], types, op.attrs, inputs.map(name));
    if (typeof type === 'string') throw new Error(type);
    const id = 100 + k;
    nodes.push(createNode(op, { id, name: `d(a${k})`, inputs, type, role: 'backward', grad: { of: leaf, factor } }));
    grads.set(leaf, id);
  });
  return { graph: { name: rowName(row), nodes, outputs: [fwd.id] }, grads };
}

function forwardNode(row: AnyOpRow, leaves: number[]): Node {
  const types = row.operands.map((_, k) => operandType(row, k));
  const type = inferNodeType(
    ops[row.op],
    types,
    row.attrs,
    types.map((_, k) => `a${k}`),
  );
  if (typeof type === 'string') throw new Error(`${rowName(row)}: ${type}`);
  return createNode(row, { id: leaves.length, name: 'y', inputs: leaves, type, role: 'forward' });
}

const differentiable = opRows.filter((row) => ops[row.op].vjp !== undefined);

describe('op table', () => {
  it('has a row for every op in the registry', () => {
    const covered = new Set(opRows.map((r) => r.op));
    expect(opNames.filter((op) => !covered.has(op))).toEqual([]);
  });

  it.each(opRows.filter((r) => !ops[r.op].leaf).map((r) => [rowName(r), r] as const))(
    '%s: shape rule and reference give finite values',
    (_name, row) => {
      const r = rng(3);
      const classes = row.operands[0]?.shape[row.operands[0].shape.length - 1] ?? 2;
      const operands = row.operands.map((o, k) => ({
        shape: o.shape,
        data: sampleOperand(o, classes, r),
        dtype: operandType(row, k).dtype,
      }));
      const out = runOp(row.op, row.attrs, operands);
      expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
    },
  );
});

describe('per-op VJP vs central differences (float64, ≤ 1e-6 relative)', () => {
  it.each(differentiable.map((r) => [rowName(r), r] as const))('%s', (_name, row) => {
    const r = rng(11);
    const { graph, grads } = vjpGraph(row, (leaves) => forwardNode(row, leaves));
    expect(verifyGraph(graph)).toEqual([]);
    // Every float operand has a gradient unless the rule declares it a non-differentiable target.
    const names = row.operands.map((_, k) => ops[row.op].inputNames[k] ?? ops[row.op].inputNames[0] ?? '?');
    const differentiable = row.operands.filter(
      (o, k) => o.domain !== 'classIndex' && !(ops[row.op].vjp?.noGradient ?? []).includes(names[k] ?? ''),
    );
    expect(grads.size, 'gradients vs differentiable float operands').toBe(differentiable.length);
    const classes = row.operands[0]?.shape[row.operands[0].shape.length - 1] ?? 2;
    const values = row.operands.map((o) => sampleOperand(o, classes, r));
    const fwd = graph.nodes.find((n) => n.name === 'y');
    const outSize = (fwd?.type.shape ?? []).reduce<number>((a, d) => a * Number(d), 1);
    for (let trial = 0; trial < 3; trial++) {
      const c = Float64Array.from({ length: outSize }, () => r.normal());
      const feeds = Object.fromEntries([...values.map((data, k) => [`a${k}`, data] as const), ['dy', c] as const]);
      const run = interpret(graph, { feeds, params: {} });
      for (const [leaf, gradId] of grads) {
        const x = values[leaf];
        const g: Tensor | undefined = run.values.get(gradId);
        if (!(x instanceof Float64Array) || g === undefined) throw new Error('missing operand or gradient');
        const f = (xp: Float64Array): ArrayLike<number> => {
          const ops2 = values.map((data, k) => ({
            shape: row.operands[k]?.shape ?? [],
            data: k === leaf ? xp : data,
            dtype: operandType(row, k).dtype,
          }));
          return runOp(row.op, row.attrs, ops2).data;
        };
        const check = checkVjp(f, g.data, x, c, r);
        expect(check.relErr, `operand ${leaf}: ${check.analytic} vs ${check.numeric}`).toBeLessThanOrEqual(row.tol);
      }
    }
  });
});
