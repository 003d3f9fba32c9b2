// A spec that passed every check, with what checking derived: its forward IR. The front end
// (`checkSpecValue` in src/frontend/check.ts) is the only place that makes one; the pipeline,
// `compile`, `load` and the commands take it and never check or build the spec again.
import type { FloatDType, Graph } from '../ir/types.js';
import type { GraphSpec, SpecLocations } from './graph-spec.js';

/** Marks objects made by `markChecked` (a symbol, so copies made with `{ ...checked }` keep it). */
const CHECKED: unique symbol = Symbol('chainrule.checked-spec');

export interface CheckedSpec {
  readonly [CHECKED]: true;
  readonly spec: GraphSpec;
  /** The forward IR: shapes inferred, parameters created; built once, while checking. */
  readonly graph: Graph;
  /** The element type and batch the spec was checked (and `graph` built) for. */
  readonly dtype: FloatDType;
  readonly batch?: number;
  /** Source positions when the spec came from a file, to locate later diagnostics. */
  readonly locations?: SpecLocations;
}

export type CheckedFields = Omit<CheckedSpec, typeof CHECKED>;

/** Brands a spec as checked. Only the front end's checker calls this, after every check passed. */
export function markChecked<T extends CheckedFields>(fields: T): T & CheckedSpec {
  return { ...fields, [CHECKED]: true };
}

export function isCheckedSpec(value: unknown): value is CheckedSpec {
  return typeof value === 'object' && value !== null && CHECKED in value && value[CHECKED] === true;
}
