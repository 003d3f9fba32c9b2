// Leaves: tensors whose values come from outside the computation (caller feeds, the model's
// parameters and optimizer state) or are constants (the loss seed dL/dL = 1). Their types are
// declared on the node, never inferred, and the interpreter supplies their values.
import type { AttrMap, NodeOf } from '../ir/types.js';
import type { OpDef } from './op-def.js';

function fedLeaf<K extends 'input' | 'target' | 'param' | 'state'>(
  op: K,
  what: string,
  formula: (node: NodeOf<K>) => string,
): OpDef<K> {
  return {
    op,
    leaf: true,
    group: 'leaf',
    inputNames: [],
    inferType: () => `${op} is a leaf: its type is declared on the node, not inferred`,
    reference: () => {
      throw new Error(`${op} is a leaf: its value is ${what}, not computed`);
    },
    diagram: { formula },
  };
}

export const input: OpDef<'input'> = fedLeaf('input', 'fed by the caller', () => 'input');
export const target: OpDef<'target'> = fedLeaf('target', 'fed by the caller', (node) =>
  node.type.dtype === 'i32' ? 'target (class indices)' : 'target',
);
export const state: OpDef<'state'> = fedLeaf('state', 'held by the model between steps', () => 'optimizer state');

export const param: OpDef<'param'> = {
  ...fedLeaf('param', 'held by the model', (node) => `parameter · ${node.attrs.init}`),
  printAttrs: (a: AttrMap['param']) => `init=${a.init}`,
};

export const fill: OpDef<'fill'> = {
  op: 'fill',
  leaf: true,
  group: 'leaf',
  inputNames: [],
  inferType: () => 'fill is a leaf: its type is declared on the node, not inferred',
  reference: (_inputs, attrs, out) => {
    out.data.fill(attrs.value);
  },
  printAttrs: (a) => `value=${a.value}`,
  diagram: { formula: (node) => `constant ${node.attrs.value}`, backward: (node) => `constant ${node.attrs.value}` },
};
