// chainrule's public API. `compile` and `load` turn a spec into a generated module or a live
// model; `graph()` builds a spec in TypeScript; `loadSpecFile` checks a spec file with located
// diagnostics.
export { compile, load, loadModule, ChainruleError } from './api.js';
export type {
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
export { diagramFiles, type DiagramFileName, type DiagramFilesOptions } from './render/diagram-files.js';
export { renderSvg, GraphvizError } from './render/svg.js';
