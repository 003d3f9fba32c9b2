// Every op's reference against an independent hand computation (numbers worked out by hand or
// from closed forms written differently from the op files): first the worked examples each op
// file declares (`examples`, a loop over the registry), then hand tests of the ops whose
// operands do not fit one row of numbers (losses with targets, matmuls, updates, stability).
import { describe, expect, it } from 'vitest';
import { opNames, ops } from '../../../compiler/ops/index.js';
import type { AttrMap, OpName } from '../../../compiler/ir/types.js';
import { closeTo, runOpValues } from '../../support/run-op.js';

const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-12, abs = 0): void =>
  expect(closeTo(actual, expected, rel, abs)).toBeUndefined();

describe('worked examples declared in the op files', () => {
  const cases = opNames.flatMap((op) => (ops[op].examples ?? []).map((ex, i) => [`${op} #${i + 1}`, op, ex] as const));
  it.each(cases)('%s', (_name, op: OpName, ex) => {
    const attrs = (ex.attrs ?? {}) as AttrMap[typeof op];
    const operands = ex.operands.map((row) => ({ shape: [1, row.length], data: row }));
    expectClose(runOpValues(op, attrs, operands), ex.output, 1e-12, 1e-15);
  });

  it('every elementwise op (activation, derivative, join) declares worked examples', () => {
    const missing = opNames.filter(
      (op) =>
        ['activation', 'activation-grad', 'join'].includes(ops[op].group) && (ops[op].examples ?? []).length === 0,
    );
    expect(
      missing.map(
        (op) =>
          `${op}: add \`examples: [{ operands: [[x…]], output: [f(x)…] }]\` worked by hand to its file in compiler/ops/`,
      ),
    ).toEqual([]);
  });
});

describe('softmax (lecture rows)', () => {
  const softmax = (row: number[]): number[] => runOpValues('softmax', {}, [{ shape: [1, row.length], data: row }]);
  it('matches the classic rows to 1e-8 relative', () => {
    expectClose(softmax([1, 2, 0]), [0.244728471, 0.665240956, 0.0900305732], 1e-8);
    expectClose(softmax([-1, 0, 1]), [0.0900305732, 0.244728471, 0.665240956], 1e-8);
    expectClose(softmax([-10, 0, 10]), [2.06106005e-9, 4.53978686e-5, 0.9999546], 1e-8);
  });
  it('is finite and correct for [1000, 1001, 1002] (the row max is subtracted)', () => {
    const p = softmax([1000, 1001, 1002]);
    expect(p.every(Number.isFinite)).toBe(true);
    expectClose(p, softmax([0, 1, 2]), 1e-15);
    expectClose(p, [0.0900305732, 0.244728471, 0.665240956], 1e-8);
  });
  it('normalizes each row separately, also in f32', () => {
    const p = runOpValues('softmax', {}, [{ shape: [2, 2], data: [0, 0, 0, Math.log(3)] }], 'f32');
    expectClose(p, [0.5, 0.5, 0.25, 0.75], 1e-7);
  });
});

describe('log_softmax', () => {
  it('equals x − log Σ exp x, stably for huge logits', () => {
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0));
    expectClose(runOpValues('log_softmax', {}, [{ shape: [1, 3], data: [1, 2, 0] }]), [1 - lse, 2 - lse, 0 - lse]);
    const big = runOpValues('log_softmax', {}, [{ shape: [1, 2], data: [1000, 0] }]);
    expectClose(big, [0, -1000], 1e-12, 1e-12);
  });
});

describe('linear, matmul, sum_rows, add', () => {
  // X = [[1,2],[3,4]], W = [[1,0,2],[0,1,3]] ([in=2,out=3]), b = [10,20,30]
  const X = { shape: [2, 2], data: [1, 2, 3, 4] };
  const W = { shape: [2, 3], data: [1, 0, 2, 0, 1, 3] };
  it('linear = X·W + b (row-vector convention)', () => {
    expectClose(
      runOpValues('linear', { units: 3, bias: true }, [X, W, { shape: [3], data: [10, 20, 30] }]),
      [11, 22, 38, 13, 24, 48],
    );
    expectClose(runOpValues('linear', { units: 3, bias: false }, [X, W]), [1, 2, 8, 3, 4, 18]);
  });
  it('matmul with each transpose', () => {
    expectClose(runOpValues('matmul', { transA: false, transB: false }, [X, W]), [1, 2, 8, 3, 4, 18]);
    // Xᵀ·X = [[1,3],[2,4]]·[[1,2],[3,4]] = [[10,14],[14,20]]
    expectClose(runOpValues('matmul', { transA: true, transB: false }, [X, X]), [10, 14, 14, 20]);
    // X·Xᵀ = [[5,11],[11,25]]
    expectClose(runOpValues('matmul', { transA: false, transB: true }, [X, X]), [5, 11, 11, 25]);
    // Wᵀ·Xᵀ = (X·W)ᵀ
    expectClose(runOpValues('matmul', { transA: true, transB: true }, [W, X]), [1, 3, 2, 4, 8, 18]);
  });
  it('sum_rows', () => expectClose(runOpValues('sum_rows', {}, [W]), [1, 1, 5]));
  it('add is n-ary', () => expectClose(runOpValues('add', {}, [X, X, X]), [3, 6, 9, 12]));
});

describe('losses', () => {
  const p = { shape: [2, 3], data: [0.2, 0.5, 0.3, 0.1, 0.1, 0.8] };
  it('cross_entropy with class indices and one-hot rows is the batch mean of −log p_y', () => {
    const expected = -(Math.log(0.5) + Math.log(0.8)) / 2;
    expectClose(runOpValues('cross_entropy', { input: 'probs' }, [p, { shape: [2], data: [1, 2], dtype: 'i32' }]), [
      expected,
    ]);
    expectClose(runOpValues('cross_entropy', { input: 'probs' }, [p, { shape: [2, 3], data: [0, 1, 0, 0, 0, 1] }]), [
      expected,
    ]);
  });
  it('cross_entropy on log-probabilities', () => {
    const lp = { shape: [2, 3], data: p.data.map(Math.log) };
    expectClose(
      runOpValues('cross_entropy', { input: 'log_probs' }, [lp, { shape: [2], data: [1, 2], dtype: 'i32' }]),
      [-(Math.log(0.5) + Math.log(0.8)) / 2],
    );
  });
  it('cross_entropy with probability rows', () => {
    const y = { shape: [2, 3], data: [0.5, 0.5, 0, 0, 0.25, 0.75] };
    const expected = -(0.5 * Math.log(0.2) + 0.5 * Math.log(0.5) + 0.25 * Math.log(0.1) + 0.75 * Math.log(0.8)) / 2;
    expectClose(runOpValues('cross_entropy', { input: 'probs' }, [p, y]), [expected]);
  });
  it('cross_entropy stays finite when a probability underflowed to 0', () => {
    const v = runOpValues('cross_entropy', { input: 'probs' }, [
      { shape: [1, 2], data: [0, 1] },
      { shape: [1], data: [0], dtype: 'i32' },
    ]);
    expect(Number.isFinite(v[0])).toBe(true);
    expect(v[0]).toBeGreaterThan(60);
  });
  it('cross_entropy rejects an out-of-range class index', () => {
    expect(() =>
      runOpValues('cross_entropy', { input: 'probs' }, [p, { shape: [2], data: [1, 3], dtype: 'i32' }]),
    ).toThrow(/class index 3 in row 1/);
  });
  it('mse is the mean over all elements', () => {
    expectClose(
      runOpValues('mse', {}, [
        { shape: [2, 2], data: [1, 2, 3, 4] },
        { shape: [2, 2], data: [1, 0, 3, 0] },
      ]),
      [(4 + 16) / 4],
    );
  });
  it('binary_cross_entropy is the mean over all elements, finite at p ∈ {0, 1}', () => {
    const v = runOpValues('binary_cross_entropy', {}, [
      { shape: [1, 2], data: [0.9, 0.2] },
      { shape: [1, 2], data: [1, 0] },
    ]);
    expectClose(v, [-(Math.log(0.9) + Math.log(0.8)) / 2]);
    const sat = runOpValues('binary_cross_entropy', {}, [
      { shape: [1, 2], data: [1, 0] },
      { shape: [1, 2], data: [0, 1] },
    ]);
    expect(Number.isFinite(sat[0])).toBe(true);
  });
});

describe('gradient and update ops', () => {
  it('softmax_grad is p ⊙ (dy − ⟨dy, p⟩)', () => {
    // p = [0.25, 0.75], dy = [1, 0]: ⟨dy,p⟩ = 0.25 → [0.25·0.75, 0.75·(−0.25)]
    expectClose(
      runOpValues('softmax_grad', {}, [
        { shape: [1, 2], data: [1, 0] },
        { shape: [1, 2], data: [0.25, 0.75] },
      ]),
      [0.1875, -0.1875],
    );
  });
  it('log_softmax_grad is dy − softmax·Σdy', () => {
    const y = [Math.log(0.25), Math.log(0.75)];
    expectClose(
      runOpValues('log_softmax_grad', {}, [
        { shape: [1, 2], data: [1, 1] },
        { shape: [1, 2], data: y },
      ]),
      [0.5, -0.5],
      1e-12,
    );
  });
  it('cross_entropy_grad ∘ softmax_grad = (p − y)/n', () => {
    const p = { shape: [2, 2], data: [0.25, 0.75, 0.5, 0.5] };
    const y = { shape: [2], data: [0, 1], dtype: 'i32' as const };
    const dp = runOpValues('cross_entropy_grad', { input: 'probs' }, [{ shape: [], data: [1] }, p, y]);
    expectClose(dp, [-1 / (2 * 0.25), 0, 0, -1 / (2 * 0.5)]);
    const dz = runOpValues('softmax_grad', {}, [{ shape: [2, 2], data: dp }, p]);
    expectClose(dz, [(0.25 - 1) / 2, 0.75 / 2, 0.5 / 2, (0.5 - 1) / 2], 1e-12);
  });
  it('mse_grad and binary_cross_entropy_grad', () => {
    expectClose(
      runOpValues('mse_grad', {}, [
        { shape: [], data: [1] },
        { shape: [2], data: [3, 1] },
        { shape: [2], data: [1, 1] },
      ]),
      [2, 0],
    );
    // (p − y)/(p(1−p)N) with p = 0.8, y = 1, N = 1 → −0.2/0.16
    expectClose(
      runOpValues('binary_cross_entropy_grad', {}, [
        { shape: [], data: [1] },
        { shape: [1], data: [0.8] },
        { shape: [1], data: [1] },
      ]),
      [-1.25],
      1e-12,
    );
  });
  it('optimizer updates', () => {
    expectClose(
      runOpValues('sgd_update', { lr: 0.1 }, [
        { shape: [2], data: [1, 2] },
        { shape: [2], data: [10, -10] },
      ]),
      [0, 3],
    );
    expectClose(
      runOpValues('momentum_velocity', { momentum: 0.9 }, [
        { shape: [1], data: [2] },
        { shape: [1], data: [1] },
      ]),
      [2.8],
    );
    expectClose(
      runOpValues('adam_moment', { beta: 0.9, squared: false }, [
        { shape: [1], data: [1] },
        { shape: [1], data: [3] },
      ]),
      [1.2],
    );
    expectClose(
      runOpValues('adam_moment', { beta: 0.99, squared: true }, [
        { shape: [1], data: [1] },
        { shape: [1], data: [3] },
      ]),
      [0.99 + 0.01 * 9],
    );
    expectClose(runOpValues('step_increment', {}, [{ shape: [], data: [4] }]), [5]);
    // step 1: m̂ = m/(1−β1) = g, v̂ = g², so p ← p − lr·g/(|g| + ε)
    const g = 0.5;
    const m = 0.1 * g;
    const v = 0.001 * g * g;
    expectClose(
      runOpValues('adam_update', { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, [
        { shape: [1], data: [1] },
        { shape: [1], data: [m] },
        { shape: [1], data: [v] },
        { shape: [], data: [1] },
      ]),
      [1 - (0.01 * g) / (g + 1e-8)],
      1e-12,
    );
  });
  it('fill writes its value', () => {
    const out = { shape: [2], data: new Float32Array(2) };
    ops.fill.reference([], { value: 1 }, out);
    expectClose(out.data, [1, 1]);
  });
});
