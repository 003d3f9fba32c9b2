// Kernel templates: op → TS statements, specialized to the node's static dims. Every template
// mirrors its op's `reference` in compiler/ops/ (same formula, same order of operations), and
// computes in doubles, storing each result once, so f32 kernels round like the reference.
import type { Node, NodeOf, OpName } from '../ir/types.js';
import { PROB_FLOOR } from '../ops/loss-rules.js';
import { gemm, type GemmSpec } from './gemm.js';
import type { KernelContext, KernelTemplate } from './kernel-context.js';

type Templates = { readonly [K in OpName]: KernelTemplate<K> };

const leaf =
  (op: string) =>
  (): string => {
    throw new Error(`codegen: '${op}' is a leaf and has no kernel`);
  };

/** `out[i] = f(x[i])` over every element. */
function unary(ctx: KernelContext, node: Node, f: (x: string) => string): string {
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
function derivative(ctx: KernelContext, node: Node, f: (dy: string, s: string) => string): string {
  const [dy, s] = node.inputs as [number, number];
  return [
    `const DY = ${ctx.ref(dy)}, S = ${ctx.ref(s)}, O = ${ctx.ref(node.id)};`,
    `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) {`,
    `  const dy = DY[i], s = S[i];`,
    `  O[i] = ${f('dy', 's')};`,
    `}`,
  ].join('\n');
}

const GELU_C = 'Math.sqrt(2 / Math.PI)';

const sigmoidExpr = (x: string): string => `(${x} >= 0 ? 1 / (1 + Math.exp(-${x})) : Math.exp(${x}) / (1 + Math.exp(${x})))`;

/** Rows at most this wide are unrolled into locals (each exp computed once, no inner loops). */
const UNROLL_ROW = 16;

/**
 * One softmax row of static width `k` in locals: every X[o + j] is read before any O[o + j] is
 * written (so X may be O), and the sums run in the reference's order (same rounding).
 */
function softmaxRowUnrolled(k: number): string[] {
  const js = Array.from({ length: k }, (_, j) => j);
  const at = (j: number): string => (j === 0 ? 'o' : `o + ${j}`);
  return [
    `const ${js.map((j) => `x${j} = X[${at(j)}]`).join(', ')};`,
    `const max = Math.max(${js.map((j) => `x${j}`).join(', ')});`,
    `const ${js.map((j) => `e${j} = Math.exp(x${j} - max)`).join(', ')};`,
    `const sum = ${js.map((j) => `e${j}`).join(' + ')};`,
    ...js.map((j) => `O[${at(j)}] = e${j} / sum;`),
  ];
}

/** Rows of a row-major tensor whose last axis is `k`, with a per-row body. */
/** `const DL = …, P = …, Y = …, O = …;` for a loss gradient with operands (dL, pred, target). */
function lossGradOperands(node: Node, ctx: KernelContext): string {
  const [dl, p, y] = node.inputs as [number, number, number];
  return `const DL = ${ctx.ref(dl)}, P = ${ctx.ref(p)}, Y = ${ctx.ref(y)}, O = ${ctx.ref(node.id)};`;
}

/** A row-wise loss gradient: `scale = dL/rows`, then `body` per row with `o` its first index. */
function lossGradRows(node: Node, ctx: KernelContext, rows: string, k: number, body: readonly string[]): string {
  return [
    lossGradOperands(node, ctx),
    `const scale = DL[0] / ${rows};`,
    `for (let r = 0; r < ${rows}; r++) {`,
    `  const o = r * ${k};`,
    ...body.map((l) => `  ${l}`),
    '}',
  ].join('\n');
}

function perRow(ctx: KernelContext, node: Node, body: string[]): string {
  const k = ctx.cols(node.type.shape);
  return [`for (let r = 0; r < ${ctx.rows(node.type.shape)}; r++) {`, `  const o = r * ${k};`, ...body.map((l) => `  ${l}`), '}'].join('\n');
}

function lossOperands(ctx: KernelContext, node: NodeOf<'cross_entropy' | 'mse' | 'binary_cross_entropy'>): {
  p: number;
  y: number;
  classIndex: boolean;
  rows: string;
  k: number;
} {
  const [p, y] = node.inputs as [number, number];
  const pn = ctx.node(p);
  return {
    p,
    y,
    classIndex: ctx.node(y).type.dtype === 'i32',
    rows: ctx.rows(pn.type.shape),
    k: ctx.cols(pn.type.shape),
  };
}

export const kernelTemplates: Templates = {
  input: leaf('input'),
  target: leaf('target'),
  param: leaf('param'),
  state: leaf('state'),
  fill: leaf('fill'),

  linear(node, ctx) {
    const [x, w, b] = node.inputs as [number, number, number | undefined];
    const xs = ctx.node(x).type.shape;
    const k = ctx.cols(xs);
    const n = node.attrs.units;
    return [
      `const X = ${ctx.ref(x)}, W = ${ctx.ref(w)}, O = ${ctx.ref(node.id)};`,
      ...(b === undefined ? [] : [`const bias = ${ctx.ref(b)};`]),
      `// O = X·W${b === undefined ? '' : ' + b'}: [${xs.join(',')}]·[${k},${n}]`,
      gemm({
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
        ...(b === undefined ? {} : { epilogue: (acc: string, j: string) => `${acc} + bias[${j}]` }),
      }),
    ].join('\n');
  },
  relu: (node, ctx) => unary(ctx, node, (x) => `${x} > 0 ? ${x} : 0`),
  leaky_relu: (node, ctx) => unary(ctx, node, (x) => `${x} > 0 ? ${x} : ${node.attrs.alpha} * ${x}`),
  sigmoid: (node, ctx) => unary(ctx, node, sigmoidExpr),
  tanh: (node, ctx) => unary(ctx, node, (x) => `Math.tanh(${x})`),
  gelu: (node, ctx) => unary(ctx, node, (x) => `0.5 * ${x} * (1 + Math.tanh(${GELU_C} * (${x} + 0.044715 * ${x} * ${x} * ${x})))`),
  identity: (node, ctx) => unary(ctx, node, (x) => x),
  softmax(node, ctx) {
    const [x] = node.inputs as [number];
    const k = ctx.cols(node.type.shape);
    return [
      `const X = ${ctx.ref(x)}, O = ${ctx.ref(node.id)};`,
      perRow(ctx, node, k <= UNROLL_ROW ? softmaxRowUnrolled(k) : [
        'let max = -Infinity;',
        `for (let j = 0; j < ${k}; j++) max = Math.max(max, X[o + j]);`,
        'let sum = 0;',
        `for (let j = 0; j < ${k}; j++) sum += Math.exp(X[o + j] - max);`,
        `for (let j = 0; j < ${k}; j++) O[o + j] = Math.exp(X[o + j] - max) / sum;`,
      ]),
    ].join('\n');
  },
  log_softmax(node, ctx) {
    const [x] = node.inputs as [number];
    const k = ctx.cols(node.type.shape);
    return [
      `const X = ${ctx.ref(x)}, O = ${ctx.ref(node.id)};`,
      perRow(ctx, node, [
        'let max = -Infinity;',
        `for (let j = 0; j < ${k}; j++) max = Math.max(max, X[o + j]);`,
        'let sum = 0;',
        `for (let j = 0; j < ${k}; j++) sum += Math.exp(X[o + j] - max);`,
        'const lse = max + Math.log(sum);',
        `for (let j = 0; j < ${k}; j++) O[o + j] = X[o + j] - lse;`,
      ]),
    ].join('\n');
  },
  add(node, ctx) {
    const refs = node.inputs.map((id, i) => `A${i} = ${ctx.ref(id)}`);
    return [
      `const ${refs.join(', ')}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = ${node.inputs.map((_, i) => `A${i}[i]`).join(' + ')};`,
    ].join('\n');
  },
  cross_entropy(node, ctx) {
    const { p, y, classIndex, rows, k } = lossOperands(ctx, node);
    const logOf = node.attrs.input === 'log_probs' ? (v: string) => v : (v: string) => `Math.log(Math.max(${v}, ${PROB_FLOOR}))`;
    const body = classIndex
      ? [`total -= ${logOf(`P[r * ${k} + Y[r]]`)};`]
      : [
          `const o = r * ${k};`,
          `for (let j = 0; j < ${k}; j++) {`,
          '  const t = Y[o + j];',
          `  if (t !== 0) total -= t * ${logOf('P[o + j]')};`,
          '}',
        ];
    return [
      `const P = ${ctx.ref(p)}, Y = ${ctx.ref(y)}, L = ${ctx.ref(node.id)};`,
      'let total = 0;',
      `for (let r = 0; r < ${rows}; r++) {`,
      ...body.map((l) => `  ${l}`),
      '}',
      `L[0] = total / ${rows};`,
    ].join('\n');
  },
  mse(node, ctx) {
    const [p, y] = node.inputs as [number, number];
    const n = ctx.count(ctx.node(p).type.shape);
    return [
      `const P = ${ctx.ref(p)}, Y = ${ctx.ref(y)}, L = ${ctx.ref(node.id)};`,
      'let total = 0;',
      `for (let i = 0; i < ${n}; i++) {`,
      '  const d = P[i] - Y[i];',
      '  total += d * d;',
      '}',
      `L[0] = total / (${n});`,
    ].join('\n');
  },
  binary_cross_entropy(node, ctx) {
    const [p, y] = node.inputs as [number, number];
    const n = ctx.count(ctx.node(p).type.shape);
    return [
      `const P = ${ctx.ref(p)}, Y = ${ctx.ref(y)}, L = ${ctx.ref(node.id)};`,
      'let total = 0;',
      `for (let i = 0; i < ${n}; i++) {`,
      '  const p = P[i], t = Y[i];',
      `  total -= t * Math.log(Math.max(p, ${PROB_FLOOR})) + (1 - t) * Math.log(Math.max(1 - p, ${PROB_FLOOR}));`,
      '}',
      `L[0] = total / (${n});`,
    ].join('\n');
  },

  matmul: (node, ctx) => matmulGemm(node, ctx),
  sum_rows(node, ctx) {
    const [dy] = node.inputs as [number];
    const src = ctx.node(dy).type.shape;
    const n = ctx.cols(node.type.shape);
    return [
      `const DY = ${ctx.ref(dy)}, O = ${ctx.ref(node.id)};`,
      `for (let j = 0; j < ${n}; j++) {`,
      '  let s = 0;',
      `  for (let r = 0; r < ${ctx.rows(src)}; r++) s += DY[r * ${n} + j];`,
      '  O[j] = s;',
      '}',
    ].join('\n');
  },
  relu_grad: (node, ctx) => derivative(ctx, node, (dy, x) => `${x} > 0 ? ${dy} : 0`),
  leaky_relu_grad: (node, ctx) => derivative(ctx, node, (dy, x) => `${x} > 0 ? ${dy} : ${node.attrs.alpha} * ${dy}`),
  sigmoid_grad: (node, ctx) => derivative(ctx, node, (dy, y) => `${dy} * ${y} * (1 - ${y})`),
  tanh_grad: (node, ctx) => derivative(ctx, node, (dy, y) => `${dy} * (1 - ${y} * ${y})`),
  gelu_grad: (node, ctx) =>
    derivative(ctx, node, (dy, x) =>
      `${dy} * geluDerivative(${x})`,
    ),
  softmax_grad(node, ctx) {
    const [dy, p] = node.inputs as [number, number];
    const k = ctx.cols(node.type.shape);
    return [
      `const DY = ${ctx.ref(dy)}, P = ${ctx.ref(p)}, O = ${ctx.ref(node.id)};`,
      perRow(ctx, node, [
        'let dot = 0;',
        `for (let j = 0; j < ${k}; j++) dot += DY[o + j] * P[o + j];`,
        `for (let j = 0; j < ${k}; j++) O[o + j] = P[o + j] * (DY[o + j] - dot);`,
      ]),
    ].join('\n');
  },
  log_softmax_grad(node, ctx) {
    const [dy, lp] = node.inputs as [number, number];
    const k = ctx.cols(node.type.shape);
    return [
      `const DY = ${ctx.ref(dy)}, LP = ${ctx.ref(lp)}, O = ${ctx.ref(node.id)};`,
      perRow(ctx, node, [
        'let sum = 0;',
        `for (let j = 0; j < ${k}; j++) sum += DY[o + j];`,
        `for (let j = 0; j < ${k}; j++) O[o + j] = DY[o + j] - Math.exp(LP[o + j]) * sum;`,
      ]),
    ].join('\n');
  },
  cross_entropy_grad(node, ctx) {
    const [, p, y] = node.inputs as [number, number, number];
    const shape = ctx.node(p).type.shape;
    const k = ctx.cols(shape);
    const rows = ctx.rows(shape);
    const classIndex = ctx.node(y).type.dtype === 'i32';
    const logProbs = node.attrs.input === 'log_probs';
    // probs: ∂/∂p of −Σ y log p / n = −y / (p n); log-probs: −y / n.
    const value = (t: string, pj: string): string => (logProbs ? `-(${t}) * scale` : `-(${t}) * scale / Math.max(${pj}, ${PROB_FLOOR})`);
    const body = classIndex
      ? [`for (let j = 0; j < ${k}; j++) O[o + j] = j === Y[r] ? ${value('1', 'P[o + j]')} : 0;`]
      : [`for (let j = 0; j < ${k}; j++) O[o + j] = Y[o + j] === 0 ? 0 : ${value('Y[o + j]', 'P[o + j]')};`];
    return lossGradRows(node, ctx, rows, k, body);
  },
  mse_grad(node, ctx) {
    const [, p] = node.inputs as [number, number, number];
    const n = ctx.count(ctx.node(p).type.shape);
    return [
      lossGradOperands(node, ctx),
      `const scale = 2 * DL[0] / (${n});`,
      `for (let i = 0; i < ${n}; i++) O[i] = scale * (P[i] - Y[i]);`,
    ].join('\n');
  },
  binary_cross_entropy_grad(node, ctx) {
    const [, p] = node.inputs as [number, number, number];
    const n = ctx.count(ctx.node(p).type.shape);
    return [
      lossGradOperands(node, ctx),
      `const scale = DL[0] / (${n});`,
      `for (let i = 0; i < ${n}; i++) {`,
      '  const p = P[i];',
      `  O[i] = (scale * (p - Y[i])) / Math.max(p * (1 - p), ${PROB_FLOOR});`,
      '}',
    ].join('\n');
  },
  softmax_cross_entropy_grad(node, ctx) {
    const [, p, y] = node.inputs as [number, number, number];
    const shape = ctx.node(p).type.shape;
    const k = ctx.cols(shape);
    const rows = ctx.rows(shape);
    // dx = dL·(p·Σy − y)/n; Σy = 1 for class indices. log_probs store log p.
    const pj = node.attrs.input === 'log_probs' ? 'Math.exp(P[o + j])' : 'P[o + j]';
    const body =
      ctx.node(y).type.dtype === 'i32'
        ? [`for (let j = 0; j < ${k}; j++) O[o + j] = scale * (${pj} - (j === Y[r] ? 1 : 0));`]
        : [
            'let sum = 0;',
            `for (let j = 0; j < ${k}; j++) sum += Y[o + j];`,
            `for (let j = 0; j < ${k}; j++) O[o + j] = scale * (${pj} * sum - Y[o + j]);`,
          ];
    return lossGradRows(node, ctx, rows, k, body);
  },
  sigmoid_binary_cross_entropy_grad(node, ctx) {
    const [, p] = node.inputs as [number, number, number];
    const n = ctx.count(ctx.node(p).type.shape);
    return [
      lossGradOperands(node, ctx),
      `const scale = DL[0] / (${n});`,
      `for (let i = 0; i < ${n}; i++) O[i] = scale * (P[i] - Y[i]);`,
    ].join('\n');
  },

  sgd_update(node, ctx) {
    const [p, g] = node.inputs as [number, number];
    return [
      `const Pm = ${ctx.ref(p)}, G = ${ctx.ref(g)}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = Pm[i] - ${node.attrs.lr} * G[i];`,
    ].join('\n');
  },
  momentum_velocity(node, ctx) {
    const [v, g] = node.inputs as [number, number];
    return [
      `const V = ${ctx.ref(v)}, G = ${ctx.ref(g)}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = ${node.attrs.momentum} * V[i] + G[i];`,
    ].join('\n');
  },
  adam_moment(node, ctx) {
    const [m, g] = node.inputs as [number, number];
    const { beta, squared } = node.attrs;
    return [
      `const Mm = ${ctx.ref(m)}, G = ${ctx.ref(g)}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = ${beta} * Mm[i] + ${1 - beta} * ${squared ? 'G[i] * G[i]' : 'G[i]'};`,
    ].join('\n');
  },
  step_increment(node, ctx) {
    const [t] = node.inputs as [number];
    return `${ctx.ref(node.id)}[0] = ${ctx.ref(t)}[0] + 1;`;
  },
  adam_update(node, ctx) {
    const [p, m, v, t] = node.inputs as [number, number, number, number];
    const { lr, beta1, beta2, eps } = node.attrs;
    return [
      `const Pm = ${ctx.ref(p)}, Mm = ${ctx.ref(m)}, V = ${ctx.ref(v)}, O = ${ctx.ref(node.id)};`,
      `const t = ${ctx.ref(t)}[0];`,
      `const c1 = 1 - Math.pow(${beta1}, t), c2 = 1 - Math.pow(${beta2}, t);`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) {`,
      `  O[i] = Pm[i] - ${lr} * (Mm[i] / c1) / (Math.sqrt(V[i] / c2) + ${eps});`,
      '}',
    ].join('\n');
  },
};

/**
 * C = op(A)·op(B) for a matmul node (transposes folded into the strides), with optional fused
 * stores (`store`, `onesRow`) for the fused kernels.
 */
export function matmulGemm(node: Node, ctx: KernelContext, extra: Partial<Pick<GemmSpec, 'store' | 'onesRow'>> = {}): string {
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
      ...extra,
    }),
  ].join('\n');
}

/** The template for a node's op, typed by the node (correlated union). */
export function kernelOf<K extends OpName>(node: NodeOf<K>): (node: NodeOf<K>, ctx: KernelContext) => string {
  return kernelTemplates[node.op];
}
