// Templates for fused kernels (one per fusion pattern; see compiler/passes/fuse.ts). Values a
// fused kernel keeps in registers are rounded to the model's float type (Math.fround for f32)
// exactly where the unfused code would have stored them, so fusion never changes a result.
import type { Kernel, Node } from '../ir/types.js';
import { gemm, type GemmSpec } from './gemm.js';
import type { KernelContext } from './kernel-context.js';
import { kernelOf } from './kernel-lookup.js';
import { linearGemmSpec, matmulGemm } from './template-kit.js';
import { adamPrelude, pointwiseExpr } from './pointwise.js';
import { block, linearSoftmax } from './fused-rows.js';

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

/** `const v = expr` rounded to the model's float type (what a store and reload would give). */
function rounded(ctx: KernelContext, expr: string): string {
  return ctx.dtype === 'f32' ? `Math.fround(${expr})` : expr;
}

function linearActivation(nodes: readonly Node[], ctx: KernelContext, kernel: Kernel): string {
  const [lin, act] = nodes;
  if (lin?.op !== 'linear' || act === undefined)
    throw new Error(`codegen: kernel ${kernel.name} is not linear + activation`);
  const [x, w, b] = lin.inputs as [number, number, number | undefined];
  const xs = ctx.node(x).type.shape;
  const k = ctx.cols(xs);
  const n = lin.attrs.units;
  const storeZ = writes(kernel, lin.id);
  const f = pointwiseExpr(act, ['z']);
  if (f === undefined) throw new Error(`codegen: ${act.op} has no pointwise form`);
  return [
    `const X = ${ctx.ref(x)}, W = ${ctx.ref(w)}, O = ${ctx.ref(act.id)};`,
    ...(b === undefined ? [] : [`const bias = ${ctx.ref(b)};`]),
    ...(storeZ ? [`const Z = ${ctx.ref(lin.id)};`] : []),
    `// ${act.name} = ${act.op}(${lin.name}), ${lin.name} = X·W${b === undefined ? '' : ' + b'}: [${xs.join(',')}]·[${k},${n}], activation in the epilogue`,
    gemm({
      ...linearGemmSpec(lin, ctx),
      store: (index, acc, j) => [
        `{`,
        `  const z = ${rounded(ctx, b === undefined ? acc : `${acc} + bias[${j}]`)};`,
        ...(storeZ ? [`  Z[${index}] = z;`] : []),
        `  O[${index}] = ${f};`,
        `}`,
      ],
    }),
  ].join('\n');
}

function matmulActivationGrad(nodes: readonly Node[], ctx: KernelContext, kernel: Kernel): string {
  const [mm, grad] = nodes;
  if (mm?.op !== 'matmul' || grad === undefined)
    throw new Error(`codegen: kernel ${kernel.name} is not matmul + derivative`);
  const saved = grad.inputs[1];
  if (saved === undefined) throw new Error(`codegen: ${grad.name} has no saved operand`);
  const f = pointwiseExpr(grad, ['d', 'S[' + 'IDX' + ']']);
  if (f === undefined) throw new Error(`codegen: ${grad.op} has no pointwise form`);
  const storeM = writes(kernel, mm.id);
  return [
    `const S = ${ctx.ref(saved)}, O = ${ctx.ref(grad.id)};`,
    ...(storeM ? [`const M = ${ctx.ref(mm.id)};`] : []),
    `// ${grad.name} = (${mm.name}) ${grad.grad?.factor ?? ''}: the derivative applied in the matmul epilogue`,
    matmulGemm(mm, ctx, {
      store: (index, acc) => [
        `{`,
        `  const d = ${rounded(ctx, acc)};`,
        ...(storeM ? [`  M[${index}] = d;`] : []),
        `  O[${index}] = ${f.split('S[IDX]').join(`S[${index}]`)};`,
        `}`,
      ],
    }),
  ].join('\n');
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

/** How a weight-gradient kernel stores each gradient element (and applies its fused updates). */
export interface GradientEpilogue {
  /** Declarations (operand names, Adam's bias corrections) and the kernel's comment line. */
  readonly lines: string[];
  /** Statements storing ∂L/∂W at flat `index` from accumulator `acc`, then its updates. */
  readonly weight: (index: string, acc: string) => string[];
  /** The same for the bias gradient at column `j` (when the kernel has one). */
  readonly bias?: (j: string, acc: string) => string[];
}

/**
 * The epilogue of `gradientMatmul`, apart from the matmul: shared with the WebAssembly kernels
 * (compiler/codegen/wasm/kernels-wasm.ts), which run it over the wasm matmul's result.
 */
export function gradientEpilogue(
  mm: Node,
  bias: Node | undefined,
  updates: readonly Node[],
  ctx: KernelContext,
): GradientEpilogue {
  const lines: string[] = [`const G = ${ctx.ref(mm.id)};`];
  if (bias !== undefined) lines.push(`const GB = ${ctx.ref(bias.id)};`);
  const chainW = chainOf(mm.id, updates);
  const chainB = bias === undefined ? [] : chainOf(bias.id, updates);
  const refs = new Map<number, string>();
  for (const u of [...chainW, ...chainB]) {
    // Adam's step count is read once, by its bias-correction prelude, not per element.
    const step = u.op === 'adam_update' ? u.inputs[3] : undefined;
    for (const i of u.inputs) {
      if (i === mm.id || i === bias?.id || i === step || updates.some((x) => x.id === i) || refs.has(i)) continue;
      refs.set(i, `R${refs.size}`);
    }
    refs.set(u.id, `R${refs.size}`);
  }
  for (const [id, r] of refs) lines.push(`const ${r} = ${ctx.ref(id)};`);
  for (const u of updates) {
    const t = u.op === 'adam_update' ? u.inputs[3] : undefined;
    if (t !== undefined) lines.push(...adamPrelude(u, ctx.ref(t)));
  }
  const describe = updates.length === 0 ? '' : `, then ${[...new Set(updates.map((u) => u.op))].join(', ')} in place`;
  lines.push(
    `// ${mm.name} = ${mm.grad?.factor ?? 'Xᵀ·dZ'}${bias === undefined ? '' : ` and ${bias.name} = Σrows`}${describe}`,
  );
  const apply = (g: number, chain: readonly Node[], index: string, acc: string): string[] => {
    const local = new Map<number, string>([[g, 'g']]);
    const out = [`  const g = ${rounded(ctx, acc)};`, `  ${g === mm.id ? 'G' : 'GB'}[${index}] = g;`];
    chain.forEach((u, k) => {
      const operands = u.inputs.map((i) => local.get(i) ?? `${refs.get(i) ?? ctx.ref(i)}[${index}]`);
      const expr = pointwiseExpr(u, operands);
      if (expr === undefined) throw new Error(`codegen: update ${u.op} has no pointwise form`);
      out.push(`  const u${k} = ${rounded(ctx, expr)};`);
      out.push(`  ${refs.get(u.id) ?? ctx.ref(u.id)}[${index}] = u${k};`);
      local.set(u.id, `u${k}`);
    });
    return ['{', ...out, '}'];
  };
  return {
    lines,
    weight: (index, acc) => apply(mm.id, chainW, index, acc),
    ...(bias === undefined ? {} : { bias: (j: string, acc: string) => apply(bias.id, chainB, j, acc) }),
  };
}

/** The updates that depend on gradient `g` (directly or through each other), in order. */
function chainOf(g: number, updates: readonly Node[]): Node[] {
  const reached = new Set([g]);
  const out: Node[] = [];
  for (const u of updates) {
    if (u.inputs.some((i) => reached.has(i))) {
      reached.add(u.id);
      out.push(u);
    }
  }
  return out;
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
