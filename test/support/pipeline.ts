// Shortcuts for tests: spec → forward / joint graph, throwing on diagnostics.
import type { Graph } from '../../compiler/ir/types.js';
import { differentiate } from '../../compiler/passes/differentiate.js';
import { trainingGraph, type PipelineOptions } from '../../compiler/passes/pipeline.js';
import type { GraphSpec } from '../../compiler/frontend/graph-spec.js';

/** Forward and joint graphs of a spec (the pipeline verifies the IR after every pass). */
export function compileSpec(spec: GraphSpec, options: Partial<PipelineOptions> = {}): { forward: Graph; joint: Graph } {
  const r = trainingGraph(spec, { dtype: 'f64', ...options });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  const forward = r.stages[0]?.graph;
  if (forward === undefined) throw new Error('no build stage');
  return { forward, joint: r.graph };
}

/** Forward graph and its differentiated graph, without optimizer. */
export function gradientGraph(
  spec: GraphSpec,
  options: Partial<PipelineOptions> = {},
): { forward: Graph; joint: Graph } {
  return compileSpec(spec, { ...options, passes: [{ name: 'differentiate', run: differentiate }] });
}
