// Fused kernels that run whole-row steps one after another in one function: the linear layer
// feeding a (log-)softmax, normalized in place while its rows are still in cache. Each step is
// its op's own template, so the arithmetic (and every rounding) is exactly the unfused code's.
import type { Kernel, Node, NodeOf } from '../ir/types.js';
import type { KernelContext } from './kernel-context.js';
import { kernelOf } from './kernel-lookup.js';

/** Statements in their own block, so each step's `const X = …` names stay local. */
export function block(statements: string): string {
  return ['{', ...statements.split('\n').map((l) => `  ${l}`), '}'].join('\n');
}

/**
 * `O = X·W + b` then `O = softmax(O)` per row. When nothing else reads the logits, the matmul
 * writes them straight into the softmax's output (the templates read X[o + j] before writing
 * O[o + j], so in place is exact) and the logits need no buffer of their own. `linearStep`
 * computes the logits into `rows.ref(lin.id)` (default: the linear op's own template; the
 * wasm-simd mode passes its WebAssembly matmul).
 */
export function linearSoftmax(
  nodes: readonly Node[],
  ctx: KernelContext,
  kernel: Kernel,
  linearStep: (lin: NodeOf<'linear'>, rows: KernelContext) => string = (lin, rows) => kernelOf(lin)(lin, rows),
): string {
  const [lin, sm] = nodes;
  if (lin?.op !== 'linear' || (sm?.op !== 'softmax' && sm?.op !== 'log_softmax')) {
    throw new Error(`codegen: kernel ${kernel.name} is not linear + softmax`);
  }
  const inPlace = !kernel.writes.includes(lin.id);
  const rows: KernelContext = inPlace ? { ...ctx, ref: (id) => ctx.ref(id === lin.id ? sm.id : id) } : ctx;
  return [
    `// ${sm.name} = ${sm.op}(${lin.name})${inPlace ? `, ${lin.name} computed in ${sm.name}'s buffer` : ''}`,
    block(linearStep(lin, rows)),
    block(kernelOf(sm)(sm, rows)),
  ].join('\n');
}
