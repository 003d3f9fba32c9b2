// The fused gradient of softmax (or log_softmax) followed by cross_entropy, w.r.t. the logits:
// dx = dL·(p·Σy − y)/n with p = softmax(x) (stored, or exp of the stored log_softmax). Σy is 1
// for class indices and one-hot rows, which gives the textbook (p − y)/n; keeping Σy makes it
// exact for any target rows. Never emitted by autodiff: the `simplify` pass builds it from
// `softmax_grad(cross_entropy_grad(dL, p, y), p)` (see compiler/passes/simplify/loss-grads.ts).
import type { OpDef, Tensor } from './op-def.js';
import { crossEntropyRule, lossGradRule } from './loss-rules.js';
import { at, get, rowsCols, scalar } from './shape.js';
import { lossGradRows } from '../codegen/template-kit.js';
import { denseTarget, lastDim, reduceSum } from './onnx.js';

/** Row r of the target as a dense row of k values (a class index becomes one-hot), and its sum. */
function targetRow(y: Tensor, r: number, k: number): { row: Float64Array; sum: number } {
  const row = new Float64Array(k);
  if (y.data instanceof Int32Array) {
    const c = get(y, r);
    if (!(c >= 0 && c < k))
      throw new Error(`softmax_cross_entropy_grad: class index ${c} in row ${r} is outside [0, ${k - 1}]`);
    row[c] = 1;
    return { row, sum: 1 };
  }
  let sum = 0;
  for (let j = 0; j < k; j++) {
    row[j] = get(y, r * k + j);
    sum += row[j] ?? 0;
  }
  return { row, sum };
}

/** probs: dx = dL·(p·Σy − y)/n; log_probs: the same with p = exp(log p). */
export const softmaxCrossEntropyGrad: OpDef<'softmax_cross_entropy_grad'> = {
  op: 'softmax_cross_entropy_grad',
  leaf: false,
  group: 'loss-grad',
  inputNames: ['dl', 'p', 'y'],
  diagram: { backward: (node) => `fused (p − y)/n (${node.attrs.input})` },
  inferType: (inputs, _attrs, labels) => lossGradRule(inputs, labels, crossEntropyRule),
  reference(inputs, attrs, out) {
    const [dl, p, y] = [scalar(at(inputs, 0)), at(inputs, 1), at(inputs, 2)];
    const [n, k] = rowsCols(p.shape);
    const scale = dl / n;
    for (let r = 0; r < n; r++) {
      const { row, sum } = targetRow(y, r, k);
      for (let j = 0; j < k; j++) {
        const stored = get(p, r * k + j);
        const pj = attrs.input === 'log_probs' ? Math.exp(stored) : stored;
        out.data[r * k + j] = scale * (pj * sum - (row[j] ?? 0));
      }
    }
  },
  printAttrs: (a) => `input=${a.input}`,
  kernel(node, ctx) {
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
  onnx: (node, c) => {
    const [dl = '', p = '', y = ''] = c.inputs;
    const dense = denseTarget(c, y, at(c.inputTypes, 2), lastDim(at(c.inputTypes, 1)));
    const probs = node.attrs.input === 'log_probs' ? c.op('Exp', [p]) : p;
    const scale = c.op('Div', [dl, c.dim(p, 0)]);
    const rowSum = reduceSum(c, dense, [1], true);
    return c.op('Mul', [scale, c.op('Sub', [c.op('Mul', [probs, rowSum]), dense])]);
  },
};
