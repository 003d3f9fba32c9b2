// Shortcuts for tests: spec → checked spec / forward / joint graph, throwing on diagnostics.
import type { CheckedSpec } from '../../compiler/frontend/checked-spec.js';
import type { GraphSpec } from '../../compiler/frontend/graph-spec.js';
import type { FloatDType, Graph } from '../../compiler/ir/types.js';
import { differentiate } from '../../compiler/passes/differentiate.js';
import { type PipelineOptions, trainingGraph } from '../../compiler/passes/pipeline.js';
import { checkSpecValue } from '../../src/frontend/check.js';

export interface SpecOptions {
  readonly dtype?: FloatDType;
  readonly batch?: number;
}

/** The spec checked by the front end (default f64), as every compile starts; throws on errors. */
export function checkedSpec(spec: GraphSpec, options: SpecOptions = {}): CheckedSpec {
  const r = checkSpecValue(spec, undefined, { dtype: 'f64', ...options });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r;
}

/** Forward and joint graphs of a spec (the pipeline verifies the IR after every pass). */
export function compileSpec(
  spec: GraphSpec,
  options: SpecOptions & Partial<PipelineOptions> = {},
): { forward: Graph; joint: Graph } {
  const { dtype, batch, ...pipeline } = options;
  const r = trainingGraph(
    checkedSpec(spec, { ...(dtype === undefined ? {} : { dtype }), ...(batch === undefined ? {} : { batch }) }),
    pipeline,
  );
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  const forward = r.stages[0]?.graph;
  if (forward === undefined) throw new Error('no build stage');
  return { forward, joint: r.graph };
}

/** Forward graph and its differentiated graph, without optimizer. */
export function gradientGraph(
  spec: GraphSpec,
  options: SpecOptions & Partial<PipelineOptions> = {},
): { forward: Graph; joint: Graph } {
  return compileSpec(spec, { ...options, passes: [{ name: 'differentiate', run: differentiate }] });
}
