// cross_entropy = (1/n) Σ_rows −Σ_k y_k·log p_k, reading probabilities (after softmax) or
// log-probabilities (after log_softmax, attrs.input = 'log_probs'). Targets are class indices
// (i32 [n]: y is one-hot at that index) or probability rows [n,k].
import type { KernelContext } from '../codegen/kernel-context.js';
import { lossGradRows } from '../codegen/template-kit.js';
import type { AttrMap, NodeOf } from '../ir/types.js';
import type { OpDef, SpecLossOpDef, Tensor } from './op-def.js';
import { crossEntropyRule, lossGradRule, PROB_FLOOR } from './loss-rules.js';
import { at, get, rowsCols, scalar } from './shape.js';
import { denseTarget, lastDim, reduceSum } from './onnx.js';

/** Calls f(index, y) for every nonzero target entry of row r (y = 1 for class indices). */
function forTargets(y: Tensor, r: number, k: number, f: (j: number, yj: number) => void): void {
  if (y.data instanceof Int32Array) {
    const c = get(y, r);
    if (!(c >= 0 && c < k)) throw new Error(`cross_entropy: class index ${c} in row ${r} is outside [0, ${k - 1}]`);
    f(c, 1);
    return;
  }
  for (let j = 0; j < k; j++) {
    const yj = get(y, r * k + j);
    if (yj !== 0) f(j, yj);
  }
}

/** −log p of a stored prediction, per the input convention. */
function negLog(v: number, input: AttrMap['cross_entropy']['input']): number {
  return input === 'log_probs' ? -v : -Math.log(Math.max(v, PROB_FLOOR));
}

/** A loss's operands: prediction and target ids, whether the target holds class indices, rows and width. */
function lossOperands(
  ctx: KernelContext,
  node: NodeOf<'cross_entropy'>,
): {
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

export const crossEntropy: SpecLossOpDef<'cross_entropy'> = {
  op: 'cross_entropy',
  leaf: false,
  group: 'loss',
  inputNames: ['p', 'y'],
  spec: {
    use: 'loss',
    summary:
      'batch mean of −Σ_k y_k·log p_k; takes a softmax or log_softmax output; target [null] class indices or [null, k] rows',
    producers: ['softmax', 'log_softmax'],
  },
  inferType: (inputs, _attrs, labels) =>
    crossEntropyRule(at(inputs, 0), at(inputs, 1), [labels[0] ?? 'p', labels[1] ?? 'y']),
  reference(inputs, attrs, out) {
    const [p, y] = [at(inputs, 0), at(inputs, 1)];
    const [n, k] = rowsCols(p.shape);
    let total = 0;
    for (let r = 0; r < n; r++) forTargets(y, r, k, (j, yj) => (total += yj * negLog(get(p, r * k + j), attrs.input)));
    out.data[0] = n === 0 ? 0 : total / n;
  },
  printAttrs: (a) => `input=${a.input}`,
  vjp: {
    saves: ['p', 'y'],
    noGradient: ['y'],
    grad: ({ node, dy, name }, operand) => {
      if (operand !== 0) return undefined; // no gradient w.r.t. targets
      const [p, y] = [at(node.inputs, 0), at(node.inputs, 1)];
      const factor = node.attrs.input === 'probs' ? `−${name(y)}⊘(n·${name(p)})` : `−${name(y)}/n`;
      return { op: 'cross_entropy_grad', attrs: { input: node.attrs.input }, inputs: [dy, p, y], factor };
    },
  },
  kernel(node, ctx) {
    const { p, y, classIndex, rows, k } = lossOperands(ctx, node);
    const logOf =
      node.attrs.input === 'log_probs' ? (v: string) => v : (v: string) => `Math.log(Math.max(${v}, ${PROB_FLOOR}))`;
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
  onnx: (node, c) => {
    // −Σ y·log p / n over dense target rows (class indices become one-hot rows)
    const [p = '', y = ''] = c.inputs;
    const [pType, yType] = [at(c.inputTypes, 0), at(c.inputTypes, 1)];
    const dense = denseTarget(c, y, yType, lastDim(pType));
    const logP = node.attrs.input === 'log_probs' ? p : c.op('Log', [c.op('Max', [p, c.scalar(PROB_FLOOR)])]);
    const total = reduceSum(c, c.op('Mul', [dense, logP]), [0, 1], false);
    return c.op('Neg', [c.op('Div', [total, c.dim(p, 0)])]);
  },
};

/** probs: dp = −dL·y/(n·p); log_probs: dlp = −dL·y/n. */
export const crossEntropyGrad: OpDef<'cross_entropy_grad'> = {
  op: 'cross_entropy_grad',
  leaf: false,
  group: 'loss-grad',
  inputNames: ['dl', 'p', 'y'],
  diagram: { backward: (node) => `cross_entropy_grad (${node.attrs.input})` },
  inferType: (inputs, _attrs, labels) => lossGradRule(inputs, labels, crossEntropyRule),
  reference(inputs, attrs, out) {
    const [dl, p, y] = [scalar(at(inputs, 0)), at(inputs, 1), at(inputs, 2)];
    const [n, k] = rowsCols(p.shape);
    out.data.fill(0);
    for (let r = 0; r < n; r++) {
      forTargets(y, r, k, (j, yj) => {
        const i = r * k + j;
        const denom = attrs.input === 'probs' ? n * Math.max(get(p, i), PROB_FLOOR) : n;
        out.data[i] = (-dl * yj) / denom;
      });
    }
  },
  printAttrs: (a) => `input=${a.input}`,
  kernel(node, ctx) {
    const [, p, y] = node.inputs as [number, number, number];
    const shape = ctx.node(p).type.shape;
    const k = ctx.cols(shape);
    const rows = ctx.rows(shape);
    const classIndex = ctx.node(y).type.dtype === 'i32';
    const logProbs = node.attrs.input === 'log_probs';
    // probs: ∂/∂p of −Σ y log p / n = −y / (p n); log-probs: −y / n.
    const value = (t: string, pj: string): string =>
      logProbs ? `-(${t}) * scale` : `-(${t}) * scale / Math.max(${pj}, ${PROB_FLOOR})`;
    const body = classIndex
      ? [`for (let j = 0; j < ${k}; j++) O[o + j] = j === Y[r] ? ${value('1', 'P[o + j]')} : 0;`]
      : [`for (let j = 0; j < ${k}; j++) O[o + j] = Y[o + j] === 0 ? 0 : ${value('Y[o + j]', 'P[o + j]')};`];
    return lossGradRows(node, ctx, rows, k, body);
  },
  onnx: (node, c) => {
    const [dl = '', p = '', y = ''] = c.inputs;
    const dense = denseTarget(c, y, at(c.inputTypes, 2), lastDim(at(c.inputTypes, 1)));
    const numerator = c.op('Neg', [c.op('Mul', [dl, dense])]);
    const n = c.dim(p, 0);
    const denominator = node.attrs.input === 'log_probs' ? n : c.op('Mul', [n, c.op('Max', [p, c.scalar(PROB_FLOOR)])]);
    return c.op('Div', [numerator, denominator]);
  },
};
