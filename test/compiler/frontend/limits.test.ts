// The compile rules the checker runs on the built graph: a parameter to train, and sizes a
// generated module can allocate (each tensor ≤ 2 GiB, parameters + gradients + state ≤ 4 GiB).
import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../../compiler/frontend/graph-spec.js';
import { MAX_MODEL_BYTES, MAX_TENSOR_BYTES } from '../../../compiler/frontend/limits.js';
import { compile } from '../../../src/api.js';
import { checkSpecValue } from '../../../src/frontend/check.js';

function mlp(width: number, hidden: number, train?: GraphSpec['train']): GraphSpec {
  return {
    name: 'wide',
    inputs: { x: [null, width] },
    targets: { y: [null] },
    nodes: [
      { name: 'fc1', op: 'linear', input: 'x', units: hidden },
      { name: 'fc2', op: 'linear', input: 'fc1', units: hidden },
      { name: 'fc3', op: 'linear', input: 'fc2', units: 3 },
      { name: 'probs', op: 'softmax', input: 'fc3' },
    ],
    outputs: ['probs'],
    loss: { op: 'cross_entropy', input: 'probs', target: 'y' },
    ...(train === undefined ? {} : { train }),
  };
}

function errors(spec: GraphSpec): string[] {
  const r = checkSpecValue(spec);
  return r.ok ? [] : r.errors.map((e) => `${e.pointer ?? ''} ${e.message}`);
}

describe('size limits', () => {
  it('refuses a tensor over 2 GiB at the node that sizes it, with the bytes it needs', () => {
    // fc1.weight is 16 × 40,000,000 floats: 2,560,000,000 bytes.
    const [first, ...rest] = errors(mlp(16, 40_000_000));
    expect(16 * 40_000_000 * 4).toBeGreaterThan(MAX_TENSOR_BYTES);
    expect(first).toBe(
      "/nodes/0/units linear 'fc1': its weight fc1.weight [16, 40000000] (f32) needs 2,560,000,000 bytes (2.38 GiB); one tensor can hold at most 2,147,483,648 bytes (2 GiB)",
    );
    // fc2's weight (40M × 40M) is refused too; no error for activations or biases.
    expect(rest.map((e) => e.split(' ')[0])).toEqual(['/nodes/1/units']);
  });

  it('counts gradients and optimizer state against the 4 GiB a model can hold', () => {
    // Two 20,000² weights: 3.2 GB of parameters; with gradients 6.4 GB; each under 2 GiB.
    const sgd = errors(mlp(20_000, 20_000));
    expect(sgd).toHaveLength(1);
    expect(sgd[0]).toContain('the parameters, their gradients need 6,400,800,024 bytes (5.96 GiB) together');
    expect(sgd[0]).toContain('the largest is fc1.weight [20000, 20000]');
    expect(6_400_800_024).toBeGreaterThan(MAX_MODEL_BYTES);
    // 1.15 GB of parameters fits with sgd (×2) but not with adam (×4: gradients and two moments).
    expect(errors(mlp(12_000, 12_000, { optimizer: 'sgd', lr: 0.1 }))).toEqual([]);
    const adam = errors(mlp(12_000, 12_000, { optimizer: 'adam', lr: 0.1 }));
    expect(adam[0]).toContain('the parameters, their gradients and the optimizer state need');
    expect(adam[0]).toContain('× 4');
  });

  it('lets an inference-only spec hold twice as much (no gradients)', () => {
    const { loss: _loss, targets: _targets, ...inference } = mlp(20_000, 20_000);
    expect(errors(inference)).toEqual([]);
  });
});

describe('nothing to train', () => {
  it('is a check error, located at the nodes, as compile says it', () => {
    const spec: GraphSpec = {
      name: 'nopar',
      inputs: { x: [null, 4] },
      targets: { y: [null] },
      nodes: [{ name: 'probs', op: 'softmax', input: 'x' }],
      outputs: ['probs'],
      loss: { op: 'cross_entropy', input: 'probs', target: 'y' },
    };
    expect(errors(spec)).toEqual([
      "/nodes spec 'nopar' has no parameter the loss depends on, so there is nothing to train",
    ]);
    expect(() => compile(spec)).toThrow(/has no parameter the loss depends on/);
  });
});
