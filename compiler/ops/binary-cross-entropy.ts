// binary_cross_entropy = mean over all elements of −[y·log p + (1 − y)·log(1 − p)], reading the
// output p of a sigmoid. p and 1 − p are floored at PROB_FLOOR so a saturated sigmoid (p rounded
// to exactly 0 or 1) gives a large finite loss, not ∞.
import type { OpDef, SpecLossOpDef } from './op-def.js';
import { lossGradRule, PROB_FLOOR, sameShapeTargetRule } from './loss-rules.js';
import { at, get, scalar } from './shape.js';
import { elementLossGrad, meanOverElements } from '../codegen/template-kit.js';
import { meanAll } from './onnx.js';

export const binaryCrossEntropy: SpecLossOpDef<'binary_cross_entropy'> = {
  op: 'binary_cross_entropy',
  leaf: false,
  group: 'loss',
  inputNames: ['p', 'y'],
  spec: {
    use: 'loss',
    summary:
      'mean over all elements of −(y·log p + (1 − y)·log(1 − p)); takes a sigmoid output; target of the same shape',
    producers: ['sigmoid'],
  },
  inferType: (inputs, _attrs, labels) =>
    sameShapeTargetRule(at(inputs, 0), at(inputs, 1), [labels[0] ?? 'p', labels[1] ?? 'y']),
  reference(inputs, _attrs, out) {
    const [p, y] = [at(inputs, 0), at(inputs, 1)];
    const n = p.data.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const [pi, yi] = [get(p, i), get(y, i)];
      total -= yi * Math.log(Math.max(pi, PROB_FLOOR)) + (1 - yi) * Math.log(Math.max(1 - pi, PROB_FLOOR));
    }
    out.data[0] = n === 0 ? 0 : total / n;
  },
  vjp: {
    saves: ['p', 'y'],
    noGradient: ['y'],
    grad: ({ node, dy, name }, operand) => {
      if (operand !== 0) return undefined;
      const [p, y] = [at(node.inputs, 0), at(node.inputs, 1)];
      const [pn, yn] = [name(p), name(y)];
      return {
        op: 'binary_cross_entropy_grad',
        attrs: {},
        inputs: [dy, p, y],
        factor: `(${pn}−${yn})⊘(${pn}(1−${pn})·N)`,
      };
    },
  },
  kernel: (node, ctx) =>
    meanOverElements(node, ctx, [
      'const p = P[i], t = Y[i];',
      `total -= t * Math.log(Math.max(p, ${PROB_FLOOR})) + (1 - t) * Math.log(Math.max(1 - p, ${PROB_FLOOR}));`,
    ]),
  onnx: (_node, c) => {
    const [p = '', y = ''] = c.inputs;
    const logOf = (v: string): string => c.op('Log', [c.op('Max', [v, c.scalar(PROB_FLOOR)])]);
    const one = c.scalar(1);
    const pos = c.op('Mul', [y, logOf(p)]);
    const neg = c.op('Mul', [c.op('Sub', [one, y]), logOf(c.op('Sub', [one, p]))]);
    return c.op('Neg', [meanAll(c, c.op('Add', [pos, neg]))]);
  },
};

/** dp = dL·(p − y)/(p(1 − p)·N), N = number of elements. */
export const binaryCrossEntropyGrad: OpDef<'binary_cross_entropy_grad'> = {
  op: 'binary_cross_entropy_grad',
  leaf: false,
  group: 'loss-grad',
  inputNames: ['dl', 'p', 'y'],
  inferType: (inputs, _attrs, labels) => lossGradRule(inputs, labels, sameShapeTargetRule),
  reference(inputs, _attrs, out) {
    const [dl, p, y] = [scalar(at(inputs, 0)), at(inputs, 1), at(inputs, 2)];
    const n = p.data.length;
    for (let i = 0; i < n; i++) {
      const pi = get(p, i);
      out.data[i] = (dl * (pi - get(y, i))) / (Math.max(pi * (1 - pi), PROB_FLOOR) * n);
    }
  },
  kernel: (node, ctx) =>
    elementLossGrad(node, ctx, '', [
      'const p = P[i];',
      `O[i] = (scale * (p - Y[i])) / Math.max(p * (1 - p), ${PROB_FLOOR});`,
    ]),
  onnx: (_node, c) => {
    const [dl = '', p = '', y = ''] = c.inputs;
    const variance = c.op('Max', [c.op('Mul', [p, c.op('Sub', [c.scalar(1), p])]), c.scalar(PROB_FLOOR)]);
    const numerator = c.op('Mul', [dl, c.op('Sub', [p, y])]);
    return c.op('Div', [numerator, c.op('Mul', [variance, c.count(p)])]);
  },
};
