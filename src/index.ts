// chainrule's public API. `compile` and `load` turn a spec into a generated module or a live
// model; `graph()` builds a spec in TypeScript; `loadSpecFile` checks a spec file with located
// diagnostics.
export { compile, load, loadModule, ChainruleError } from './api.js';
export {
  runTraining as train,
  loadTrained,
  type TrainRunOptions,
  type TrainRunResult,
  type TrainedModel,
} from './training.js';
export type {
  EmitFormat,
  CompileOptions,
  CompiledModel,
  CompileStats,
  ArenaSize,
  KernelMode,
  SpecInput,
  Stage,
  GeneratedModel,
  ModelModule,
} from './api.js';
export { graph, GraphBuilder } from './frontend/builder.js';
export { loadSpecFile, loadSpecText, type LoadResult } from './frontend/load.js';
export { formatDiagnostic, type Diagnostic } from '../compiler/diagnostics.js';
export type { GraphSpec, TrainSpec } from '../compiler/frontend/graph-spec.js';
// What `loadSpecFile`/`loadSpecText` and `graph(...).check()` return when the spec is valid; `compile`
// and `load` take it without checking again.
export type { CheckedSpec } from '../compiler/frontend/checked-spec.js';
// Diagrams: DOT text for a graph (`compile(spec).graph`) and its SVG rendering (Graphviz as
// WebAssembly, loaded on first use).
export { viewDot, diagramViews, type DiagramView, type DiagramOptions } from '../compiler/diagram/dot.js';
export {
  diagramFiles,
  type DiagramFileName,
  type DiagramFilesOptions,
  MAX_SVG_NODES,
  type SkippedDiagram,
} from './render/diagram-files.js';
export { renderSvg, GraphvizError } from './render/svg.js';
// Interop: ONNX (inference, or one whole training step) and TensorFlow.js Layers out; ONNX, tfjs
// and PyTorch state_dicts in (docs/interop.md).
export {
  exportOnnx,
  exportOnnxTraining,
  initialTrainingState,
  nextName,
  LOSS_OUTPUT,
} from './interop/onnx/export.js';
export { importOnnx, SUPPORTED_ONNX } from './interop/onnx/import.js';
export { exportTfjs, tfjsArtifacts } from './interop/tfjs/export.js';
export { importTfjs, SUPPORTED_TFJS } from './interop/tfjs/import.js';
export { torchWeights, parseModuleMap } from './interop/torch-weights.js';
export { writeImported, type ImportedModel, type LossChoice } from './interop/spec-draft.js';
