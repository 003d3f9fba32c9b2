// log_softmax along the last axis via log-sum-exp: x − max − log Σ exp(x − max). Never takes
// the log of a rounded-to-zero probability.
import type { OpDef, SpecNodeOpDef } from './op-def.js';
import { at, get, lastAxisRule, rowsCols, sameTypeRule } from './shape.js';
import { rowLoop } from '../codegen/template-kit.js';
import { int, reduceSum } from './onnx.js';
import { tfjsActivation } from './tfjs.js';

export const logSoftmax: SpecNodeOpDef<'log_softmax'> = {
  op: 'log_softmax',
  leaf: false,
  group: 'row',
  inputNames: ['x'],
  spec: {
    use: 'node',
    summary: 'x − max x − log Σ exp(x − max x) along the last axis',
    arity: 'unary',
    attrs: [],
    attrsFromSpec: () => ({}),
  },
  inferType: (inputs, _attrs, labels) => lastAxisRule(inputs, labels),
  reference(inputs, _attrs, out) {
    const x = at(inputs, 0);
    const [rows, k] = rowsCols(x.shape);
    for (let r = 0; r < rows; r++) {
      const base = r * k;
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, get(x, base + j));
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(get(x, base + j) - max);
      const lse = max + Math.log(sum);
      for (let j = 0; j < k; j++) out.data[base + j] = get(x, base + j) - lse;
    }
  },
  // dX = dY − softmax(x)·Σ_row dY, with softmax(x) = exp(saved output).
  vjp: {
    saves: ['output'],
    grad: ({ node, dy, name }, operand) =>
      operand === 0
        ? {
            op: 'log_softmax_grad',
            attrs: {},
            inputs: [dy, node.id],
            factor: `·J_log_softmax(${name(at(node.inputs, 0))})`,
          }
        : undefined,
  },
  kernel(node, ctx) {
    const [x] = node.inputs as [number];
    const k = ctx.cols(node.type.shape);
    return [
      `const X = ${ctx.ref(x)}, O = ${ctx.ref(node.id)};`,
      rowLoop(ctx, node, [
        'let max = -Infinity;',
        `for (let j = 0; j < ${k}; j++) max = Math.max(max, X[o + j]);`,
        'let sum = 0;',
        `for (let j = 0; j < ${k}; j++) sum += Math.exp(X[o + j] - max);`,
        'const lse = max + Math.log(sum);',
        `for (let j = 0; j < ${k}; j++) O[o + j] = X[o + j] - lse;`,
      ]),
    ].join('\n');
  },
  tfjs: () => tfjsActivation('logSoftmax'),
  onnx: (_node, c) => c.op('LogSoftmax', c.inputs, { axis: int(-1) }),
};

/** dx = dy − exp(y)·Σ_row dy, where y = log_softmax(x). */
export const logSoftmaxGrad: OpDef<'log_softmax_grad'> = {
  op: 'log_softmax_grad',
  leaf: false,
  group: 'row-grad',
  inputNames: ['dy', 'y'],
  // y = log p: ∂yₗ/∂xₖ = δₗₖ − pₖ = δₗₖ − exp(yₖ)
  explain: { jacobian: 'J_log_softmax', entry: (y, delta, _l, k) => `${delta} − exp(${y(k)})` },
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference(inputs, _attrs, out) {
    const [dy, y] = [at(inputs, 0), at(inputs, 1)];
    const [rows, k] = rowsCols(y.shape);
    for (let r = 0; r < rows; r++) {
      const base = r * k;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += get(dy, base + j);
      for (let j = 0; j < k; j++) out.data[base + j] = get(dy, base + j) - Math.exp(get(y, base + j)) * sum;
    }
  },
  kernel(node, ctx) {
    const [dy, lp] = node.inputs as [number, number];
    const k = ctx.cols(node.type.shape);
    return [
      `const DY = ${ctx.ref(dy)}, LP = ${ctx.ref(lp)}, O = ${ctx.ref(node.id)};`,
      rowLoop(ctx, node, [
        'let sum = 0;',
        `for (let j = 0; j < ${k}; j++) sum += DY[o + j];`,
        `for (let j = 0; j < ${k}; j++) O[o + j] = DY[o + j] - Math.exp(LP[o + j]) * sum;`,
      ]),
    ].join('\n');
  },
  onnx: (_node, c) => {
    // dx = dy − exp(y)·Σ_j dy
    const [dy = '', y = ''] = c.inputs;
    return c.op('Sub', [dy, c.op('Mul', [c.op('Exp', [y]), reduceSum(c, dy, [-1], true)])]);
  },
};
