// Messages between the page and its training worker. Typed arrays travel by structured clone.

export interface WorkerDataset {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly numRows: number;
  readonly numFeatures: number;
  readonly numClasses: number;
}

export interface TrainSettings {
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
}

/** Page → worker. */
export type ToWorker =
  | {
      readonly type: 'init';
      readonly js: string;
      readonly dataset: WorkerDataset;
      readonly settings: TrainSettings;
      /** A grid of 2-D points to classify for the decision-boundary heatmap (empty for other data). */
      readonly grid: Float32Array;
    }
  | { readonly type: 'settings'; readonly settings: TrainSettings }
  | { readonly type: 'run' }
  | { readonly type: 'pause' }
  | { readonly type: 'step' }
  | { readonly type: 'reset' }
  | { readonly type: 'predict'; readonly id: number }
  | { readonly type: 'params'; readonly id: number };

export interface Progress {
  readonly epoch: number;
  /** Mean training loss of the last epoch (or of the last batch in step mode). */
  readonly loss: number;
  /** Accuracy on the dataset, in [0, 1]. */
  readonly accuracy: number;
}

/** Worker → page. */
export type FromWorker =
  | { readonly type: 'ready'; readonly outputWidth: number }
  | { readonly type: 'progress'; readonly progress: Progress; readonly running: boolean }
  /** The grid's class-1 probability (2 classes) or winning class + confidence packed as class + p. */
  | { readonly type: 'grid'; readonly values: Float32Array }
  | {
      readonly type: 'step';
      readonly loss: number;
      /** Root mean square of each parameter's gradient for the batch just run. */
      readonly gradients: Readonly<Record<string, number>>;
      /** Mean of each output over the batch. */
      readonly outputs: Readonly<Record<string, number>>;
      readonly rows: number;
      /** The parameters before the step and the batch, for the server to trace every tensor. */
      readonly params: Readonly<Record<string, Float32Array>>;
      readonly feeds: Readonly<Record<string, Float32Array | Float64Array | Int32Array>>;
    }
  | { readonly type: 'done' }
  | { readonly type: 'predictions'; readonly id: number; readonly classes: Int32Array }
  | { readonly type: 'params'; readonly id: number; readonly params: Readonly<Record<string, Float32Array>> }
  | { readonly type: 'error'; readonly message: string };
