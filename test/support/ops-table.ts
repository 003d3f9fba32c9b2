// One row per op (JAX `lax_autodiff_test` style): operand shapes, the input domain each operand
// is drawn from, and the tolerance of the VJP check. Tests loop over it (forward reference, VJP
// by finite differences, generated kernels vs reference). Ops listed below have hand-made rows
// (special operands or several attrs); every other op of the registry gets a derived row: each
// operand a [3, 4] matrix drawn from the op's declared `domains` (compiler/ops/op-def.ts), attrs
// from its first worked example. So an elementwise op needs no row here.
import type { AttrMap, OpName } from '../../compiler/ir/types.js';
import { opNames, ops } from '../../compiler/ops/index.js';
import type { Rng } from './rng.js';

/** Where an operand's values come from. */
export type Domain =
  | 'real' // standard normal
  | 'awayFromZero' // |x| ∈ [0.2, 2]: keeps finite differences off the kink of relu-like ops
  | 'positive' // [0.5, 2]
  | 'unit' // (0.1, 0.9): probabilities for BCE
  | 'probRows' // rows of a softmax (positive, summing to 1)
  | 'logProbRows' // rows of a log_softmax
  | 'classIndex' // integers in [0, k) for the last dim k of operand 0
  | 'step'; // a step counter value ≥ 1

export interface OperandSpec {
  readonly shape: readonly number[];
  readonly domain: Domain;
}

export interface OpRow<K extends OpName> {
  readonly op: K;
  readonly attrs: AttrMap[K];
  readonly operands: readonly OperandSpec[];
  /** Relative tolerance of the float64 VJP check (ops with a VJP rule). */
  readonly tol: number;
  /** Row label when an op has several rows. */
  readonly label?: string;
}

export type AnyOpRow = { [K in OpName]: OpRow<K> }[OpName];

const m = (rows: number, cols: number, domain: Domain = 'real'): OperandSpec => ({ shape: [rows, cols], domain });
const v = (n: number, domain: Domain = 'real'): OperandSpec => ({ shape: [n], domain });
const s = (domain: Domain = 'real'): OperandSpec => ({ shape: [], domain });
const TOL = 1e-6;

const handRows: readonly AnyOpRow[] = [
  // Leaves: no operands, no VJP; their values are fed (fill writes a constant).
  { op: 'input', attrs: {}, operands: [], tol: TOL },
  { op: 'target', attrs: {}, operands: [], tol: TOL },
  { op: 'param', attrs: { init: 'glorot_uniform', fanIn: 3, fanOut: 2 }, operands: [], tol: TOL },
  { op: 'state', attrs: {}, operands: [], tol: TOL },
  { op: 'fill', attrs: { value: 1 }, operands: [], tol: TOL },
  // Forward ops (each has a VJP rule).
  { op: 'linear', attrs: { units: 4, bias: true }, operands: [m(3, 5), m(5, 4), v(4)], tol: TOL },
  { op: 'linear', label: 'no bias', attrs: { units: 2, bias: false }, operands: [m(2, 3), m(3, 2)], tol: TOL },
  { op: 'leaky_relu', attrs: { alpha: 0.01 }, operands: [m(3, 4, 'awayFromZero')], tol: TOL },
  { op: 'leaky_relu', label: 'alpha 0.2', attrs: { alpha: 0.2 }, operands: [m(3, 4, 'awayFromZero')], tol: TOL },
  { op: 'softmax', attrs: {}, operands: [m(3, 5)], tol: TOL },
  { op: 'log_softmax', attrs: {}, operands: [m(3, 5)], tol: TOL },
  { op: 'add', attrs: {}, operands: [m(3, 4), m(3, 4), m(3, 4)], tol: TOL },
  {
    op: 'cross_entropy',
    label: 'probs, class indices',
    attrs: { input: 'probs' },
    operands: [m(4, 3, 'probRows'), v(4, 'classIndex')],
    tol: TOL,
  },
  {
    op: 'cross_entropy',
    label: 'probs, probability rows',
    attrs: { input: 'probs' },
    operands: [m(4, 3, 'probRows'), m(4, 3, 'probRows')],
    tol: TOL,
  },
  {
    op: 'cross_entropy',
    label: 'log_probs, class indices',
    attrs: { input: 'log_probs' },
    operands: [m(4, 3, 'logProbRows'), v(4, 'classIndex')],
    tol: TOL,
  },
  {
    op: 'cross_entropy',
    label: 'log_probs, rows',
    attrs: { input: 'log_probs' },
    operands: [m(4, 3, 'logProbRows'), m(4, 3, 'probRows')],
    tol: TOL,
  },
  { op: 'mse', attrs: {}, operands: [m(3, 2), m(3, 2)], tol: TOL },
  { op: 'binary_cross_entropy', attrs: {}, operands: [m(3, 2, 'unit'), m(3, 2, 'unit')], tol: TOL },
  // Backward ops (emitted by VJP rules; never differentiated themselves).
  { op: 'matmul', attrs: { transA: false, transB: true }, operands: [m(3, 4), m(5, 4)], tol: TOL },
  { op: 'matmul', label: 'transA', attrs: { transA: true, transB: false }, operands: [m(3, 4), m(3, 5)], tol: TOL },
  { op: 'sum_rows', attrs: {}, operands: [m(3, 4)], tol: TOL },
  { op: 'leaky_relu_grad', attrs: { alpha: 0.01 }, operands: [m(2, 3), m(2, 3, 'awayFromZero')], tol: TOL },
  { op: 'softmax_grad', attrs: {}, operands: [m(2, 3), m(2, 3, 'probRows')], tol: TOL },
  { op: 'log_softmax_grad', attrs: {}, operands: [m(2, 3), m(2, 3, 'logProbRows')], tol: TOL },
  {
    op: 'cross_entropy_grad',
    attrs: { input: 'probs' },
    operands: [s(), m(2, 3, 'probRows'), v(2, 'classIndex')],
    tol: TOL,
  },
  { op: 'mse_grad', attrs: {}, operands: [s(), m(2, 3), m(2, 3)], tol: TOL },
  { op: 'binary_cross_entropy_grad', attrs: {}, operands: [s(), m(2, 3, 'unit'), m(2, 3, 'unit')], tol: TOL },
  // Fused loss gradients (built by the simplify pass).
  {
    op: 'softmax_cross_entropy_grad',
    label: 'probs, class indices',
    attrs: { input: 'probs' },
    operands: [s(), m(2, 3, 'probRows'), v(2, 'classIndex')],
    tol: TOL,
  },
  {
    op: 'softmax_cross_entropy_grad',
    label: 'log_probs, rows',
    attrs: { input: 'log_probs' },
    operands: [s(), m(2, 3, 'logProbRows'), m(2, 3, 'probRows')],
    tol: TOL,
  },
  { op: 'sigmoid_binary_cross_entropy_grad', attrs: {}, operands: [s(), m(2, 3, 'unit'), m(2, 3, 'unit')], tol: TOL },
  // Optimizer updates.
  { op: 'sgd_update', attrs: { lr: 0.1 }, operands: [m(2, 3), m(2, 3)], tol: TOL },
  { op: 'momentum_velocity', attrs: { momentum: 0.9 }, operands: [m(2, 3), m(2, 3)], tol: TOL },
  { op: 'adam_moment', attrs: { beta: 0.9, squared: false }, operands: [m(2, 3), m(2, 3)], tol: TOL },
  { op: 'step_increment', attrs: {}, operands: [s('step')], tol: TOL },
  {
    op: 'adam_update',
    attrs: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    operands: [m(2, 3), m(2, 3), m(2, 3, 'positive'), s('step')],
    tol: TOL,
  },
];

/** The derived row of an op without a hand-made one (see the header). */
function derivedRow<K extends OpName>(op: K): OpRow<K> {
  const def = ops[op];
  const domains = def.domains ?? [];
  const arity = def.variadic === true ? 3 : def.inputNames.length;
  const attrs = def.examples?.[0]?.attrs ?? ({} as AttrMap[K]);
  return { op, attrs, operands: Array.from({ length: arity }, (_, k) => m(3, 4, domains[k] ?? 'real')), tol: TOL };
}

const covered = new Set(handRows.map((r) => r.op));

export const opRows: readonly AnyOpRow[] = [
  ...handRows,
  ...opNames.filter((op) => !covered.has(op)).map((op) => derivedRow(op) as AnyOpRow),
];

export function rowName(row: AnyOpRow): string {
  return row.label === undefined ? row.op : `${row.op} (${row.label})`;
}

function rowsOf(data: Float64Array, k: number, f: (row: Float64Array) => void): Float64Array {
  for (let i = 0; i < data.length; i += k) f(data.subarray(i, i + k));
  return data;
}

/** Random values for one operand; `classes` is the last dim of operand 0 (for class indices). */
export function sampleOperand(spec: OperandSpec, classes: number, r: Rng): Float64Array | Int32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const k = spec.shape[spec.shape.length - 1] ?? 1;
  const fill = (f: () => number): Float64Array => Float64Array.from({ length: n }, f);
  const softmaxRow = (row: Float64Array): void => {
    const sum = row.reduce((a, x) => a + Math.exp(x), 0);
    row.forEach((x, j) => (row[j] = Math.exp(x) / sum));
  };
  switch (spec.domain) {
    case 'real':
      return fill(() => r.normal());
    case 'awayFromZero':
      return fill(() => (r.next() < 0.5 ? -1 : 1) * r.uniform(0.2, 2));
    case 'positive':
      return fill(() => r.uniform(0.5, 2));
    case 'unit':
      return fill(() => r.uniform(0.1, 0.9));
    case 'probRows':
      return rowsOf(
        fill(() => r.normal()),
        k,
        softmaxRow,
      );
    case 'logProbRows':
      return rowsOf(
        fill(() => r.normal()),
        k,
        (row) => {
          softmaxRow(row);
          row.forEach((p, j) => (row[j] = Math.log(p)));
        },
      );
    case 'classIndex':
      return Int32Array.from({ length: n }, () => r.int(0, classes));
    case 'step':
      return fill(() => r.int(1, 10));
  }
}
