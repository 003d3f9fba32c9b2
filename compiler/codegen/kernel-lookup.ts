// Kernel templates by op: each op's file (compiler/ops/) holds its template next to its shape
// rule, reference implementation and VJP rule; this is the lookup codegen uses. Also: which node
// a matmul-bearing kernel's product is, for the backends that replace or split that product.
import type { Kernel, Node, NodeOf, OpName } from '../ir/types.js';
import { defOf } from '../ops/index.js';
import type { KernelContext, KernelTemplate } from './kernel-context.js';

/** The template for a node's op, typed by the node (correlated union). */
export function kernelOf<K extends OpName>(node: NodeOf<K>): KernelTemplate<K> {
  const kernel = defOf(node).kernel;
  if (kernel === undefined) throw new Error(`codegen: '${node.op}' is a leaf and has no kernel`);
  return kernel;
}

/** The linear or matmul node whose product a kernel computes, if its pattern has one (its first node). */
export function productNode(kernel: Kernel, ctx: KernelContext): Node | undefined {
  const first = kernel.nodes[0] === undefined ? undefined : ctx.node(kernel.nodes[0]);
  switch (kernel.pattern) {
    case 'single':
    case 'linear_activation':
    case 'linear_softmax':
    case 'matmul_activation_grad':
    case 'weight_bias_grad':
      return first?.op === 'linear' || first?.op === 'matmul' ? first : undefined;
    default:
      return undefined;
  }
}
