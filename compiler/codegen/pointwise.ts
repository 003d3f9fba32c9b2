// Per-element expressions of the pointwise ops and of the elementwise optimizer updates: the
// single source for the one-op kernels (kernels.ts) and for fused epilogues and loops
// (fused-kernels.ts), so fused and unfused code compute exactly the same formula.
import type { Node } from '../ir/types.js';

export const GELU_C = 'Math.sqrt(2 / Math.PI)';

export const sigmoidExpr = (x: string): string => `(${x} >= 0 ? 1 / (1 + Math.exp(-${x})) : Math.exp(${x}) / (1 + Math.exp(${x})))`;

/**
 * The value of `node` at one element, given its operands' values at that element (identifiers:
 * an operand may appear several times). Undefined when the op is not pointwise.
 */
export function pointwiseExpr(node: Node, operands: readonly string[]): string | undefined {
  const [a = '', b = ''] = operands;
  switch (node.op) {
    case 'relu':
      return `${a} > 0 ? ${a} : 0`;
    case 'leaky_relu':
      return `${a} > 0 ? ${a} : ${node.attrs.alpha} * ${a}`;
    case 'sigmoid':
      return sigmoidExpr(a);
    case 'tanh':
      return `Math.tanh(${a})`;
    case 'gelu':
      return `0.5 * ${a} * (1 + Math.tanh(${GELU_C} * (${a} + 0.044715 * ${a} * ${a} * ${a})))`;
    case 'identity':
      return a;
    case 'relu_grad':
      return `${b} > 0 ? ${a} : 0`;
    case 'leaky_relu_grad':
      return `${b} > 0 ? ${a} : ${node.attrs.alpha} * ${a}`;
    case 'sigmoid_grad':
      return `${a} * ${b} * (1 - ${b})`;
    case 'tanh_grad':
      return `${a} * (1 - ${b} * ${b})`;
    case 'gelu_grad':
      return `${a} * geluDerivative(${b})`;
    case 'add':
      return operands.join(' + ');
    case 'sgd_update':
      return `${a} - ${node.attrs.lr} * ${b}`;
    case 'momentum_velocity':
      return `${node.attrs.momentum} * ${a} + ${b}`;
    case 'adam_moment':
      return `${node.attrs.beta} * ${a} + ${1 - node.attrs.beta} * ${node.attrs.squared ? `${b} * ${b}` : b}`;
    case 'adam_update': {
      // Operands: p, m, v, t; the bias corrections c1/c2 are computed once per kernel (adamPrelude).
      const [p = '', m = '', v = ''] = operands;
      const { lr, eps } = node.attrs;
      return `${p} - ${lr} * (${m} / c1_${node.id}) / (Math.sqrt(${v} / c2_${node.id}) + ${eps})`;
    }
    default:
      return undefined;
  }
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
