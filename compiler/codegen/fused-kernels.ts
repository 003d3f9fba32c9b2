// Templates for fused kernels (one per fusion pattern; see compiler/passes/fuse.ts). Values a
// fused kernel keeps in registers are rounded to the model's float type (Math.fround for f32)
// exactly where the unfused code would have stored them, so fusion never changes a result.
import type { Kernel, Node } from '../ir/types.js';
import { gemm, type GemmSpec } from './gemm.js';
import type { KernelContext } from './kernel-context.js';
import { kernelOf } from './kernel-lookup.js';
import { linearGemmSpec, matmulGemm } from './template-kit.js';
import { pointwiseExpr } from './pointwise.js';
import { block, linearSoftmax } from './fused-rows.js';
import { activationGradEpilogue, gradientEpilogue, linearActivationEpilogue, rounded } from './epilogues.js';

/** The body of a kernel's function; `withUpdates` adds its fused optimizer updates (trainStep). */
export function kernelBody(kernel: Kernel, ctx: KernelContext, withUpdates: boolean): string {
  const nodes = kernel.nodes.map((id) => ctx.node(id));
  const updates = withUpdates ? (kernel.updates ?? []).map((id) => ctx.node(id)) : [];
  switch (kernel.pattern) {
    case 'single': {
      const [node] = nodes;
      if (node === undefined) throw new Error(`codegen: kernel ${kernel.name} is empty`);
      if (updates.length === 0) return kernelOf(node)(node, ctx);
      return gradientMatmul(node, undefined, updates, ctx, kernel);
    }
    case 'linear_activation':
      return linearActivation(nodes, ctx, kernel);
    case 'matmul_activation_grad':
      return matmulActivationGrad(nodes, ctx, kernel);
    case 'weight_bias_grad': {
      const [w, b] = nodes;
      if (w === undefined || b === undefined)
        throw new Error(`codegen: kernel ${kernel.name} needs a matmul and a sum_rows`);
      return gradientMatmul(w, b, updates, ctx, kernel);
    }
    case 'linear_softmax':
      return linearSoftmax(nodes, ctx, kernel);
    case 'loss_grad':
      return nodes.map((node) => block(kernelOf(node)(node, ctx))).join('\n');
    case 'elementwise':
      return elementwise(nodes, ctx, kernel);
  }
}

const writes = (kernel: Kernel, id: number): boolean => kernel.writes.includes(id);

function linearActivation(nodes: readonly Node[], ctx: KernelContext, kernel: Kernel): string {
  const e = linearActivationEpilogue(nodes, ctx, kernel);
  if (e.product.op !== 'linear') throw new Error(`codegen: kernel ${kernel.name} is not linear + activation`);
  const [x, w] = e.product.inputs as [number, number];
  return [
    `const X = ${ctx.ref(x)}, W = ${ctx.ref(w)};`,
    ...e.lines,
    gemm({ ...linearGemmSpec(e.product, ctx), store: e.store }),
  ].join('\n');
}

function matmulActivationGrad(nodes: readonly Node[], ctx: KernelContext, kernel: Kernel): string {
  const e = activationGradEpilogue(nodes, ctx, kernel);
  return [...e.lines, matmulGemm(e.product, ctx, { store: e.store })].join('\n');
}

/**
 * A weight gradient Xᵀ·dZ (with the bias gradient Σrows dZ as a row of ones when `bias` is
 * given), and for trainStep the parameters' optimizer updates applied as each gradient element
 * is produced. The gradients are still stored: `grads` stays valid after trainStep.
 */
function gradientMatmul(
  mm: Node,
  bias: Node | undefined,
  updates: readonly Node[],
  ctx: KernelContext,
  kernel: Kernel,
): string {
  if (mm.op !== 'matmul') throw new Error(`codegen: kernel ${kernel.name} does not start with a matmul`);
  const { lines, weight, bias: biasStore } = gradientEpilogue(mm, bias, updates, ctx);
  const spec: Partial<GemmSpec> = {
    store: weight,
    ...(biasStore === undefined ? {} : { onesRow: { store: biasStore } }),
  };
  lines.push(matmulGemm(mm, ctx, spec));
  return lines.join('\n');
}

/** A chain of pointwise ops over one shape: one loop, intermediates in registers. */
function elementwise(nodes: readonly Node[], ctx: KernelContext, kernel: Kernel): string {
  const last = nodes[nodes.length - 1];
  if (last === undefined) throw new Error(`codegen: kernel ${kernel.name} is empty`);
  const local = new Map<number, string>();
  const refs = new Map<number, string>();
  const ref = (id: number): string => {
    let r = refs.get(id);
    if (r === undefined) {
      r = `E${refs.size}`;
      refs.set(id, r);
    }
    return r;
  };
  const body: string[] = [];
  nodes.forEach((n, k) => {
    const operands = n.inputs.map((i) => local.get(i) ?? `${ref(i)}[i]`);
    const expr = pointwiseExpr(n, operands);
    if (expr === undefined) throw new Error(`codegen: ${n.op} has no pointwise form`);
    body.push(`const v${k} = ${rounded(ctx, expr)}; // ${n.op} '${n.name}'`);
    if (writes(kernel, n.id)) body.push(`${ref(n.id)}[i] = v${k};`);
    local.set(n.id, `v${k}`);
  });
  return [
    `const ${[...refs].map(([id, r]) => `${r} = ${ctx.ref(id)}`).join(', ')};`,
    `for (let i = 0; i < ${ctx.count(last.type.shape)}; i++) {`,
    ...body.map((l) => `  ${l}`),
    '}',
  ].join('\n');
}
