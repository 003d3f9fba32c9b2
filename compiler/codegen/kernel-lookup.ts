// Kernel templates by op: each op's file (compiler/ops/) holds its template next to its shape
// rule, reference implementation and VJP rule; this is the lookup codegen uses.
import type { NodeOf, OpName } from '../ir/types.js';
import { defOf } from '../ops/index.js';
import type { KernelTemplate } from './kernel-context.js';

/** The template for a node's op, typed by the node (correlated union). */
export function kernelOf<K extends OpName>(node: NodeOf<K>): KernelTemplate<K> {
  const kernel = defOf(node).kernel;
  if (kernel === undefined) throw new Error(`codegen: '${node.op}' is a leaf and has no kernel`);
  return kernel;
}
