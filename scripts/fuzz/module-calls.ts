// Calls into emitted modules: forward / lossAndGrads / trainStep / predict / loadParams with feeds
// of wrong lengths and array types, NaN/Inf, missing and extra keys, class targets out of range,
// batch 0 and a million rows. A case says whether the call must be refused (`reject`), must work
// (`valid`) or may do either (`either`: then, if taken, the result must be right).
import type { Rng } from '../../runtime/rng.js';
import { between, caseRng, pick } from './rand.js';

/** Specs the module cases compile (examples, plus a two-input model and a fixed-batch one). */
export const MODULE_SPECS = [
  'xor_mlp',
  'iris_mlp',
  'residual_mlp',
  'two_layer_sigmoid',
  'two_inputs',
  'fixed_batch',
] as const;
export type ModuleSpec = (typeof MODULE_SPECS)[number];

export const METHODS = ['forward', 'lossAndGrads', 'trainStep', 'predict', 'loadParams'] as const;
export type Method = (typeof METHODS)[number];

export type Expect = 'valid' | 'reject' | 'either';

/** A change to a well-formed call, applied by the worker once it knows the model's shapes. */
export type FeedEdit =
  | { readonly kind: 'none' }
  | { readonly kind: 'batch'; readonly rows: number }
  | { readonly kind: 'length'; readonly delta: number; readonly which: 'input' | 'target' }
  | { readonly kind: 'mismatched-batch' }
  | { readonly kind: 'array-type'; readonly type: ArrayKind; readonly which: 'input' | 'target' }
  | { readonly kind: 'value'; readonly value: number; readonly which: 'input' | 'target' }
  | { readonly kind: 'missing'; readonly which: 'input' | 'target' }
  | { readonly kind: 'extra'; readonly key: string; readonly which: 'input' | 'target' }
  | { readonly kind: 'not-object'; readonly value: 'null' | 'number' | 'string' | 'array' }
  | { readonly kind: 'param'; readonly change: ParamChange };

export type ArrayKind =
  | 'Float64Array'
  | 'Float32Array'
  | 'Int32Array'
  | 'Uint8Array'
  | 'Array'
  | 'string'
  | 'null'
  | 'undefined'
  | 'number'
  | 'object';

export type ParamChange =
  | 'valid'
  | 'subset'
  | 'length'
  | 'nan'
  | 'string'
  | 'extra'
  | 'proto'
  | 'constructor'
  | 'state';

export interface ModuleCase {
  readonly label: string;
  readonly spec: ModuleSpec;
  readonly method: Method;
  readonly edit: FeedEdit;
  readonly expect: Expect;
  readonly rows: number;
  readonly seed: number;
}

/** Which edits a loss-free method cannot see (targets). */
export function needsTargets(m: Method): boolean {
  return m === 'lossAndGrads' || m === 'trainStep';
}

function editFor(r: Rng, method: Method): [FeedEdit, Expect] {
  if (method === 'loadParams') {
    const change = pick(r, [
      'valid',
      'subset',
      'length',
      'nan',
      'string',
      'extra',
      'proto',
      'constructor',
      'state',
    ] as const);
    const expect: Expect =
      change === 'valid' ? 'valid' : change === 'subset' || change === 'state' ? 'either' : 'reject';
    return [{ kind: 'param', change }, expect];
  }
  const which = needsTargets(method) && r.int(2) === 0 ? 'target' : 'input';
  switch (r.int(11)) {
    case 0:
    case 1:
      return [{ kind: 'none' }, 'valid'];
    case 2:
      return [{ kind: 'batch', rows: pick(r, [0, 1, 1 << 20]) }, 'either'];
    case 3:
      return [{ kind: 'length', delta: pick(r, [-1, 1, 3]), which }, 'reject'];
    case 4:
      return needsTargets(method) ? [{ kind: 'mismatched-batch' }, 'reject'] : [{ kind: 'none' }, 'valid'];
    case 5: {
      const type = pick(r, [
        'Float64Array',
        'Float32Array',
        'Int32Array',
        'Uint8Array',
        'Array',
        'string',
        'null',
        'undefined',
        'number',
        'object',
      ] as const);
      const lenient =
        type === 'Float64Array' ||
        type === 'Float32Array' ||
        type === 'Int32Array' ||
        type === 'Uint8Array' ||
        type === 'Array';
      return [{ kind: 'array-type', type, which }, lenient ? 'either' : 'reject'];
    }
    case 6:
    case 7: {
      const value = pick(r, [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -1,
        1e6,
        2 ** 31 - 1,
        0.5,
        1e39,
        -0,
      ]);
      // NaN/Inf never pass; for class targets anything outside [0, classes) or fractional is refused
      // (decided by the worker, which knows the target kind); other finite values are fine.
      return [{ kind: 'value', value, which }, Number.isFinite(value) ? 'either' : 'reject'];
    }
    case 8:
      return [{ kind: 'missing', which }, 'reject'];
    case 9:
      return [{ kind: 'extra', key: pick(r, ['z', '__proto__', 'constructor', 'toString']), which }, 'reject'];
    default:
      return [{ kind: 'not-object', value: pick(r, ['null', 'number', 'string', 'array'] as const) }, 'reject'];
  }
}

export function moduleCase(seed: number, index: number): ModuleCase {
  const r = caseRng(seed, 'module', index);
  const spec = MODULE_SPECS[index % MODULE_SPECS.length]!;
  const method = pick(r, METHODS);
  const [edit, expect] = editFor(r, method);
  const rows = spec === 'fixed_batch' ? 4 : between(r, 1, 9);
  return { label: `${spec}.${method} ${JSON.stringify(edit)}`, spec, method, edit, expect, rows, seed: index };
}
