// What a benchmark peer must provide. Each peer module is imported lazily so a worker process
// only loads the framework it measures (its peak RSS would otherwise include every peer).
import type { Batch, Weights } from '../data.js';
import type { KernelMode } from '../../src/api.js';
import type { Mode, Network } from '../workloads.js';

export type PeerId =
  | 'chainrule'
  | 'chainrule-2t'
  | 'chainrule-js'
  | 'chainrule-js-2t'
  | 'chainrule-wasm'
  | 'chainrule-wasm-2t'
  | 'js-reference'
  | 'tfjs-cpu'
  | 'tfjs-wasm'
  | 'tfjs-wasm-2t'
  | 'onnxruntime'
  | 'onnxruntime-2t';

/**
 * The chainrule peers, in report order, and the kernel mode each one's module is compiled with:
 * `chainrule` is what `compile` gives without flags (`auto`), `chainrule-2t` the same module
 * created with 2 threads, the others force one backend.
 */
export const chainrulePeers: ReadonlyMap<PeerId, KernelMode> = new Map<PeerId, KernelMode>([
  ['chainrule', 'auto'],
  ['chainrule-2t', 'auto'],
  ['chainrule-js', 'js'],
  ['chainrule-js-2t', 'js'],
  ['chainrule-wasm', 'wasm-simd'],
  ['chainrule-wasm-2t', 'wasm-simd'],
]);

export interface PeerSetup {
  readonly net: Network;
  readonly batch: number;
  /** Copied into the peer's own parameter storage; the peer never mutates these arrays. */
  readonly weights: Weights;
  readonly data: Batch;
  /** Path of the generated module as JS (chainrule only): compiled in the parent, imported here. */
  readonly module?: string;
}

export interface PeerSession {
  /** One SGD step on the batch; resolves to the mean loss before the update. */
  trainStep(): Promise<number>;
  /** Softmax output for the batch ([batch, classes]), copied out. */
  forward(): Promise<Float32Array>;
  /** `n` back-to-back iterations of `mode`: the timed region, so no validation work in here. */
  repeat(mode: Mode, n: number): Promise<void>;
  /** Live framework objects (tfjs tensors); must not grow while timing. */
  liveObjects?(): number;
  /** Facts worth reporting next to the timing (backend, threads, arena bytes). */
  readonly info: Readonly<Record<string, string | number>>;
  dispose(): Promise<void>;
}

export interface PeerDef {
  readonly id: PeerId;
  /** Row heading in the tables. */
  readonly label: string;
  readonly modes: readonly Mode[];
  open(setup: PeerSetup): Promise<PeerSession>;
}

/** Thrown by a peer whose framework is not usable here; the harness reports it as unavailable. */
export class PeerUnavailableError extends Error {
  override readonly name = 'PeerUnavailableError';
}
