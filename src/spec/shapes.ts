// Shape checking is the compiler's job (compiler/ir/build.ts); this is the one place the spec
// checks call it.
import type { FloatDType } from '../../compiler/ir/types.js';
import type { GraphSpec } from '../../compiler/spec/graph-spec.js';
import type { Issue } from './draft.js';

export interface ShapeOptions {
  readonly dtype?: FloatDType;
  readonly batch?: number;
}

/** Shape errors of a structurally valid spec, each with the JSON pointer of the offending edge. */
export function inferSpecShapes(_spec: GraphSpec, _options: ShapeOptions): Issue[] {
  // TODO: call buildGraph (compiler/ir/build.ts) once it lands.
  return [];
}
