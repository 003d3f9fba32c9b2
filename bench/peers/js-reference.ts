// The hand-written JS peer: every buffer allocated once, the kernels of js-kernels.ts, no
// allocation per step.
import { weightOf } from '../data.js';
import type { DenseLayer, Mode } from '../workloads.js';
import { crossEntropyGrad, denseBackwardInput, denseForward, denseSgdUpdate, softmaxRows } from './js-kernels.js';
import type { PeerSession, PeerSetup } from './peer.js';

interface LayerState {
  readonly layer: DenseLayer;
  readonly w: Float32Array;
  readonly b: Float32Array;
  /** Layer output: relu activations, or logits then (in place) softmax probabilities. */
  readonly out: Float32Array;
  /** Gradient of the layer's pre-activation. */
  readonly dz: Float32Array;
}

export class JsReferenceMlp {
  private readonly states: readonly LayerState[];

  constructor(
    layers: readonly DenseLayer[],
    weights: Readonly<Record<string, Float32Array>>,
    private readonly batch: number,
    private readonly lr: number,
  ) {
    this.states = layers.map((layer) => ({
      layer,
      w: Float32Array.from(weightOf(weights, `${layer.name}.weight`)),
      b: Float32Array.from(weightOf(weights, `${layer.name}.bias`)),
      out: new Float32Array(batch * layer.units),
      dz: new Float32Array(batch * layer.units),
    }));
  }

  /** Softmax probabilities; a view into the model's own buffer, overwritten by the next call. */
  forward(x: Float32Array): Float32Array {
    let input = x;
    let last: LayerState | undefined;
    for (const s of this.states) {
      denseForward(input, s.w, s.b, s.out, this.batch, s.layer.inputs, s.layer.units, s.layer.activation === 'relu');
      input = s.out;
      last = s;
    }
    if (!last) throw new Error('the network has no layers');
    softmaxRows(last.out, last.out, this.batch, last.layer.units);
    return last.out;
  }

  /** One SGD step; returns the loss before the update. */
  trainStep(x: Float32Array, y: Int32Array): number {
    const probs = this.forward(x);
    const states = this.states;
    const top = states[states.length - 1];
    if (!top) throw new Error('the network has no layers');
    const loss = crossEntropyGrad(probs, y, top.dz, this.batch, top.layer.units);
    for (let l = states.length - 1; l >= 0; l--) {
      const s = states[l]!;
      const below = states[l - 1];
      const input = below ? below.out : x;
      // dX must use W before this step's update, so it comes first.
      if (below) denseBackwardInput(s.dz, s.w, below.out, below.dz, this.batch, s.layer.inputs, s.layer.units);
      denseSgdUpdate(input, s.dz, s.w, s.b, this.batch, s.layer.inputs, s.layer.units, this.lr);
    }
    return loss;
  }
}

export async function openJsReference(setup: PeerSetup): Promise<PeerSession> {
  const { net, data } = setup;
  const model = new JsReferenceMlp(net.layers, setup.weights, setup.batch, net.lr);
  const repeat = (mode: Mode, n: number): void => {
    if (mode === 'train') for (let i = 0; i < n; i++) model.trainStep(data.x, data.y);
    else for (let i = 0; i < n; i++) model.forward(data.x);
  };
  return {
    trainStep: async () => model.trainStep(data.x, data.y),
    forward: async () => Float32Array.from(model.forward(data.x)),
    repeat: async (mode, n) => repeat(mode, n),
    info: { kernels: 'register-blocked 4×4, f32 storage, f64 accumulators' },
    dispose: async () => undefined,
  };
}
