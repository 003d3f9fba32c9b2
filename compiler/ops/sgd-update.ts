// SGD, optionally with momentum, as update ops (role 'update', each assigns a param/state leaf).
// Momentum follows tfjs's MomentumOptimizer (non-Nesterov): v ← μ·v + g; p ← p − lr·v.
import type { OpDef } from './op-def.js';
import { at, mapBinary, sameTypeRule } from './shape.js';

/** p ← p − lr·g (g is the gradient, or the new velocity under momentum). */
export const sgdUpdate: OpDef<'sgd_update'> = {
  op: 'sgd_update',
  leaf: false,
  inputNames: ['p', 'g'],
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference: (inputs, attrs, out) => mapBinary(at(inputs, 0), at(inputs, 1), out, (p, g) => p - attrs.lr * g),
  printAttrs: (a) => `lr=${a.lr}`,
};

/** v ← μ·v + g */
export const momentumVelocity: OpDef<'momentum_velocity'> = {
  op: 'momentum_velocity',
  leaf: false,
  inputNames: ['v', 'g'],
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference: (inputs, attrs, out) => mapBinary(at(inputs, 0), at(inputs, 1), out, (v, g) => attrs.momentum * v + g),
  printAttrs: (a) => `momentum=${a.momentum}`,
};
