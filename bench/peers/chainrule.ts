// The chainrule peer: the module generated for the workload's spec at a fixed batch, loaded
// in-process, with the benchmark's initial weights copied into its `params`.
import type { GeneratedModel } from '../../runtime/model.js';
import { loadModule } from '../../src/api.js';
import { weightOf } from '../data.js';
import type { Mode } from '../workloads.js';
import type { PeerSession, PeerSetup } from './peer.js';

/** Copies the shared weights in, checking the generated module uses the documented keys and sizes. */
function copyWeights(model: GeneratedModel, setup: PeerSetup): void {
  for (const layer of setup.net.layers) {
    for (const key of [`${layer.name}.weight`, `${layer.name}.bias`]) {
      const source = weightOf(setup.weights, key);
      const target = model.params[key];
      if (!target || target.length !== source.length) {
        const found = target ? `length ${target.length}` : `missing (has: ${Object.keys(model.params).join(', ')})`;
        throw new Error(`chainrule params['${key}'] should have length ${source.length}, found ${found}`);
      }
      target.set(source);
    }
  }
}

export async function openChainrule(setup: PeerSetup): Promise<PeerSession> {
  const { net, batch, data } = setup;
  const module = await loadModule(net.spec, { dtype: 'f32', batch });
  const model = module.createModel({ seed: 1 });
  copyWeights(model, setup);
  const inputs = { [net.inputName]: data.x };
  const targets = { [net.targetName]: data.y };

  const forward = (): Float32Array => {
    const out = model.forward(inputs)[net.outputName];
    if (!(out instanceof Float32Array)) throw new Error(`chainrule forward() returned no float32 '${net.outputName}'`);
    return out;
  };
  const repeat = (mode: Mode, n: number): void => {
    if (mode === 'train') for (let i = 0; i < n; i++) model.trainStep(inputs, targets);
    else for (let i = 0; i < n; i++) model.forward(inputs);
  };

  return {
    trainStep: async () => model.trainStep(inputs, targets),
    forward: async () => Float32Array.from(forward()),
    repeat: async (mode, n) => repeat(mode, n),
    info: { arenaBytes: module.modelInfo.arenaBytes, batch: module.modelInfo.batch ?? 'dynamic' },
    dispose: async () => undefined,
  };
}
