// mse = mean over all elements of (ŷ − y)².
import type { OpDef, SpecLossOpDef } from './op-def.js';
import { lossGradRule, sameShapeTargetRule } from './loss-rules.js';
import { at, get, scalar } from './shape.js';
import { elementLossGrad, meanOverElements } from '../codegen/template-kit.js';
import { meanAll } from './onnx.js';

export const mse: SpecLossOpDef<'mse'> = {
  op: 'mse',
  leaf: false,
  group: 'loss',
  inputNames: ['yhat', 'y'],
  spec: {
    use: 'loss',
    summary: 'mean over all elements of (ŷ − y)²; takes any float tensor; target of the same shape',
  },
  inferType: (inputs, _attrs, labels) =>
    sameShapeTargetRule(at(inputs, 0), at(inputs, 1), [labels[0] ?? 'yhat', labels[1] ?? 'y']),
  reference(inputs, _attrs, out) {
    const [yhat, y] = [at(inputs, 0), at(inputs, 1)];
    const n = yhat.data.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += (get(yhat, i) - get(y, i)) ** 2;
    out.data[0] = n === 0 ? 0 : total / n;
  },
  vjp: {
    saves: ['yhat', 'y'],
    noGradient: ['y'],
    grad: ({ node, dy, name }, operand) => {
      if (operand !== 0) return undefined;
      const [yhat, y] = [at(node.inputs, 0), at(node.inputs, 1)];
      return { op: 'mse_grad', attrs: {}, inputs: [dy, yhat, y], factor: `2(${name(yhat)}−${name(y)})/N` };
    },
  },
  kernel: (node, ctx) => meanOverElements(node, ctx, ['const d = P[i] - Y[i];', 'total += d * d;']),
  onnx: (_node, c) => {
    const d = c.op('Sub', c.inputs);
    return meanAll(c, c.op('Mul', [d, d]));
  },
};

/** dŷ = 2·dL·(ŷ − y)/N, N = number of elements. */
export const mseGrad: OpDef<'mse_grad'> = {
  op: 'mse_grad',
  leaf: false,
  group: 'loss-grad',
  inputNames: ['dl', 'yhat', 'y'],
  inferType: (inputs, _attrs, labels) => lossGradRule(inputs, labels, sameShapeTargetRule),
  reference(inputs, _attrs, out) {
    const [dl, yhat, y] = [scalar(at(inputs, 0)), at(inputs, 1), at(inputs, 2)];
    const n = yhat.data.length;
    for (let i = 0; i < n; i++) out.data[i] = (2 * dl * (get(yhat, i) - get(y, i))) / n;
  },
  kernel: (node, ctx) => elementLossGrad(node, ctx, '2 * ', ['O[i] = scale * (P[i] - Y[i]);']),
  onnx: (_node, c) => {
    const [dl = '', yhat = '', y = ''] = c.inputs;
    const scaled = c.op('Mul', [c.op('Mul', [c.scalar(2), dl]), c.op('Sub', [yhat, y])]);
    return c.op('Div', [scaled, c.count(yhat)]);
  },
};
