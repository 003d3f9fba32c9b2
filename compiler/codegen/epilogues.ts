// The per-element arithmetic of the matmul-bearing fusion patterns (compiler/passes/fuse.ts),
// written once: what a kernel does with each element of its product — bias, activation,
// activation derivative, gradient store and fused optimizer update. Backends only supply the
// product: the JS kernels (fused-kernels.ts) run an epilogue as the gemm's fused store, the
// wasm-simd kernels (wasm/kernels-wasm.ts) over the wasm matmul's result. So a pattern's
// formula, rounding and stores cannot drift between backends.
import type { Kernel, Node, NodeOf } from '../ir/types.js';
import type { KernelContext } from './kernel-context.js';
import { adamPrelude, pointwiseExpr } from './pointwise.js';

/** What a kernel does around its product, whoever computes the product. */
export interface Epilogue {
  /** The linear or matmul node whose product the epilogue consumes. */
  readonly product: Node;
  /** Declarations of the arrays the epilogue writes or reads, and the kernel's comment line. */
  readonly lines: readonly string[];
  /** Statements for product element `index` (column `j`) held in accumulator `acc`. */
  readonly store: (index: string, acc: string, j: string) => string[];
}

/** `expr` rounded to the model's float type (what a store and reload would give). */
export function rounded(ctx: KernelContext, expr: string): string {
  return ctx.dtype === 'f32' ? `Math.fround(${expr})` : expr;
}

/** linear_activation: `z = X·W + b` (rounded once), `Z = z` when someone reads it, `O = act(z)`. */
export function linearActivationEpilogue(nodes: readonly Node[], ctx: KernelContext, kernel: Kernel): Epilogue {
  const [lin, act] = nodes;
  if (lin?.op !== 'linear' || act === undefined) {
    throw new Error(`codegen: kernel ${kernel.name} is not linear + activation`);
  }
  const linear: NodeOf<'linear'> = lin;
  const [x, , b] = linear.inputs as [number, number, number | undefined];
  const xs = ctx.node(x).type.shape;
  const storeZ = kernel.writes.includes(linear.id);
  const f = pointwiseExpr(act, ['z']);
  if (f === undefined) throw new Error(`codegen: ${act.op} has no pointwise form`);
  return {
    product: linear,
    lines: [
      `const O = ${ctx.ref(act.id)};`,
      ...(b === undefined ? [] : [`const bias = ${ctx.ref(b)};`]),
      ...(storeZ ? [`const Z = ${ctx.ref(linear.id)};`] : []),
      `// ${act.name} = ${act.op}(${linear.name}), ${linear.name} = X·W${b === undefined ? '' : ' + b'}: [${xs.join(',')}]·[${ctx.cols(xs)},${linear.attrs.units}], activation in the epilogue`,
    ],
    store: (index, acc, j) => [
      '{',
      `  const z = ${rounded(ctx, b === undefined ? acc : `${acc} + bias[${j}]`)};`,
      ...(storeZ ? [`  Z[${index}] = z;`] : []),
      `  O[${index}] = ${f};`,
      '}',
    ],
  };
}

/** matmul_activation_grad: `d = dY·Wᵀ` (rounded once), `M = d` when someone reads it, `O = d ⊙ f'(S)`. */
export function activationGradEpilogue(nodes: readonly Node[], ctx: KernelContext, kernel: Kernel): Epilogue {
  const [mm, grad] = nodes;
  if (mm?.op !== 'matmul' || grad === undefined) {
    throw new Error(`codegen: kernel ${kernel.name} is not matmul + derivative`);
  }
  const saved = grad.inputs[1];
  if (saved === undefined) throw new Error(`codegen: ${grad.name} has no saved operand`);
  const f = pointwiseExpr(grad, ['d', 'S[IDX]']);
  if (f === undefined) throw new Error(`codegen: ${grad.op} has no pointwise form`);
  const storeM = kernel.writes.includes(mm.id);
  return {
    product: mm,
    lines: [
      `const S = ${ctx.ref(saved)}, O = ${ctx.ref(grad.id)};`,
      ...(storeM ? [`const M = ${ctx.ref(mm.id)};`] : []),
      `// ${grad.name} = (${mm.name}) ${grad.grad?.factor ?? ''}: the derivative applied in the matmul epilogue`,
    ],
    store: (index, acc) => [
      '{',
      `  const d = ${rounded(ctx, acc)};`,
      ...(storeM ? [`  M[${index}] = d;`] : []),
      `  O[${index}] = ${f.split('S[IDX]').join(`S[${index}]`)};`,
      '}',
    ],
  };
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
 * weight_bias_grad (and a lone weight gradient with fused updates): ∂L/∂W and ∂L/∂b stored, then
 * for trainStep the parameters' optimizer updates applied as each gradient element is produced.
 * `weightInTs` false: the wasm matmul's store wrote ∂L/∂W and did its updates, so only the bias
 * part is declared and emitted.
 */
export function gradientEpilogue(
  mm: Node,
  bias: Node | undefined,
  updates: readonly Node[],
  ctx: KernelContext,
  weightInTs = true,
): GradientEpilogue {
  const lines: string[] = weightInTs ? [`const G = ${ctx.ref(mm.id)};`] : [];
  if (bias !== undefined) lines.push(`const GB = ${ctx.ref(bias.id)};`);
  const chainW = weightInTs ? chainOf(mm.id, updates) : [];
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
  for (const u of [...chainW, ...chainB]) {
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
    weight: (index, acc) => {
      if (!weightInTs) throw new Error(`codegen: ${mm.name} is stored by the wasm matmul, not in TS`);
      return apply(mm.id, chainW, index, acc);
    },
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
