// What every pass receives besides the graph: the compile options.
import type { FloatDType, Graph } from '../ir/types.js';
import type { TrainSpec } from '../frontend/graph-spec.js';

export interface PassContext {
  readonly dtype: FloatDType;
  /** The optimizer settings (the spec's `train` block, or the default). */
  readonly train: TrainSpec;
}

/** A pass: a pure function from a graph to a new graph (the input is never mutated). */
export interface Pass {
  readonly name: string;
  readonly run: (graph: Graph, ctx: PassContext) => Graph;
}
