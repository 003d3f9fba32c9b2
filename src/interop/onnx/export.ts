// `chainrule export --format onnx|onnx-training`: a checked spec as an ONNX model.
//   onnx           the inference graph (spec outputs), parameters as initializers;
//   onnx-training  one whole training step as a pure function: inputs are every parameter,
//                  every optimizer-state tensor, the spec's inputs and targets; outputs `loss`
//                  and `<name>.next` for each parameter and state tensor. Built from the joint
//                  IR after dce/cse/simplify (the same graph `trainStep` runs, before fusion).
import { ChainruleError } from '../../../compiler/diagnostics.js';
import type { CheckedSpec } from '../../../compiler/frontend/checked-spec.js';
import type { GraphSpec, TrainSpec } from '../../../compiler/frontend/graph-spec.js';
import { nodeIndex } from '../../../compiler/ir/graph.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { ONNX_OPSET } from '../../../compiler/ops/onnx.js';
import { runPasses, selectedPasses, trainingGraph } from '../../../compiler/passes/pipeline.js';
import { checkedFor } from '../../frontend/check.js';
import { RECIPE_KEY, recipeOf } from '../spec-draft.js';
import { type FloatData, lowerGraph } from './lower.js';

/** The passes a training export keeps: fusion and memory planning only matter to generated code. */
const CODEGEN_ONLY_PASSES = ['fuse', 'plan-memory'];

/** The output name of the loss in a training-step graph. */
export const LOSS_OUTPUT = 'loss';

/** `<name>.next`: the training graph's output carrying a parameter or state tensor after the step. */
export function nextName(name: string): string {
  return `${name}.next`;
}

/** A spec to export: checked already (as the CLI loads it), or a raw spec checked here, once. */
export type ExportSpec = GraphSpec | CheckedSpec;

/** The spec checked for f32 (as is when it already was). */
export function checkedF32(input: ExportSpec): CheckedSpec {
  const checked = checkedFor(input, { dtype: 'f32' });
  if (!checked.ok) throw new ChainruleError(checked.errors);
  return checked;
}

/** The forward graph of a spec (f32), as the checker built it. */
export function forwardGraph(input: ExportSpec): Graph {
  return checkedF32(input).graph;
}

/** The inference model; `params` holds every `<node>.weight`/`<node>.bias` ([in,out] row-major). */
export function exportOnnx(input: ExportSpec, params: Readonly<Record<string, FloatData>>): Uint8Array {
  const { spec, graph } = checkedF32(input);
  const index = nodeIndex(graph);
  return lowerGraph(graph, {
    outputs: graph.outputs.map((id) => ({ id, name: index.get(id)?.name ?? `%${id}` })),
    params,
    doc: `chainrule inference graph of '${spec.name}' (opset ${ONNX_OPSET}); the batch dimension is 'batch'.`,
    metadata: { chainrule_format: 'onnx', [RECIPE_KEY]: JSON.stringify(recipeOf(spec)) },
  });
}

/** The joint forward + backward + optimizer graph `trainStep` runs, before fusion. */
export function trainingStepGraph(input: ExportSpec, train?: TrainSpec): Graph {
  const trained = trainingGraph(checkedF32(input), train !== undefined ? { train } : {});
  if (!trained.ok) throw new ChainruleError(trained.errors);
  const stages = runPasses(trained.graph, trained.ctx, selectedPasses({ disable: CODEGEN_ONLY_PASSES }));
  return stages[stages.length - 1]?.graph ?? trained.graph;
}

/** The training-step model (see the file comment for its inputs and outputs). */
export function exportOnnxTraining(input: ExportSpec, train?: TrainSpec): Uint8Array {
  const checked = checkedF32(input);
  const { spec } = checked;
  const graph = trainingStepGraph(checked, train);
  if (graph.loss === undefined) throw new Error('internal: a training graph without a loss');
  const index = nodeIndex(graph);
  const updates = graph.nodes.flatMap((n) => {
    const leaf = n.assigns === undefined ? undefined : index.get(n.assigns);
    return leaf === undefined ? [] : [{ id: n.id, name: nextName(leaf.name) }];
  });
  const outputs = [{ id: graph.loss, name: LOSS_OUTPUT }, ...updates];
  const taken = new Set(graph.nodes.filter((n) => !outputs.some((o) => o.id === n.id)).map((n) => n.name));
  const clash = outputs.find((o) => taken.has(o.name));
  if (clash !== undefined) {
    throw new ChainruleError([
      {
        message: `the training graph's output '${clash.name}' has the name of a node of '${spec.name}'`,
        pointer: '/nodes',
        hint: `rename that node: 'loss' and '<param>.next' name the outputs of an exported training step`,
      },
    ]);
  }
  const optimizer = spec.train?.optimizer ?? 'sgd';
  return lowerGraph(graph, {
    outputs,
    doc: `chainrule training step of '${spec.name}' (${optimizer}, opset ${ONNX_OPSET}): feed parameters, optimizer state, inputs and targets; outputs loss and <name>.next.`,
    metadata: { chainrule_format: 'onnx-training' },
  });
}

/**
 * What the training-step graph carries from one step to the next, before the first: every
 * parameter (the given values) and every optimizer-state tensor (zeros), with its shape. Feed
 * these plus the inputs and targets; feed each `<name>.next` output back as `<name>`.
 */
export function initialTrainingState(
  spec: ExportSpec,
  params: Readonly<Record<string, FloatData>>,
  train?: TrainSpec,
): Record<string, { readonly data: Float32Array; readonly shape: readonly number[] }> {
  const graph = trainingStepGraph(spec, train);
  const state: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const node of graph.nodes) {
    if (node.role !== 'param' && node.role !== 'state') continue;
    const shape = node.type.shape.map(Number);
    const size = shape.reduce((a, d) => a * d, 1);
    const value = node.role === 'param' ? params[node.name] : undefined;
    if (node.role === 'param' && (value === undefined || value.length !== size)) {
      throw new ChainruleError([
        { message: `no value of ${size} floats for parameter '${node.name}'`, pointer: '/nodes' },
      ]);
    }
    state[node.name] = { data: value === undefined ? new Float32Array(size) : Float32Array.from(value), shape };
  }
  return state;
}
