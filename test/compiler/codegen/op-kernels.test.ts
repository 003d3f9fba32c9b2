// One op, one file: every computed op carries its kernel template (and pointwise ops their
// element formula) in compiler/ops/, next to its shape rule, reference and VJP rule.
import { describe, expect, it } from 'vitest';
import { POINTWISE } from '../../../compiler/passes/fuse.js';
import type { OpName } from '../../../compiler/ir/types.js';
import { ops } from '../../../compiler/ops/index.js';

describe('op files hold their kernels', () => {
  const all = Object.values(ops);

  it('every non-leaf op has a kernel template; leaves have none', () => {
    expect(all.filter((d) => !d.leaf && d.kernel === undefined).map((d) => d.op)).toEqual([]);
    expect(all.filter((d) => d.leaf && d.kernel !== undefined).map((d) => d.op)).toEqual([]);
  });

  it('every op fusion treats as pointwise, and every elementwise optimizer update, has its element formula', () => {
    const updates: OpName[] = ['sgd_update', 'momentum_velocity', 'adam_moment', 'adam_update'];
    const missing = [...POINTWISE, ...updates].filter((op) => ops[op].pointwise === undefined);
    expect(missing).toEqual([]);
  });
});
