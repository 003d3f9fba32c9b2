// What the studio server sends the page (JSON over HTTP). The page imports these types only, so
// both sides agree on the shapes without sharing any code at run time.

/** One diagnostic of `chainrule check`, with its place in the editor's text. */
export interface StudioDiagnostic {
  readonly severity: 'error' | 'warning';
  /** Exactly what `chainrule check` prints for it (`spec.json:3:5: error: … \n  hint: …`). */
  readonly text: string;
  readonly message: string;
  readonly hint?: string;
  readonly node?: string;
  /** 1-based line and column, when the problem has a place in the text. */
  readonly line?: number;
  readonly col?: number;
  /** Characters to underline from there (the whole JSON token). */
  readonly length?: number;
}

/** An edge of a drawn diagram, keyed by the DOT `id` the SVG carries (`backward_e3`). */
export interface StudioEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  /** Shape of the tensor flowing along it (`[B,8]`). */
  readonly shape: string;
  /** Local derivative (chain-rule factor) on a backward edge, e.g. `⊙tanh'(fc1)`; '' otherwise. */
  readonly factor: string;
}

export interface StudioDiagram {
  readonly svg: string;
  readonly edges: readonly StudioEdge[];
  /** Diagram node id (node name) → kind (`param`, `grad`, …). */
  readonly kinds: Readonly<Record<string, string>>;
}

/** One step of a chain-rule path: a gradient node and the factor its incoming gradient is multiplied by. */
export interface ChainStep {
  readonly node: string;
  readonly factor: string;
}

/** What clicking a tensor (or its gradient) shows: its equation and the nodes of its chain-rule path. */
export interface TensorPath {
  readonly tensor: string;
  /** `∂L/∂fc1.weight = xᵀ · (…)`, from `chainrule explain`; '' when explain has no line for it. */
  readonly equation: string;
  /** Forward nodes from the tensor to the loss, and the backward nodes from the seed to its gradient. */
  readonly nodes: readonly string[];
  /** The gradient's chain from the seed, one factor per step. */
  readonly chain: readonly ChainStep[];
}

export interface ParamShape {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface Analysis {
  readonly ok: boolean;
  readonly diagnostics: readonly StudioDiagnostic[];
  /** The one-line summary of `chainrule check` (only when ok). */
  readonly summary?: string;
  readonly name?: string;
  readonly forward?: StudioDiagram;
  readonly backward?: StudioDiagram;
  readonly joint?: StudioDiagram;
  /** The full text of `chainrule explain`. */
  readonly equations?: string;
  /** Tensor name (and gradient node name, `d(h1)`) → its path. */
  readonly paths?: Readonly<Record<string, TensorPath>>;
  readonly params?: readonly ParamShape[];
  /** Why there is no backward graph, when there is none (e.g. no loss). */
  readonly note?: string;
}

/** Training settings the page can change; they override the spec's `train` block. */
export interface TrainOverrides {
  readonly optimizer?: 'sgd' | 'adam';
  readonly lr?: number;
  readonly momentum?: number;
}

export interface ModuleRequest {
  readonly text: string;
  readonly train?: TrainOverrides;
}

export type ModuleResponse =
  | { readonly ok: true; readonly name: string; readonly js: string; readonly ts: string }
  | { readonly ok: false; readonly diagnostics: readonly StudioDiagnostic[] };

/** A labelled dataset as JSON: `features` row-major `numRows × numFeatures`. */
export interface DatasetPayload {
  readonly name: string;
  readonly features: readonly number[];
  readonly labels: readonly number[];
  readonly numRows: number;
  readonly numFeatures: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
}

export interface ExampleInfo {
  readonly name: string;
  /** The built-in dataset it trains on, when one fits. */
  readonly dataset?: string;
}

export interface StartInfo {
  /** The spec file the server was started with (its text), or the default example. */
  readonly file: string;
  readonly text: string;
  readonly examples: readonly ExampleInfo[];
  readonly datasets: readonly string[];
}

export interface ParamValues {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export interface WeightsRequest {
  readonly model: string;
  readonly epoch: number;
  readonly params: readonly ParamValues[];
}

/** The spec and the page's trained parameters, for an ONNX inference model. */
export interface OnnxRequest {
  readonly text: string;
  readonly params: readonly ParamValues[];
}

/** One batch of step mode, replayed by the reference interpreter to show every tensor. */
export interface TraceRequest {
  readonly text: string;
  readonly train?: TrainOverrides;
  /** The parameters before the step, by name. */
  readonly params: Readonly<Record<string, readonly number[]>>;
  /** The batch's inputs and targets, by spec name (flat, row-major). */
  readonly feeds: Readonly<Record<string, readonly number[]>>;
}

/** Mean and root mean square of one tensor of the batch. */
export interface TensorSummary {
  readonly mean: number;
  readonly rms: number;
}

export type TraceResponse =
  | { readonly ok: true; readonly loss: number; readonly tensors: Readonly<Record<string, TensorSummary>> }
  | { readonly ok: false; readonly message: string };
