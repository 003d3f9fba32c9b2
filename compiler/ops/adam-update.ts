// Adam with bias correction, as update ops, matching tfjs's AdamOptimizer:
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  t ← t + 1;
//   p ← p − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
import type { TensorType } from '../ir/types.js';
import type { OpDef } from './op-def.js';
import { at, floatOperandsError, formatShape, get, mapBinary, mapUnary, sameTypeRule, scalar } from './shape.js';

/** m ← β·m + (1−β)·g, or with g² when `squared` (the second moment). */
export const adamMoment: OpDef<'adam_moment'> = {
  op: 'adam_moment',
  leaf: false,
  group: 'update',
  inputNames: ['m', 'g'],
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference: (inputs, attrs, out) =>
    mapBinary(
      at(inputs, 0),
      at(inputs, 1),
      out,
      (m, g) => attrs.beta * m + (1 - attrs.beta) * (attrs.squared ? g * g : g),
    ),
  printAttrs: (a) => (a.squared ? `beta=${a.beta},squared` : `beta=${a.beta}`),
  pointwise: (node, [m = '', g = '']) =>
    `${node.attrs.beta} * ${m} + ${1 - node.attrs.beta} * ${node.attrs.squared ? `${g} * ${g}` : g}`,
  kernel(node, ctx) {
    const [m, g] = node.inputs as [number, number];
    const { beta, squared } = node.attrs;
    return [
      `const Mm = ${ctx.ref(m)}, G = ${ctx.ref(g)}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = ${beta} * Mm[i] + ${1 - beta} * ${squared ? 'G[i] * G[i]' : 'G[i]'};`,
    ].join('\n');
  },
  onnx: (node, c) => {
    const [m = '', g = ''] = c.inputs;
    const { beta, squared } = node.attrs;
    const term = squared ? c.op('Mul', [g, g]) : g;
    return c.op('Add', [c.op('Mul', [c.scalar(beta), m]), c.op('Mul', [c.scalar(1 - beta), term])]);
  },
};

/** t ← t + 1 (the step counter, a float scalar starting at 0). */
export const stepIncrement: OpDef<'step_increment'> = {
  op: 'step_increment',
  leaf: false,
  group: 'update',
  inputNames: ['t'],
  inferType(inputs, _attrs, labels): TensorType | string {
    const t = at(inputs, 0);
    if (t.shape.length !== 0)
      return `${labels[0] ?? 't'} is ${formatShape(t.shape)} but the step counter must be a scalar []`;
    return sameTypeRule(inputs, labels);
  },
  reference: (inputs, _attrs, out) => mapUnary(at(inputs, 0), out, (t) => t + 1),
  kernel(node, ctx) {
    const [t] = node.inputs as [number];
    return `${ctx.ref(node.id)}[0] = ${ctx.ref(t)}[0] + 1;`;
  },
  onnx: (_node, c) => c.op('Add', [c.inputs[0] ?? '', c.scalar(1)]),
};

/** p ← p − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ); reads the already-updated m, v, t. */
export const adamUpdate: OpDef<'adam_update'> = {
  op: 'adam_update',
  leaf: false,
  group: 'update',
  inputNames: ['p', 'm', 'v', 't'],
  inferType(inputs, _attrs, labels): TensorType | string {
    const bad = floatOperandsError(inputs, labels);
    if (bad !== undefined) return bad;
    const t = at(inputs, 3);
    if (t.shape.length !== 0)
      return `${labels[3] ?? 't'} is ${formatShape(t.shape)} but the step counter must be a scalar []`;
    return sameTypeRule(inputs.slice(0, 3), labels.slice(0, 3));
  },
  reference(inputs, attrs, out) {
    const [p, m, v] = [at(inputs, 0), at(inputs, 1), at(inputs, 2)];
    const t = scalar(at(inputs, 3));
    const c1 = 1 - attrs.beta1 ** t;
    const c2 = 1 - attrs.beta2 ** t;
    for (let i = 0; i < out.data.length; i++) {
      const mHat = get(m, i) / c1;
      const vHat = get(v, i) / c2;
      out.data[i] = get(p, i) - (attrs.lr * mHat) / (Math.sqrt(vHat) + attrs.eps);
    }
  },
  printAttrs: (a) => `lr=${a.lr},beta1=${a.beta1},beta2=${a.beta2},eps=${a.eps}`,
  // Operands p, m, v, t; the bias corrections c1/c2 are computed once per fused kernel (adamPrelude).
  pointwise: (node, [p = '', m = '', v = '']) =>
    `${p} - ${node.attrs.lr} * (${m} / c1_${node.id}) / (Math.sqrt(${v} / c2_${node.id}) + ${node.attrs.eps})`,
  kernel(node, ctx) {
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
  onnx: (node, c) => {
    const [p = '', m = '', v = '', t = ''] = c.inputs;
    const { lr, beta1, beta2, eps } = node.attrs;
    const correction = (beta: number): string => c.op('Sub', [c.scalar(1), c.op('Pow', [c.scalar(beta), t])]);
    const mHat = c.op('Div', [m, correction(beta1)]);
    const vHat = c.op('Div', [v, correction(beta2)]);
    const step = c.op('Div', [c.op('Mul', [c.scalar(lr), mHat]), c.op('Add', [c.op('Sqrt', [vHat]), c.scalar(eps)])]);
    return c.op('Sub', [p, step]);
  },
};
