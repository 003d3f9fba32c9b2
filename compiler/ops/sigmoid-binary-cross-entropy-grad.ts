// The fused gradient of sigmoid followed by binary_cross_entropy, w.r.t. the sigmoid's input:
// dx = dL·(p − y)/N with p = σ(x) stored, N = number of elements. The p(1 − p) of the loss
// gradient's denominator and of σ' cancel, so a saturated sigmoid no longer divides by ~0. Never
// emitted by autodiff: the `simplify` pass builds it from
// `sigmoid_grad(binary_cross_entropy_grad(dL, p, y), p)`.
import type { OpDef } from './op-def.js';
import { lossGradRule, sameShapeTargetRule } from './loss-rules.js';
import { at, get, scalar } from './shape.js';
import { elementLossGrad } from '../codegen/template-kit.js';

/** dx = dL·(p − y)/N */
export const sigmoidBinaryCrossEntropyGrad: OpDef<'sigmoid_binary_cross_entropy_grad'> = {
  op: 'sigmoid_binary_cross_entropy_grad',
  leaf: false,
  group: 'loss-grad',
  inputNames: ['dl', 'p', 'y'],
  diagram: { backward: () => 'fused (p − y)/N' },
  inferType: (inputs, _attrs, labels) => lossGradRule(inputs, labels, sameShapeTargetRule),
  reference(inputs, _attrs, out) {
    const [dl, p, y] = [scalar(at(inputs, 0)), at(inputs, 1), at(inputs, 2)];
    const n = p.data.length;
    const scale = dl / n;
    for (let i = 0; i < n; i++) out.data[i] = scale * (get(p, i) - get(y, i));
  },
  kernel: (node, ctx) => elementLossGrad(node, ctx, '', ['O[i] = scale * (P[i] - Y[i]);']),
  onnx: (_node, c) => {
    const [dl = '', p = '', y = ''] = c.inputs;
    return c.op('Mul', [c.op('Div', [dl, c.count(p)]), c.op('Sub', [p, y])]);
  },
};
