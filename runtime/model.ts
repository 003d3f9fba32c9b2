// The API every generated module exposes (fixed in DESIGN.md). Generated code imports nothing,
// so this is the runtime's structural view of it, checked when a module is loaded.

export type FloatArray = Float32Array | Float64Array;

/** Flat row-major arrays keyed by the spec's input/target names. Class indices are Int32Array. */
export type Feed = Readonly<Record<string, FloatArray | Int32Array>>;

export interface GeneratedModel {
  /** Trainable parameters keyed `<node>.weight` (`[in,out]` row-major) and `<node>.bias`. */
  readonly params: Record<string, FloatArray>;
  /** Gradients, same keys as `params`; filled by `lossAndGrads` and `trainStep`. */
  readonly grads: Record<string, FloatArray>;
  /** Inference; returned arrays are views into the model's arena, overwritten by the next call. */
  forward(inputs: Feed): Record<string, FloatArray>;
  /** Mean loss over the batch; fills `grads`; does not update params. */
  lossAndGrads(inputs: Feed, targets: Feed): number;
  /** One optimizer step in place; returns the loss before the update. */
  trainStep(inputs: Feed, targets: Feed): number;
  /** Arg-max class per row, for softmax outputs (absent otherwise). */
  predict?(inputs: Feed): Int32Array;
  /** Releases the model and ends its worker threads; later calls throw. */
  dispose?(): void;
  /** Parameters and optimizer state as plain arrays, for checkpoints. */
  toJSON(): ModelState;
  /** Restores `toJSON()` output (or a params-only subset); validates names and lengths. */
  loadParams(state: {
    readonly params: Readonly<Record<string, ArrayLike<number>>>;
    readonly state?: Readonly<Record<string, ArrayLike<number>>>;
  }): void;
}

export interface ModelState {
  readonly params: Record<string, number[]>;
  /** Optimizer state (velocity, moments, step), keyed like `fc1.weight.m`. */
  readonly state: Record<string, number[]>;
}

/** Static facts the generated module exports next to `createModel`. */
export interface ModelInfo {
  readonly name: string;
  readonly dtype: 'f32' | 'f64';
  /** The fixed batch size, or null when the batch follows from the input lengths. */
  readonly batch: number | null;
  readonly inputs: Readonly<Record<string, readonly (number | null)[]>>;
  readonly targets: Readonly<Record<string, readonly (number | null)[]>>;
  readonly outputs: Readonly<Record<string, readonly (number | null)[]>>;
  /** Target names whose data are class indices (Int32Array). */
  readonly classTargets: readonly string[];
  readonly arenaBytes: number;
}

/** What `createModel` and `createModelAsync` take. */
export interface CreateOptions {
  readonly seed?: number;
  readonly checkFinite?: boolean;
  /** Threads for the WebAssembly matmuls (`createModelAsync` only; default 1). */
  readonly threads?: number;
}

export interface ModelModule {
  createModel(options?: CreateOptions): GeneratedModel;
  /** Like `createModel`, compiling any WebAssembly asynchronously; the only creator that starts threads. */
  createModelAsync?(options?: CreateOptions): Promise<GeneratedModel>;
  readonly modelInfo: ModelInfo;
}
