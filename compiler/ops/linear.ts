// linear: O = X·W + b, row-vector convention. W is [in, out] row-major, b is [out] broadcast
// over the rows. Linear is bilinear: one transpose rule per operand.
import type { TensorType } from '../ir/types.js';
import type { GradEquation, SpecNodeOpDef } from './op-def.js';
import { at, floatOperandsError, formatShape, get } from './shape.js';
import { gemm } from '../codegen/gemm.js';
import { linearGemmSpec } from '../codegen/template-kit.js';

export const linear: SpecNodeOpDef<'linear'> = {
  op: 'linear',
  leaf: false,
  group: 'layer',
  inputNames: ['x', 'weight', 'bias'],
  arity: (a) => (a.bias ? 3 : 2),
  spec: {
    use: 'node',
    summary: 'x·W + b: a fully connected layer with `units` outputs',
    arity: 'unary',
    attrs: ['units', 'bias'],
    required: ['units'],
    attrsFromSpec: (node) => ({ units: node.units ?? 0, bias: node.bias !== false }),
  },
  diagram: {
    formula: (node, [x = '?', w = '?', b = '?']) => (node.attrs.bias ? `${x}·${w} + ${b}` : `${x}·${w}`),
  },
  inferType(inputs, attrs, labels): TensorType | string {
    const bad = floatOperandsError(inputs, labels);
    if (bad !== undefined) return bad;
    const [xl, wl, bl] = [labels[0] ?? 'x', labels[1] ?? 'weight', labels[2] ?? 'bias'];
    const x = at(inputs, 0);
    const w = at(inputs, 1);
    if (x.shape.length !== 2) return `${xl} is ${formatShape(x.shape)} but linear needs a matrix [rows, features]`;
    if (w.shape.length !== 2) return `${wl} is ${formatShape(w.shape)} but must be a matrix [in, out]`;
    if (x.shape[1] !== w.shape[0]) {
      return `${xl} is ${formatShape(x.shape)} but ${wl} is ${formatShape(w.shape)}: the features of ${xl} must equal the rows of ${wl}`;
    }
    if (w.shape[1] !== attrs.units) return `${wl} is ${formatShape(w.shape)} but units=${attrs.units}`;
    const b = inputs[2];
    if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== attrs.units)) {
      return `${bl} is ${formatShape(b.shape)} but must be [${attrs.units}] (one per unit)`;
    }
    return { shape: [at(x.shape, 0), attrs.units], dtype: x.dtype };
  },
  reference(inputs, attrs, out) {
    const x = at(inputs, 0);
    const w = at(inputs, 1);
    const b = inputs[2];
    const [n, d] = [at(x.shape, 0), at(x.shape, 1)];
    const p = attrs.units;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        let acc = b === undefined ? 0 : get(b, j);
        for (let k = 0; k < d; k++) acc += get(x, i * d + k) * get(w, k * p + j);
        out.data[i * p + j] = acc;
      }
    }
  },
  printAttrs: (a) => (a.bias ? `units=${a.units}` : `units=${a.units},bias=false`),
  vjp: {
    saves: ['x', 'weight'],
    grad({ node, dy, name }, operand): GradEquation | undefined {
      const [x, w] = [at(node.inputs, 0), at(node.inputs, 1)];
      switch (operand) {
        case 0: // dX = dY·Wᵀ
          return { op: 'matmul', attrs: { transA: false, transB: true }, inputs: [dy, w], factor: `·${name(w)}ᵀ` };
        case 1: // dW = Xᵀ·dY
          return { op: 'matmul', attrs: { transA: true, transB: false }, inputs: [x, dy], factor: `${name(x)}ᵀ·` };
        case 2: // db = Σ_rows dY
          return { op: 'sum_rows', attrs: {}, inputs: [dy], factor: 'Σrows' };
        default:
          return undefined;
      }
    },
  },
  kernel(node, ctx) {
    const [x, w, b] = node.inputs as [number, number, number | undefined];
    const xs = ctx.node(x).type.shape;
    const k = ctx.cols(xs);
    const n = node.attrs.units;
    return [
      `const X = ${ctx.ref(x)}, W = ${ctx.ref(w)}, O = ${ctx.ref(node.id)};`,
      ...(b === undefined ? [] : [`const bias = ${ctx.ref(b)};`]),
      `// O = X·W${b === undefined ? '' : ' + b'}: [${xs.join(',')}]·[${k},${n}]`,
      gemm({
        ...linearGemmSpec(node, ctx),
        ...(b === undefined ? {} : { epilogue: (acc: string, j: string) => `${acc} + bias[${j}]` }),
      }),
    ].join('\n');
  },
  tfjs: (node) => ({
    className: 'Dense',
    config: { units: node.attrs.units, use_bias: node.attrs.bias, activation: 'linear' },
  }),
  onnx: (node, c) => c.op(node.attrs.bias ? 'Gemm' : 'MatMul', c.inputs),
};
