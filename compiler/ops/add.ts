// add: n-ary elementwise sum of same-shaped tensors. A forward `add` joins branches; in the
// backward graph the same op (role 'backward') sums a fan-out tensor's gradient contributions.
import type { SpecNodeOpDef } from './op-def.js';
import { sameTypeRule } from './shape.js';

export const add: SpecNodeOpDef<'add'> = {
  op: 'add',
  leaf: false,
  group: 'join',
  inputNames: ['x'],
  variadic: true,
  inPlace: 'add: O[i] = A0[i] + A1[i] + … reads every operand element i before the store',
  spec: {
    use: 'node',
    summary: 'elementwise sum of two or more tensors of the same shape',
    arity: 'variadic',
    attrs: [],
    attrsFromSpec: () => ({}),
  },
  diagram: { formula: (_node, operands) => operands.join(' + '), backward: () => 'sum of contributions' },
  examples: [
    {
      operands: [
        [1, 2],
        [10, 20],
        [100, 200],
      ],
      output: [111, 222],
    },
  ],
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference(inputs, _attrs, out) {
    for (let i = 0; i < out.data.length; i++) {
      let acc = 0;
      for (const t of inputs) acc += t.data[i] ?? Number.NaN;
      out.data[i] = acc;
    }
  },
  // ∂(Σ xᵢ)/∂xᵢ = 1: every operand receives dY itself.
  vjp: { saves: [], grad: ({ dy }) => dy },
  pointwise: (_node, operands) => operands.join(' + '),
  kernel(node, ctx) {
    const refs = node.inputs.map((id, i) => `A${i} = ${ctx.ref(id)}`);
    return [
      `const ${refs.join(', ')}, O = ${ctx.ref(node.id)};`,
      `for (let i = 0; i < ${ctx.count(node.type.shape)}; i++) O[i] = ${node.inputs.map((_, i) => `A${i}[i]`).join(' + ')};`,
    ].join('\n');
  },
  tfjs: () => ({ className: 'Add', config: {} }),
  onnx: (_node, c) => c.inputs.slice(1).reduce((acc, x) => c.op('Add', [acc, x]), c.inputs[0] ?? ''),
};
