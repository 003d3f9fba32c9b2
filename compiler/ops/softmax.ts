// softmax along the last axis: exp(x − max x) / Σ exp(x − max x). Subtracting the row max keeps
// every exponent ≤ 0, so large logits never overflow.
import { rowLoop } from '../codegen/template-kit.js';
import type { OpDef, SpecNodeOpDef, Tensor } from './op-def.js';
import { at, get, lastAxisRule, rowsCols, sameTypeRule } from './shape.js';
import { int, reduceSum } from './onnx.js';
import { tfjsActivation } from './tfjs.js';

/** Writes softmax of each row of `x` into `out`. */
export function softmaxRows(x: Tensor, out: Tensor): void {
  const [rows, k] = rowsCols(x.shape);
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, get(x, base + j));
    let sum = 0;
    const e = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      e[j] = Math.exp(get(x, base + j) - max);
      sum += e[j] ?? 0;
    }
    for (let j = 0; j < k; j++) out.data[base + j] = (e[j] ?? 0) / sum;
  }
}

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

export const softmax: SpecNodeOpDef<'softmax'> = {
  op: 'softmax',
  leaf: false,
  group: 'row',
  inputNames: ['x'],
  spec: {
    use: 'node',
    summary: 'exp(x − max x) / Σ exp(x − max x) along the last axis',
    arity: 'unary',
    attrs: [],
    attrsFromSpec: () => ({}),
  },
  inferType: (inputs, _attrs, labels) => lastAxisRule(inputs, labels),
  reference: (inputs, _attrs, out) => softmaxRows(at(inputs, 0), out),
  // dX = p ⊙ (dY − Σ_row(dY ⊙ p)), written from the saved output p (tfjs saves it too).
  vjp: {
    saves: ['output'],
    grad: ({ node, dy, name }, operand) =>
      operand === 0
        ? { op: 'softmax_grad', attrs: {}, inputs: [dy, node.id], factor: `·J_softmax(${name(at(node.inputs, 0))})` }
        : undefined,
  },
  kernel(node, ctx) {
    const [x] = node.inputs as [number];
    const k = ctx.cols(node.type.shape);
    return [
      `const X = ${ctx.ref(x)}, O = ${ctx.ref(node.id)};`,
      rowLoop(
        ctx,
        node,
        k <= UNROLL_ROW
          ? softmaxRowUnrolled(k)
          : [
              'let max = -Infinity;',
              `for (let j = 0; j < ${k}; j++) max = Math.max(max, X[o + j]);`,
              'let sum = 0;',
              `for (let j = 0; j < ${k}; j++) sum += Math.exp(X[o + j] - max);`,
              `for (let j = 0; j < ${k}; j++) O[o + j] = Math.exp(X[o + j] - max) / sum;`,
            ],
      ),
    ].join('\n');
  },
  tfjs: () => tfjsActivation('softmax'),
  onnx: (_node, c) => c.op('Softmax', c.inputs, { axis: int(-1) }),
};

/** dx = p ⊙ (dy − Σ_row(dy ⊙ p)) */
export const softmaxGrad: OpDef<'softmax_grad'> = {
  op: 'softmax_grad',
  leaf: false,
  group: 'row-grad',
  inputNames: ['dy', 'y'],
  explain: { jacobian: 'J_softmax', entry: (p, delta, l, k) => `${p(l)}(${delta} − ${p(k)})` },
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference(inputs, _attrs, out) {
    const [dy, p] = [at(inputs, 0), at(inputs, 1)];
    const [rows, k] = rowsCols(p.shape);
    for (let r = 0; r < rows; r++) {
      const base = r * k;
      let dot = 0;
      for (let j = 0; j < k; j++) dot += get(dy, base + j) * get(p, base + j);
      for (let j = 0; j < k; j++) out.data[base + j] = get(p, base + j) * (get(dy, base + j) - dot);
    }
  },
  kernel(node, ctx) {
    const [dy, p] = node.inputs as [number, number];
    const k = ctx.cols(node.type.shape);
    return [
      `const DY = ${ctx.ref(dy)}, P = ${ctx.ref(p)}, O = ${ctx.ref(node.id)};`,
      rowLoop(ctx, node, [
        'let dot = 0;',
        `for (let j = 0; j < ${k}; j++) dot += DY[o + j] * P[o + j];`,
        `for (let j = 0; j < ${k}; j++) O[o + j] = P[o + j] * (DY[o + j] - dot);`,
      ]),
    ].join('\n');
  },
  onnx: (_node, c) => {
    // dx = y ⊙ (dy − Σ_j dy·y)
    const [dy = '', y = ''] = c.inputs;
    const dot = reduceSum(c, c.op('Mul', [dy, y]), [-1], true);
    return c.op('Mul', [y, c.op('Sub', [dy, dot])]);
  },
};
