// softmax along the last axis: exp(x − max x) / Σ exp(x − max x). Subtracting the row max keeps
// every exponent ≤ 0, so large logits never overflow.
import type { OpDef, Tensor } from './op-def.js';
import { at, get, lastAxisRule, rowsCols, sameTypeRule } from './shape.js';

/** Writes softmax of each row of `x` into `out`. */
export function softmaxRows(x: Tensor, out: Tensor): void {
  const [rows, k] = rowsCols(x.shape);
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, get(x, base + j));
    let sum = 0;
    const e = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      e[j] = Math.exp(get(x, base + j) - max);
      sum += e[j] ?? 0;
    }
    for (let j = 0; j < k; j++) out.data[base + j] = (e[j] ?? 0) / sum;
  }
}

export const softmax: OpDef<'softmax'> = {
  op: 'softmax',
  leaf: false,
  inputNames: ['x'],
  inferType: (inputs, _attrs, labels) => lastAxisRule(inputs, labels),
  reference: (inputs, _attrs, out) => softmaxRows(at(inputs, 0), out),
  // dX = p ⊙ (dY − Σ_row(dY ⊙ p)), written from the saved output p (tfjs saves it too).
  vjp: {
    saves: ['output'],
    grad: ({ node, dy, name }, operand) =>
      operand === 0
        ? { op: 'softmax_grad', attrs: {}, inputs: [dy, node.id], factor: `·J_softmax(${name(at(node.inputs, 0))})` }
        : undefined,
  },
};

/** dx = p ⊙ (dy − Σ_row(dy ⊙ p)) */
export const softmaxGrad: OpDef<'softmax_grad'> = {
  op: 'softmax_grad',
  leaf: false,
  inputNames: ['dy', 'y'],
  inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
  reference(inputs, _attrs, out) {
    const [dy, p] = [at(inputs, 0), at(inputs, 1)];
    const [rows, k] = rowsCols(p.shape);
    for (let r = 0; r < rows; r++) {
      const base = r * k;
      let dot = 0;
      for (let j = 0; j < k; j++) dot += get(dy, base + j) * get(p, base + j);
      for (let j = 0; j < k; j++) out.data[base + j] = get(p, base + j) * (get(dy, base + j) - dot);
    }
  },
};
