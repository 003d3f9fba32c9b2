// SGD, optionally with momentum, as update ops (role 'update', each assigns a param/state leaf).
// Momentum follows tfjs's MomentumOptimizer (non-Nesterov): v ← μ·v + g; p ← p − lr·v.
import type { OpDef } from './op-def.js';
import { at, mapBinary, sameTypeRule } from './shape.js';

/** p ← p − lr·g (g is the gradient, or the new velocity under momentum). */
export const sgdUpdate: OpDef<'sgd_update'> = {
  op: 'sgd_update',
  leaf: false,
  group: 'update',
  inputNames: ['p', 'g'],
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference: (inputs, attrs, out) => mapBinary(at(inputs, 0), at(inputs, 1), out, (p, g) => p - attrs.lr * g),
  printAttrs: (a) => `lr=${a.lr}`,
  pointwise: (node, [p = '', g = '']) => `${p} - ${node.attrs.lr} * ${g}`,
  kernel(node, ctx) {
    const [p, g] = node.inputs as [number, number];
    return [
      `const Pm = ${ctx.ref(p)}, G = ${ctx.ref(g)}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = Pm[i] - ${node.attrs.lr} * G[i];`,
    ].join('\n');
  },
  onnx: (node, c) => {
    const [p = '', g = ''] = c.inputs;
    return c.op('Sub', [p, c.op('Mul', [c.scalar(node.attrs.lr), g])]);
  },
};

/** v ← μ·v + g */
export const momentumVelocity: OpDef<'momentum_velocity'> = {
  op: 'momentum_velocity',
  leaf: false,
  group: 'update',
  inputNames: ['v', 'g'],
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference: (inputs, attrs, out) => mapBinary(at(inputs, 0), at(inputs, 1), out, (v, g) => attrs.momentum * v + g),
  printAttrs: (a) => `momentum=${a.momentum}`,
  pointwise: (node, [v = '', g = '']) => `${node.attrs.momentum} * ${v} + ${g}`,
  kernel(node, ctx) {
    const [v, g] = node.inputs as [number, number];
    return [
      `const V = ${ctx.ref(v)}, G = ${ctx.ref(g)}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = ${node.attrs.momentum} * V[i] + G[i];`,
    ].join('\n');
  },
  onnx: (node, c) => {
    const [v = '', g = ''] = c.inputs;
    return c.op('Add', [c.op('Mul', [c.scalar(node.attrs.momentum), v]), g]);
  },
};
