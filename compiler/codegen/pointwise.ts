// Per-element expressions of the pointwise ops and of the elementwise optimizer updates, for
// fused epilogues and loops (fused-kernels.ts). The formulas are the ops' own (`pointwise` in
// compiler/ops/), the same ones their single-op kernels loop over, so fused and unfused code
// compute exactly the same formula.
import type { Node } from '../ir/types.js';
import { defOf } from '../ops/index.js';

/**
 * The value of `node` at one element, given its operands' values at that element (identifiers:
 * an operand may appear several times). Undefined when the op is not pointwise. The formulas
 * live in each op's file (`pointwise`).
 */
export function pointwiseExpr(node: Node, operands: readonly string[]): string | undefined {
  const def = defOf(node);
  return def.pointwise === undefined ? undefined : def.pointwise(node, operands);
}

/** Statements computing Adam's bias corrections for an `adam_update` node from its step tensor. */
export function adamPrelude(node: Node, stepRef: string): string[] {
  if (node.op !== 'adam_update') return [];
  const { beta1, beta2 } = node.attrs;
  return [
    `const t_${node.id} = ${stepRef}[0];`,
    `const c1_${node.id} = 1 - Math.pow(${beta1}, t_${node.id}), c2_${node.id} = 1 - Math.pow(${beta2}, t_${node.id});`,
  ];
}
