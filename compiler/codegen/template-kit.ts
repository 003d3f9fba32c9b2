// Building blocks for the kernel templates that live in each op's file (compiler/ops/*.ts): loops
// over elements and rows, loss operands, and the matmul call. A template returns TS statements
// specialized to its node's static dims; it mirrors its op's `reference` (same formula, same order
// of operations) and computes in doubles, storing each result once, so f32 kernels round like the
// reference.
import type { Node, NodeOf } from '../ir/types.js';

/** What the loop builders read of a node (any op's node type fits). */
type Target = Pick<Node, 'id' | 'inputs' | 'type'>;
import { gemm, type GemmSpec } from './gemm.js';
import type { KernelContext } from './kernel-context.js';

/** `out[i] = f(x[i])` over every element. */
export function unaryLoop(ctx: KernelContext, node: Target, f: (x: string) => string): string {
  const [x] = node.inputs as [number];
  return [
    `const X = ${ctx.ref(x)}, O = ${ctx.ref(node.id)};`,
    `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) {`,
    `  const x = X[i];`,
    `  O[i] = ${f('x')};`,
    `}`,
  ].join('\n');
}

/** `dx[i] = f(dy[i], s[i])` where s is the saved forward tensor. */
export function derivativeLoop(ctx: KernelContext, node: Target, f: (dy: string, s: string) => string): string {
  const [dy, s] = node.inputs as [number, number];
  return [
    `const DY = ${ctx.ref(dy)}, S = ${ctx.ref(s)}, O = ${ctx.ref(node.id)};`,
    `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) {`,
    `  const dy = DY[i], s = S[i];`,
    `  O[i] = ${f('dy', 's')};`,
    `}`,
  ].join('\n');
}

/** Rows of a row-major tensor whose last axis is `k`, with a per-row body (`o` is the row's first index). */
export function rowLoop(ctx: KernelContext, node: Target, body: readonly string[]): string {
  const k = ctx.cols(node.type.shape);
  return [
    `for (let r = 0; r < ${ctx.rows(node.type.shape)}; r++) {`,
    `  const o = r * ${k};`,
    ...body.map((l) => `  ${l}`),
    '}',
  ].join('\n');
}

/** `const DL = …, P = …, Y = …, O = …;` for a loss gradient with operands (dL, pred, target). */
function lossGradOperands(node: Target, ctx: KernelContext): string {
  const [dl, p, y] = node.inputs as [number, number, number];
  return `const DL = ${ctx.ref(dl)}, P = ${ctx.ref(p)}, Y = ${ctx.ref(y)}, O = ${ctx.ref(node.id)};`;
}

/**
 * An element-wise loss gradient over all N elements: `scale = <factor>dL/N`, then per element
 * `i` one statement (written on the loop's line) or a block of them.
 */
export function elementLossGrad(
  node: Target,
  ctx: KernelContext,
  factor: '' | '2 * ',
  body: readonly string[],
): string {
  const [, p] = node.inputs as [number, number, number];
  const n = ctx.count(ctx.node(p).type.shape);
  const loop = `for (let i = 0; i < ${n}; i++)`;
  return [
    lossGradOperands(node, ctx),
    `const scale = ${factor}DL[0] / (${n});`,
    ...(body.length === 1 ? [`${loop} ${body[0] ?? ''}`] : [`${loop} {`, ...body.map((l) => `  ${l}`), '}']),
  ].join('\n');
}

/** A row-wise loss gradient: `scale = dL/rows`, then `body` per row with `o` its first index. */
export function lossGradRows(
  node: Target,
  ctx: KernelContext,
  rows: string,
  k: number,
  body: readonly string[],
): string {
  return [
    lossGradOperands(node, ctx),
    `const scale = DL[0] / ${rows};`,
    `for (let r = 0; r < ${rows}; r++) {`,
    `  const o = r * ${k};`,
    ...body.map((l) => `  ${l}`),
    '}',
  ].join('\n');
}

/**
 * The matmul of a linear node, `O = X·W` over arrays named `X`, `W`, `O` (row-major, W [in,out]);
 * callers add the bias as an `epilogue` or a fused `store`.
 */
export function linearGemmSpec(node: NodeOf<'linear'>, ctx: KernelContext): GemmSpec {
  const [x] = node.inputs as [number];
  const k = ctx.cols(ctx.node(x).type.shape);
  const n = node.attrs.units;
  return {
    c: 'O',
    a: 'X',
    b: 'W',
    m: ctx.rows(node.type.shape),
    n,
    k: `${k}`,
    ai: `${k}`,
    ap: '1',
    bp: `${n}`,
    bj: '1',
    tile: ctx.tile,
    ...(ctx.rowRange === undefined ? {} : { rowRange: ctx.rowRange }),
  };
}

/**
 * A loss that is the mean over all N elements of its prediction: `body` accumulates `total` for
 * element `i` of `P` (prediction) and `Y` (target); the loss `L[0] = total / N`.
 */
export function meanOverElements(node: Target, ctx: KernelContext, body: readonly string[]): string {
  const [p, y] = node.inputs as [number, number];
  const n = ctx.count(ctx.node(p).type.shape);
  return [
    `const P = ${ctx.ref(p)}, Y = ${ctx.ref(y)}, L = ${ctx.ref(node.id)};`,
    'let total = 0;',
    `for (let i = 0; i < ${n}; i++) {`,
    ...body.map((l) => `  ${l}`),
    '}',
    `L[0] = total / (${n});`,
  ].join('\n');
}

/**
 * C = op(A)·op(B) for a matmul node (transposes folded into the strides), with optional fused
 * stores (`store`, `onesRow`) for the fused kernels.
 */
export function matmulGemm(
  node: Node,
  ctx: KernelContext,
  extra: Partial<Pick<GemmSpec, 'store' | 'onesRow'>> = {},
): string {
  if (node.op !== 'matmul') throw new Error(`codegen: ${node.name} is not a matmul`);
  const [a, b] = node.inputs as [number, number];
  const as = ctx.node(a).type.shape;
  const bs = ctx.node(b).type.shape;
  const { transA, transB } = node.attrs;
  const aCols = ctx.dim(as[1] ?? 1);
  const bCols = ctx.dim(bs[1] ?? 1);
  const k = transA ? ctx.dim(as[0] ?? 1) : aCols;
  const form = `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;
  return [
    `const A = ${ctx.ref(a)}, Bm = ${ctx.ref(b)}${extra.store === undefined ? `, O = ${ctx.ref(node.id)}` : ''};`,
    `// ${node.name} = ${form}: op(A) is [${ctx.rows(node.type.shape)},${k}], op(B) is [${k},${ctx.cols(node.type.shape)}]`,
    gemm({
      c: 'O',
      a: 'A',
      b: 'Bm',
      m: ctx.rows(node.type.shape),
      n: ctx.cols(node.type.shape),
      k,
      ai: transA ? '1' : aCols,
      ap: transA ? aCols : '1',
      bp: transB ? '1' : bCols,
      bj: transB ? bCols : '1',
      tile: ctx.tile,
      ...(ctx.rowRange === undefined ? {} : { rowRange: ctx.rowRange }),
      ...extra,
    }),
  ].join('\n');
}
