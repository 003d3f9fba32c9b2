// Shape checking is the compiler's job (compiler/frontend/build-graph.ts); this is the one place the spec
// checks call it. Its diagnostics carry a JSON pointer that check.ts resolves to a position.
import type { Diagnostic } from '../../compiler/diagnostics.js';
import { buildGraph } from '../../compiler/frontend/build-graph.js';
import type { FloatDType, Graph } from '../../compiler/ir/types.js';
import type { GraphSpec } from '../../compiler/frontend/graph-spec.js';

export interface ShapeOptions {
  /** Element type of the graph (default f32). */
  readonly dtype?: FloatDType;
  /** A fixed batch size; omitted, the batch dimension stays symbolic. */
  readonly batch?: number;
}

export type ShapeResult =
  | { readonly ok: true; readonly graph: Graph }
  | { readonly ok: false; readonly errors: readonly Diagnostic[] };

/** Builds the forward IR of a validated spec: the graph, or its shape errors. */
export function inferSpecShapes(spec: GraphSpec, options: ShapeOptions): ShapeResult {
  const built = buildGraph(spec, {
    dtype: options.dtype ?? 'f32',
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
  });
  return built.ok ? { ok: true, graph: built.graph } : { ok: false, errors: built.errors };
}
